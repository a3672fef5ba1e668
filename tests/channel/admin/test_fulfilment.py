"""Shipments and invoices are visible (and searchable) in admin."""

from __future__ import annotations

import pytest
from django.test import Client

from channel.services.invoices import invoice_queue
from channel.services.orders import order_upsert
from channel.services.shipments import PackItem, PackRequest, shipment_pack
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment() -> object:
    order_upsert(raw=mo.order(100))
    request = PackRequest(
        order_code="000000100",
        location_code="WH1",
        shipment_id=42,
        items=[PackItem(sku="SKU-1", order_item_code=None, quantity=1)],
    )
    shipment = shipment_pack(request=request)
    invoice_queue(shipment=shipment)
    return shipment


def test_support_sees_shipments_and_invoices(support: Client, shipment: object) -> None:
    found = support.get("/admin/channel/shipment/", {"q": "000000100-1"})
    assert found.status_code == 200 and b"000000100-1" in found.content
    assert support.get(f"/admin/channel/shipment/{shipment.pk}/change/").status_code == 200
    invoices = support.get("/admin/channel/invoice/", {"q": "000000100"})
    assert invoices.status_code == 200 and b"pending" in invoices.content.lower()
