"""Magento order JSON -> mirror -> Omni's Create Outward Order body (contract 1 and 3.1)."""

from __future__ import annotations

import pytest

from channel.services import mapping
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db

SHIP_ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "line2": "Indiranagar",
    "line3": "",
    "city": "Bengaluru",
    "state": "Karnataka",
    "zip": "560038",
    "country": "IN",
    "email": "asha@example.com",
    "phone": "+919800000001",
}
BILL_ADDRESS = SHIP_ADDRESS | {"line1": "1 Billing St", "line2": ""}


def outward(raw: dict) -> dict:
    order = order_upsert(raw=raw).order
    return mapping.outward_order(order)


def test_it_maps_a_simple_prepaid_order_field_by_field() -> None:
    raw = mo.order(100, items=[mo.item(1001, "SKU-1", 2, 1180.0, discount_amount=200.0)])
    assert outward(raw) == {
        "orderCode": "000000100",
        "orderTime": "2026-01-31T09:15:00.000+00:00",
        "orderType": "SO",
        "locationCode": None,
        "isSplitRequired": True,
        "onHold": False,
        "qcStatus": "PASS",
        "isPriority": False,
        "gift": False,
        "dispatchByTime": "2026-02-02T09:15:00.000+00:00",
        "startProcessingTime": "2026-01-31T09:15:00.000+00:00",
        "paymentMethod": "NCOD",
        "shippingAddress": SHIP_ADDRESS,
        "billingAddress": BILL_ADDRESS,
        "orderItems": [
            {
                "channelSkuCode": "SKU-1",
                "orderItemCode": "1001",
                "quantity": 2,
                "sellingPricePerUnit": 1180.0,
                "channelDiscountPerUnit": 100.0,
                "shippingChargePerUnit": 0.0,
            }
        ],
        "orderCustomAttributes": {
            "currency": "INR",
            "channelMetadata": {"entityId": 100, "status": "pending", "paymentMethod": "checkmo"},
        },
    }


def test_it_merges_a_configurable_parent_and_child_into_one_item() -> None:
    parent = mo.item(2001, "TEE-RED-M", 1, 999.0, product_type="configurable", qty_invoiced=0)
    child = mo.item(2002, "TEE-RED-M", 1, 0.0, parent_item_id=2001, price=0, row_total=0)
    child["name"] = "Tee Red M"
    body = outward(mo.order(200, items=[parent, child]))
    assert body["orderItems"] == [
        {
            "channelSkuCode": "TEE-RED-M",
            "orderItemCode": "2002",
            "quantity": 1,
            "sellingPricePerUnit": 999.0,
            "channelDiscountPerUnit": 0.0,
            "shippingChargePerUnit": 0.0,
        }
    ]


def test_it_invoices_and_ships_a_configurable_through_the_parent_id() -> None:
    parent = mo.item(2001, "TEE-RED-M", 1, 999.0, product_type="configurable")
    child = mo.item(2002, "TEE-RED-M", 1, 0.0, parent_item_id=2001)
    order = order_upsert(raw=mo.order(200, items=[parent, child])).order
    line = order.lines.get()
    assert (line.item_id, line.magento_item_id) == (2002, 2001)


def test_it_sends_each_bundle_child_and_spreads_a_fixed_price() -> None:
    parent = mo.item(3001, "KIT", 1, 2000.0, product_type="bundle")
    a = mo.item(3002, "KIT-A", 1, 0.0, parent_item_id=3001, price=0, row_total_incl_tax=0)
    b = mo.item(3003, "KIT-B", 3, 0.0, parent_item_id=3001, price=0, row_total_incl_tax=0)
    body = outward(mo.order(300, items=[parent, a, b]))
    assert [
        (i["channelSkuCode"], i["quantity"], i["sellingPricePerUnit"]) for i in body["orderItems"]
    ] == [
        ("KIT-A", 1, 500.0),
        ("KIT-B", 3, 500.0),
    ]


def test_it_skips_virtual_lines_and_notes_them() -> None:
    raw = mo.order(
        400, items=[mo.item(4001, "SKU-1"), mo.item(4002, "GIFT-CARD", product_type="virtual")]
    )
    order = order_upsert(raw=raw).order
    assert [line.sku for line in order.lines.all()] == ["SKU-1"]
    assert "GIFT-CARD" in order.notes


def test_it_marks_cod_and_held_orders() -> None:
    raw = mo.order(500, method="cashondelivery", state="holded", status="holded")
    body = outward(raw)
    assert (body["paymentMethod"], body["onHold"]) == ("COD", True)


def test_it_splits_shipping_over_lines_by_row_total_then_per_unit() -> None:
    items = [mo.item(6001, "A", 1, 1000.0), mo.item(6002, "B", 2, 500.0)]
    body = outward(mo.order(600, items=items, shipping=100.0))
    assert [i["shippingChargePerUnit"] for i in body["orderItems"]] == [50.0, 25.0]


def test_it_uses_the_customer_email_when_the_address_has_none() -> None:
    raw = mo.order(700, guest=True)
    del raw["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["email"]
    order = order_upsert(raw=raw).order
    assert order.shipping_address["email"] == "asha@example.com"
    assert order.is_guest


def test_it_flags_a_decimal_quantity_as_a_data_error() -> None:
    raw = mo.order(800, items=[mo.item(8001, "ROPE", 1, qty_ordered=1.5)])
    order = order_upsert(raw=raw).order
    assert "qty_ordered of item 8001 (ROPE) is 1.5" in order.data_errors


def test_it_cuts_strings_to_255_characters() -> None:
    raw = mo.order(900)
    raw["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["city"] = (
        "x" * 300
    )
    assert len(outward(raw)["shippingAddress"]["city"]) == 255


def test_it_ignores_an_older_copy_of_an_order() -> None:
    order_upsert(raw=mo.order(950, status="processing", updated_at="2026-01-31 10:00:00"))
    result = order_upsert(raw=mo.order(950, status="pending", updated_at="2026-01-31 09:00:00"))
    assert result.stale and result.order.magento_status == "processing"
