"""The PDF renderers: valid PDFs, scannable barcodes, visible text, byte-identical repeats."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from channel.documents.data import (
    Address,
    InvoiceDoc,
    InvoiceLine,
    LabelDoc,
    ManifestDoc,
    ManifestRow,
    PaymentType,
    TaxLine,
)
from channel.documents.render import (
    amount_in_words,
    format_money,
    render_invoice_pdf,
    render_label_pdf,
    render_manifest_pdf,
)

# --- sample data -------------------------------------------------------------------------------

WAREHOUSE = Address(
    name="Kavya Lifestyle Pvt. Ltd.",
    line1="Plot 14, KIADB Industrial Area",
    line2="Bommasandra, Hosur Road",
    city="Bengaluru",
    state="Karnataka",
    zip="560099",
    phone="+91 80 4567 8900",
    gstin="29AAHCK4321M1Z5",
)
CUSTOMER = Address(
    name="Ananya Sharma",
    line1="Flat 402, Tower B, Prestige Lakeside Habitat",
    line2="Varthur Main Road",
    city="Bengaluru",
    state="Karnataka",
    zip="560087",
    phone="+91 98450 12345",
    email="ananya@example.in",
)


def make_label(**changes: Any) -> LabelDoc:
    label = LabelDoc(
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
    return dataclasses.replace(label, **changes)


def make_row(n: int) -> ManifestRow:
    return ManifestRow(
        order_code=f"{100000 + n:09d}",
        shipment_code=f"{100000 + n:09d}-1",
        awb=f"AWB{n:010d}",
        boxes=1 + n % 2,
        items=1 + n % 3,
        cod_amount=Decimal("499.50") if n % 2 else Decimal(0),
    )


def make_manifest(rows: int = 3, **changes: Any) -> ManifestDoc:
    manifest = ManifestDoc(
        manifest_code="MF-WH1-20260131-0001",
        transporter="Delhivery",
        location_code="WH1",
        warehouse_address=WAREHOUSE,
        created_at=datetime(2026, 1, 31, 10, 30, tzinfo=UTC),
        rows=tuple(make_row(n) for n in range(1, rows + 1)),
    )
    return dataclasses.replace(manifest, **changes)


def make_line(n: int = 1) -> InvoiceLine:
    return InvoiceLine(
        sku=f"SKU-{n}",
        name=f"Cotton Kurta & Dupatta <Set {n}>",
        hsn="6211",
        quantity=2,
        unit_price_excl_tax=Decimal("1000"),
        unit_price_incl_tax=Decimal("1180"),
        discount=Decimal("0"),
        tax_items=(
            TaxLine(type="CGST", rate=Decimal("9"), amount=Decimal("180")),
            TaxLine(type="SGST", rate=Decimal("9"), amount=Decimal("180")),
        ),
        line_total=Decimal("2360"),
    )


def make_invoice(lines: int = 1, **changes: Any) -> InvoiceDoc:
    invoice = InvoiceDoc(
        seller_name="Kavya Lifestyle Pvt. Ltd.",
        seller_address=WAREHOUSE,
        seller_gstin="29AAHCK4321M1Z5",
        billing_address=dataclasses.replace(CUSTOMER, gstin="29ABCDE1234F1Z5"),
        shipping_address=CUSTOMER,
        order_code="000000123",
        invoice_number="000000045",
        invoice_date=datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
        payment_method="Cash on Delivery",
        lines=tuple(make_line(n) for n in range(1, lines + 1)),
        shipping_charge=Decimal("0"),
        subtotal=Decimal(2000 * lines),
        tax_total=Decimal(360 * lines),
        grand_total=Decimal(2360 * lines),
        shipment_code="000000123-1",
    )
    return dataclasses.replace(invoice, **changes)


# --- PDF helpers -------------------------------------------------------------------------------


@contextmanager
def opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(pdf)
    try:
        yield document
    finally:
        document.close()


def page_count(pdf: bytes) -> int:
    with opened(pdf) as document:
        return len(document)


def page_text(pdf: bytes, index: int = 0) -> str:
    with opened(pdf) as document:
        return document[index].get_textpage().get_text_bounded()


def barcodes(pdf: bytes, index: int = 0, scale: float = 3) -> list[str]:
    """The Code 128 barcodes zxing-cpp reads on one page, top to bottom."""
    with opened(pdf) as document:
        image = document[index].render(scale=scale).to_pil()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    return [code.text for code in sorted(found, key=lambda code: code.position.top_left.y)]


RENDERERS: list[tuple[str, Callable[[], bytes]]] = [
    ("label", lambda: render_label_pdf(make_label())),
    ("manifest", lambda: render_manifest_pdf(make_manifest())),
    ("invoice", lambda: render_invoice_pdf(make_invoice())),
]


# --- all documents -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "render"), RENDERERS, ids=[name for name, _ in RENDERERS])
def test_it_returns_a_pdf_that_renders_to_an_image(name: str, render: Callable[[], bytes]) -> None:
    pdf = render()

    assert pdf.startswith(b"%PDF-")
    with opened(pdf) as document:
        image = document[0].render(scale=1).to_pil()
    assert image.width > 100 and image.height > 100


@pytest.mark.parametrize(("name", "render"), RENDERERS, ids=[name for name, _ in RENDERERS])
def test_it_renders_the_same_bytes_for_the_same_input(
    name: str, render: Callable[[], bytes]
) -> None:
    assert render() == render()


def test_it_renders_different_bytes_when_the_data_changes() -> None:
    assert render_label_pdf(make_label()) != render_label_pdf(make_label(awb="1490821234568"))
    assert render_manifest_pdf(make_manifest(3)) != render_manifest_pdf(make_manifest(4))
    changed = make_invoice(grand_total=Decimal("2361"))
    assert render_invoice_pdf(make_invoice()) != render_invoice_pdf(changed)


# --- label ---------------------------------------------------------------------------------------


def test_it_prints_label_barcodes_that_decode_to_the_awb_and_the_order_code() -> None:
    pdf = render_label_pdf(make_label())

    assert barcodes(pdf) == ["1490821234567", "000000123"]


def test_it_makes_a_4_by_6_inch_label() -> None:
    with opened(render_label_pdf(make_label())) as document:
        assert len(document) == 1
        assert document[0].get_size() == pytest.approx((288, 432))


def test_it_prints_alphanumeric_awbs_as_scannable_barcodes() -> None:
    pdf = render_label_pdf(make_label(awb="SF1234567890XPB", order_code="WEB-2026-000981"))

    assert barcodes(pdf) == ["SF1234567890XPB", "WEB-2026-000981"]


def test_it_shows_the_cod_amount_to_collect_on_the_label() -> None:
    text = page_text(render_label_pdf(make_label()))

    assert "COD: COLLECT Rs. 2,596.40" in text
    for expected in ("DELHIVERY", "Ananya Sharma", "PIN 560087", "000000123-1", "1.25 kg"):
        assert expected in text
    assert "30x22x12.5 cm" in text
    assert "31-Jan-2026" in text  # 19:45 UTC on the 30th is the 31st in India


def test_it_shows_prepaid_without_an_amount_on_the_label() -> None:
    text = page_text(render_label_pdf(make_label(payment_type=PaymentType.PREPAID)))

    assert "PREPAID - DO NOT COLLECT CASH" in text
    assert "COLLECT Rs." not in text


def test_it_keeps_a_label_with_a_very_long_address_on_one_scannable_page() -> None:
    long_address = dataclasses.replace(
        CUSTOMER,
        name="Dr. Venkatanarasimharajuvaripeta Subramanyam Ramachandran " * 2,
        line1="House No. 12-3-456/7/A, Sri Venkateswara Nilayam, " * 4,
        line2="Opposite Government High School, Behind Panchayat Office " * 3,
    )
    pdf = render_label_pdf(make_label(to_address=long_address, transporter="Ecom Express " * 4))

    assert page_count(pdf) == 1
    assert barcodes(pdf) == ["1490821234567", "000000123"]
    assert "..." in page_text(pdf)


def test_it_refuses_an_awb_that_cannot_be_a_barcode() -> None:
    with pytest.raises(ValueError, match="Code 128"):
        render_label_pdf(make_label(awb=""))


# --- manifest ----------------------------------------------------------------------------------


def test_it_prints_a_scannable_awb_barcode_in_every_manifest_row() -> None:
    pdf = render_manifest_pdf(make_manifest(5))

    assert barcodes(pdf) == [f"AWB{n:010d}" for n in range(1, 6)]


def test_it_shows_the_manifest_totals_and_signature_lines() -> None:
    text = page_text(render_manifest_pdf(make_manifest(3)))

    for expected in ("COURIER MANIFEST", "MF-WH1-20260131-0001", "Delhivery", "WH1"):
        assert expected in text
    assert "31-Jan-2026 16:00 IST" in text
    assert "Total: 3 shipments" in text
    assert "Rs. 999.00" in text  # two COD rows of 499.50
    assert "Handed over by (warehouse)" in text and "Received by (courier)" in text
    assert text.count("Signature:") == 2


def test_it_spreads_a_long_manifest_over_pages_with_a_header_on_each() -> None:
    manifest = make_manifest(60)
    pdf = render_manifest_pdf(manifest)
    pages = page_count(pdf)

    assert pages >= 3
    seen: list[str] = []
    texts = [page_text(pdf, index) for index in range(pages)]
    for index in range(pages):
        text = texts[index]
        assert "COURIER MANIFEST" in text and "MF-WH1-20260131-0001" in text
        assert f"Page {index + 1} of {pages}" in text
        on_page = barcodes(pdf, index)
        assert not on_page or "Order / Shipment" in text  # the table header repeats
        seen += on_page
    assert seen == [row.awb for row in manifest.rows]
    assert "Total: 60 shipments" in "".join(texts)
    assert format_money(manifest.total_cod) in texts[-1] and "Signature:" in texts[-1]


def test_it_computes_manifest_totals_from_the_rows() -> None:
    manifest = make_manifest(4)

    assert manifest.total_shipments == 4
    assert manifest.total_boxes == 2 + 1 + 2 + 1
    assert manifest.total_items == 2 + 3 + 1 + 2
    assert manifest.total_cod == Decimal("999.00")
    assert manifest.cod_shipments == 2


def test_it_renders_an_empty_manifest() -> None:
    text = page_text(render_manifest_pdf(make_manifest(0)))

    assert "Total: 0 shipments" in text


# --- invoice -----------------------------------------------------------------------------------


def test_it_shows_invoice_number_gstins_and_totals_on_the_invoice() -> None:
    text = page_text(render_invoice_pdf(make_invoice()))

    for expected in (
        "TAX INVOICE",
        "000000045",
        "GSTIN: 29AAHCK4321M1Z5",
        "GSTIN: 29ABCDE1234F1Z5",
        "000000123",
        "31-Jan-2026",
        "Cotton Kurta & Dupatta <Set 1>",
        "SKU-1",
        "CGST 9%",
        "SGST 9%",
        "2,000.00",
        "2,360.00",
        "Grand total (Rs.)",
        "Rupees Two Thousand Three Hundred Sixty Only",
    ):
        assert expected in text, expected


def test_it_continues_a_long_invoice_on_more_pages() -> None:
    pdf = render_invoice_pdf(make_invoice(lines=80))
    pages = page_count(pdf)

    assert pages >= 3
    assert "Item" in page_text(pdf, 1)  # the line table header repeats
    last = page_text(pdf, pages - 1)
    assert "Grand total (Rs.)" in last and "1,88,800.00" in last
    assert f"Page {pages} of {pages}" in last


def test_it_prints_a_shipping_charge_when_there_is_one() -> None:
    invoice = make_invoice(shipping_charge=Decimal("49"), grand_total=Decimal("2409"))

    text = page_text(render_invoice_pdf(invoice))

    assert "Shipping charge" in text and "49.00" in text and "2,409.00" in text


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0"), "Rs. 0.00"),
        (Decimal("999.5"), "Rs. 999.50"),
        (Decimal("1234.567"), "Rs. 1,234.57"),
        (Decimal("123456"), "Rs. 1,23,456.00"),
        (Decimal("12345678.9"), "Rs. 1,23,45,678.90"),
        (Decimal("-1500"), "Rs. -1,500.00"),
    ],
)
def test_it_formats_rupees_with_indian_digit_grouping(amount: Decimal, expected: str) -> None:
    assert format_money(amount) == expected


def test_it_formats_other_currencies_with_their_code() -> None:
    assert format_money(Decimal("123456"), "USD") == "USD 123,456.00"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0"), "Rupees Zero Only"),
        (Decimal("1200.50"), "Rupees One Thousand Two Hundred and Fifty Paise Only"),
        (Decimal("100000"), "Rupees One Lakh Only"),
        (
            Decimal("12345678.05"),
            "Rupees One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy Eight"
            " and Five Paise Only",
        ),
    ],
)
def test_it_writes_amounts_in_indian_words(amount: Decimal, expected: str) -> None:
    assert amount_in_words(amount) == expected
