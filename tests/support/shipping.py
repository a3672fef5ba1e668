"""Factories for label, AWB and manifest tests: mirrored orders, packed shipments, couriers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pypdfium2 as pdfium
import zxingcpp

from channel.models import AwbSeries, Location, Order, Shipment, ShipmentLine
from channel.services.awb import awb_series_add
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo


def mirror_order(
    entity_id: int = 100,
    *,
    items: list[dict] | None = None,
    method: str = "checkmo",
    grand_total: float = 0,
) -> Order:
    raw = mo.order(entity_id, items=items, state="processing", status="processing", method=method)
    raw["grand_total"] = grand_total
    return order_upsert(raw=raw).order


def make_shipment(
    order: Order,
    n: int = 1,
    *,
    location: str = "WH1",
    quantities: dict[str, int] | None = None,
    **fields: Any,
) -> Shipment:
    """A packed shipment of `quantities` per SKU (default: every unit of the order)."""
    values: dict[str, Any] = {
        "shipment_id": order.entity_id * 1000 + n,
        "shipment_code": f"{order.order_code}-{n}",
        "location_code": location,
        "weight_grams": 1250,
        "dimensions": {"length": 30, "breadth": 22, "height": 12.5},
    }
    shipment = Shipment.objects.create(order=order, **(values | fields))
    for line in order.lines.all():
        quantity = line.qty_ordered if quantities is None else quantities.get(line.sku, 0)
        if quantity:
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
    return shipment


def make_location(code: str = "WH1", **fields: Any) -> Location:
    values = {
        "name": "Kavya Lifestyle Pvt. Ltd.",
        "line1": "Plot 14, KIADB Industrial Area",
        "line2": "Bommasandra, Hosur Road",
        "city": "Bengaluru",
        "state": "Karnataka",
        "zip": "560099",
        "phone": "+91 80 4567 8900",
        "gstin": "29AAHCK4321M1Z5",
    }
    location, _ = Location.objects.update_or_create(code=code, defaults=values | fields)
    return location


def add_series(
    transporter: str = "Delhivery",
    *,
    prefix: str = "DL",
    start: int = 1000,
    end: int = 1999,
    location: str = "WH1",
    default: bool = True,
    **options: Any,
) -> AwbSeries:
    return awb_series_add(
        transporter=transporter,
        prefix=prefix,
        start=start,
        end=end,
        location_code=location,
        make_default=default,
        **options,
    )


# --- reading PDFs --------------------------------------------------------------------------------


@contextmanager
def opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(pdf)
    try:
        yield document
    finally:
        document.close()


def pdf_of(encoded: str) -> bytes:
    pdf = base64.b64decode(encoded)
    assert pdf.startswith(b"%PDF-")
    return pdf


def page_text(pdf: bytes, index: int = 0) -> str:
    with opened(pdf) as document:
        return document[index].get_textpage().get_text_bounded()


def barcodes(pdf: bytes, index: int = 0, scale: float = 3) -> list[str]:
    """Page `index` rendered to an image; the Code 128 barcodes on it, top to bottom."""
    with opened(pdf) as document:
        image = document[index].render(scale=scale).to_pil()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    return [code.text for code in sorted(found, key=lambda code: code.position.top_left.y)]
