"""Render a sample shipping label, manifest and tax invoice and save page 1 of each as PNG.

Run from the project root:  .venv/bin/python docs/render_samples.py
Writes docs/images/sample-label.png, sample-manifest.png and sample-invoice.png, and
sample-invoice-gst.pdf / .png: the tax invoice of a GST order of the demo's sample shop
(simulators/samples.py), mapped by the proxy's own code (HSN per line, seller GSTIN, place of
supply, CGST/SGST split).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channel.documents.data import (  # noqa: E402
    Address,
    InvoiceDoc,
    InvoiceLine,
    LabelDoc,
    ManifestDoc,
    ManifestRow,
    PaymentType,
    TaxLine,
)
from channel.documents.render import (  # noqa: E402
    render_invoice_pdf,
    render_label_pdf,
    render_manifest_pdf,
)

IMAGES = ROOT / "docs" / "images"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "render-samples")

WAREHOUSE = Address(
    name="Kavya Lifestyle Pvt. Ltd.",
    line1="Plot 14, KIADB Industrial Area",
    line2="Bommasandra, Hosur Road",
    city="Bengaluru",
    state="Karnataka",
    zip="560099",
    phone="+91 80 4567 8900",
    email="orders@kavyalifestyle.in",
    gstin="29AAHCK4321M1Z5",
)

CUSTOMER = Address(
    name="Ananya Sharma",
    line1="Flat 402, Tower B, Prestige Lakeside Habitat",
    line2="Varthur Main Road, Near Gunjur Lake",
    line3="Whitefield",
    city="Bengaluru",
    state="Karnataka",
    zip="560087",
    phone="+91 98450 12345",
    email="ananya.sharma@example.in",
)


def sample_label() -> LabelDoc:
    return LabelDoc(
        from_address=WAREHOUSE,
        to_address=CUSTOMER,
        order_code="000000123",
        shipment_code="000000123-1",
        awb="1490821234567",
        transporter="Delhivery",
        weight_grams=1250,
        length_cm=Decimal("30"),
        breadth_cm=Decimal("22"),
        height_cm=Decimal("12.5"),
        payment_type=PaymentType.COD,
        cod_amount=Decimal("2596.40"),
        item_count=3,
        order_date=datetime(2026, 1, 30, 19, 45, tzinfo=UTC),
        box_count=1,
    )


def sample_manifest() -> ManifestDoc:
    rows = [
        ManifestRow(
            order_code=f"0000001{n:02d}",
            shipment_code=f"0000001{n:02d}-1",
            awb=f"14908212345{n:02d}",
            boxes=1 + (n % 4 == 0),
            items=1 + n % 3,
            cod_amount=Decimal(499 + 150 * n) if n % 3 else Decimal(0),
        )
        for n in range(1, 25)
    ]
    return ManifestDoc(
        manifest_code="MF-WH1-20260131-0001",
        transporter="Delhivery",
        location_code="WH1",
        warehouse_address=WAREHOUSE,
        created_at=datetime(2026, 1, 31, 10, 30, tzinfo=UTC),
        rows=tuple(rows),
    )


def _gst_line(sku: str, name: str, hsn: str, qty: int, rate: str, discount: str) -> InvoiceLine:
    unit = Decimal(rate)
    taxable = unit * qty - Decimal(discount)
    half = (taxable * Decimal("0.09")).quantize(Decimal("0.01"))
    return InvoiceLine(
        sku=sku,
        name=name,
        hsn=hsn,
        quantity=qty,
        unit_price_excl_tax=unit,
        unit_price_incl_tax=(unit * Decimal("1.18")).quantize(Decimal("0.01")),
        discount=Decimal(discount),
        tax_items=(
            TaxLine(type="CGST", rate=Decimal("9"), amount=half),
            TaxLine(type="SGST", rate=Decimal("9"), amount=half),
        ),
        line_total=taxable + 2 * half,
    )


def sample_invoice() -> InvoiceDoc:
    lines = (
        _gst_line("KL-KURTA-BLU-M", "Cotton Kurta, Indigo Block Print (M)", "6211", 2, "849", "0"),
        _gst_line("KL-DUP-SLK-01", "Banarasi Silk Dupatta, Maroon", "6214", 1, "1299", "130"),
        _gst_line("KL-BAG-JUTE-L", "Jute Tote Bag with Zari Work, Large", "4202", 3, "349", "0"),
    )
    subtotal = sum((line.taxable_value for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    shipping = Decimal("0")
    return InvoiceDoc(
        seller_name=WAREHOUSE.name,
        seller_address=WAREHOUSE,
        seller_gstin="29AAHCK4321M1Z5",
        billing_address=CUSTOMER,
        shipping_address=CUSTOMER,
        order_code="000000123",
        invoice_number="000000045",
        invoice_date=datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
        payment_method="Cash on Delivery",
        currency="INR",
        lines=lines,
        shipping_charge=shipping,
        subtotal=subtotal,
        tax_total=tax,
        grand_total=subtotal + tax + shipping,
        shipment_code="000000123-1",
    )


def _demo_gst_order() -> tuple[Any, dict[str, Any]]:
    """The demo shop (the demo's seed) and its open intra-state GST order with the most lines."""
    from simulators.magento import MagentoSimulator
    from simulators.samples import seed_magento

    sim = MagentoSimulator()
    seed_magento(sim, 120)
    found = []
    for entity_id in sorted(sim.orders):
        raw = sim.get_order(entity_id)
        titles = {t["title"] for t in raw["extension_attributes"].get("applied_taxes", [])}
        if "CGST 9%" in titles and raw["state"] == "new" and not raw["is_virtual"]:
            found.append((-len(raw["items"]), entity_id, raw))
    if not found:
        raise SystemExit("no intra-state GST order among the demo's samples")
    return sim, min(found, key=lambda f: (f[0], f[1]))[2]


def demo_gst_invoice() -> InvoiceDoc:
    """The proxy's mapping (channel.services.mapping) and tax split (invoices.tax_split) of a
    demo order, invoiced by the fake Magento."""
    import django

    django.setup()
    from types import SimpleNamespace

    from channel.services import invoices, mapping

    sim, raw = _demo_gst_order()
    data = mapping.map_order(raw)
    sim.set_clock("2026-01-31 10:00:00")
    invoice = sim.invoices[sim.invoice(int(raw["entity_id"]))]
    lines = []
    for line in data.lines:
        qty = line.quantities["qty_ordered"]
        taxed = SimpleNamespace(tax_breakup=line.tax_breakup, tax_percent=line.tax_percent)
        split = invoices.tax_split(taxed, line.tax_amount)  # type: ignore[arg-type]
        base = line.price_excl_tax * qty - line.discount_total
        lines.append(
            InvoiceLine(
                sku=line.sku,
                name=line.name,
                hsn=sim.products[line.sku].get("attributes", {}).get("hsn_code", ""),
                quantity=qty,
                unit_price_excl_tax=line.price_excl_tax,
                unit_price_incl_tax=line.price_incl_tax,
                discount=line.discount_total,
                tax_items=tuple(TaxLine(type=t, rate=r, amount=a) for t, r, a in split),
                line_total=base + line.tax_amount,
            )
        )
    shipping = mapping.shipping_net(raw)
    subtotal = sum((line.taxable_value for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    return InvoiceDoc(
        seller_name=WAREHOUSE.name,
        seller_address=WAREHOUSE,
        seller_gstin=WAREHOUSE.gstin or "",
        billing_address=Address.from_omni(data.fields["billing_address"]),
        shipping_address=Address.from_omni(data.fields["shipping_address"]),
        order_code=data.fields["order_code"],
        invoice_number=str(invoice["increment_id"]),
        invoice_date=datetime.strptime(invoice["created_at"], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC
        ),
        payment_method="Cash on Delivery"
        if raw["payment"]["method"] == "cashondelivery"
        else "Prepaid",
        currency="INR",
        lines=tuple(lines),
        shipping_charge=shipping,
        subtotal=subtotal,
        tax_total=tax,
        grand_total=subtotal + tax + shipping,
        shipment_code=f"{data.fields['order_code']}-1",
    )


def save_first_page(pdf: bytes, path: Path, scale: float) -> None:
    document = pdfium.PdfDocument(pdf)
    try:
        document[0].render(scale=scale).to_pil().save(path)
    finally:
        document.close()


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    samples = [
        ("sample-label.png", render_label_pdf(sample_label()), 3.0),
        ("sample-manifest.png", render_manifest_pdf(sample_manifest()), 2.0),
        ("sample-invoice.png", render_invoice_pdf(sample_invoice()), 2.0),
    ]
    gst = render_invoice_pdf(demo_gst_invoice())
    (IMAGES / "sample-invoice-gst.pdf").write_bytes(gst)
    samples.append(("sample-invoice-gst.png", gst, 2.0))
    for name, pdf, scale in samples:
        save_first_page(pdf, IMAGES / name, scale)
        print(f"wrote {IMAGES / name} ({len(pdf)} bytes of PDF)")


if __name__ == "__main__":
    main()
