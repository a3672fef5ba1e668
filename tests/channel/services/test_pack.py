"""POST /api/omni/shipments/pack (contract 4.3): shipments keyed by Omni's shipmentId."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from channel.models import AuditEvent, Invoice, Operation, Order, OrderLifecycle, Shipment
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db
URL = "/api/omni/shipments/pack"


@pytest.fixture
def order() -> Order:
    items = [mo.item(1001, "SKU-1", 3), mo.item(1002, "SKU-2", 1)]
    return order_upsert(raw=mo.order(100, items=items)).order


def pack(api: APIClient, shipment_id: object = 120001, **body: object) -> object:
    payload = {
        "orderCode": "000000100",
        "locationCode": "WH1",
        "shipmentId": shipment_id,
        "shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 2}],
        **body,
    }
    return api.post(URL, payload, format="json")


def test_it_packs_a_shipment_with_a_stable_code(api: APIClient, order: Order) -> None:
    response = pack(api, weight=450, dimensions={"length": 12, "breadth": 6, "height": 8})
    assert response.status_code == 200
    assert response.json() == {
        "orderCode": "000000100",
        "locationCode": "WH1",
        "shipmentId": 120001,
        "shipmentCode": "000000100-1",
    }
    shipment = Shipment.objects.get(shipment_id=120001)
    assert (shipment.weight_grams, shipment.dimensions) == (
        450,
        {"length": 12.0, "breadth": 6.0, "height": 8.0},
    )
    assert [(sl.order_line.item_id, sl.quantity) for sl in shipment.lines.all()] == [(1001, 2)]
    line = order.lines.get(item_id=1001)
    assert (line.qty_packed, line.qty_open) == (2, 1)
    order.refresh_from_db()
    assert (order.lifecycle, order.location_code) == (OrderLifecycle.IN_FULFILMENT, "WH1")
    event = AuditEvent.objects.get(action="order.packed")
    assert (event.subject, event.actor) == ("shipment:000000100-1", "omni")


def test_it_numbers_the_shipments_of_an_order(api: APIClient, order: Order) -> None:
    pack(api, 1)
    response = pack(api, "2", shipmentItems=[{"channelSkuCode": "SKU-2", "quantityToPack": 1}])
    assert response.json()["shipmentCode"] == "000000100-2"
    assert response.json()["shipmentId"] == 2


def test_it_queues_the_invoice_at_pack(api: APIClient, order: Order) -> None:
    pack(api)
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.capture) == ("pending", False)  # checkmo is offline
    assert Operation.objects.filter(kind="magento.create_invoice").count() == 1


def test_it_does_not_invoice_at_pack_when_switched_off(
    api: APIClient, order: Order, settings: object
) -> None:
    settings.INVOICE_AT_PACK = False
    pack(api)
    assert not Invoice.objects.exists()
    assert not Operation.objects.filter(kind="magento.create_invoice").exists()


def test_it_takes_the_items_from_the_invoice_when_shipment_items_are_absent(
    api: APIClient, order: Order
) -> None:
    body = {"invoice": {"invoiceItems": [{"channelSkuCode": "SKU-2", "quantity": 1}]}}
    response = pack(api, shipmentItems=None, **body)
    assert response.status_code == 200
    shipment = Shipment.objects.get()
    assert [sl.order_line.sku for sl in shipment.lines.all()] == ["SKU-2"]


def test_it_accepts_both_spellings_of_the_box_list(api: APIClient, order: Order) -> None:
    pack(api, 1, packboxDetailsList=[{"boxId": 1, "awbNumber": "AWB1"}])
    pack(
        api,
        2,
        shipmentItems=[{"channelSkuCode": "SKU-2", "quantityToPack": 1}],
        packBoxDetailsList=[{"boxId": 1, "awbNumber": "AWB2"}],
    )
    assert [s.box_awbs for s in Shipment.objects.order_by("shipment_id")] == [
        [{"boxId": 1, "awbNumber": "AWB1"}],
        [{"boxId": 1, "awbNumber": "AWB2"}],
    ]


def test_it_replays_a_repeat_byte_for_byte(api: APIClient, order: Order) -> None:
    first = pack(api)
    second = pack(api, "120001", weight=999)  # same items; other fields don't make it different
    assert (second.status_code, second.content) == (200, first.content)
    assert Shipment.objects.count() == 1
    assert order.lines.get(item_id=1001).qty_packed == 2


@pytest.mark.parametrize(
    "change",
    [
        {"shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 1}]},
        {"shipmentItems": [{"channelSkuCode": "SKU-2", "quantityToPack": 1}]},
        {"orderCode": "000000101"},
    ],
)
def test_it_refuses_the_same_shipment_id_with_other_content(
    api: APIClient, order: Order, change: dict
) -> None:
    order_upsert(raw=mo.order(101))
    pack(api)
    response = pack(api, **change)
    assert response.status_code == 409
    assert response.json() == {
        "hasError": True,
        "errorMessage": "shipmentId 120001 was already used for a different request.",
    }


def test_it_packs_an_item_by_its_order_item_code(api: APIClient) -> None:
    items = [mo.item(2001, "SKU-1", 1), mo.item(2002, "SKU-1", 1)]
    order_upsert(raw=mo.order(200, items=items))
    body = {"orderCode": "000000200", "locationCode": "WH1", "shipmentId": 5}
    item = {"channelSkuCode": "SKU-1", "orderItemCode": "2002", "quantityToPack": 1}
    assert api.post(URL, {**body, "shipmentItems": [item]}, format="json").status_code == 200
    assert Shipment.objects.get().lines.get().order_line.item_id == 2002


def test_it_spreads_a_sku_over_lines_without_an_item_code(api: APIClient) -> None:
    items = [mo.item(2001, "SKU-1", 1), mo.item(2002, "SKU-1", 2)]
    order_upsert(raw=mo.order(200, items=items))
    body = {"orderCode": "000000200", "locationCode": "WH1", "shipmentId": 5}
    item = {"channelSkuCode": "SKU-1", "quantityToPack": 3}
    assert api.post(URL, {**body, "shipmentItems": [item]}, format="json").status_code == 200
    assert [
        (sl.order_line.item_id, sl.quantity) for sl in Shipment.objects.get().lines.order_by("pk")
    ] == [(2001, 1), (2002, 2)]


def test_it_packs_a_configurable_under_the_child_sku(api: APIClient) -> None:
    parent = mo.item(3001, "TEE-M", 1, 999.0, product_type="configurable")
    child = mo.item(3002, "TEE-M", 1, 0.0, parent_item_id=3001)
    order_upsert(raw=mo.order(300, items=[parent, child]))
    body = {"orderCode": "000000300", "locationCode": "WH1", "shipmentId": 7}
    item = {"channelSkuCode": "TEE-M", "orderItemCode": "3002", "quantityToPack": 1}
    assert api.post(URL, {**body, "shipmentItems": [item]}, format="json").status_code == 200


def error(response: object) -> tuple[int, str]:
    return response.status_code, response.json()["errorMessage"]


def test_it_answers_404_for_an_unknown_order(api: APIClient) -> None:
    assert error(pack(api)) == (404, "Order 000000100 is unknown.")


def test_it_refuses_more_than_the_open_quantity(api: APIClient, order: Order) -> None:
    pack(api, 1)
    response = pack(api, 2)
    assert error(response) == (
        409,
        "Order 000000100 has 1 of SKU-1 left to pack (ordered − cancelled − already packed); "
        "cannot pack 2.",
    )


def test_it_refuses_cancelled_units(api: APIClient, order: Order) -> None:
    order.lines.filter(item_id=1001).update(qty_cancelled_by_omni=2)
    assert error(pack(api))[0] == 409


def test_it_refuses_more_than_was_ordered_as_bad_input(api: APIClient, order: Order) -> None:
    response = pack(api, shipmentItems=[{"channelSkuCode": "SKU-1", "quantityToPack": 4}])
    assert error(response) == (400, "Order 000000100 has only 3 of SKU-1; cannot pack 4.")


def test_it_refuses_an_unknown_sku_or_item(api: APIClient, order: Order) -> None:
    response = pack(api, shipmentItems=[{"channelSkuCode": "NOPE", "quantityToPack": 1}])
    assert error(response) == (400, "Order 000000100 has no item with SKU NOPE.")
    item = {"channelSkuCode": "SKU-1", "orderItemCode": "1002", "quantityToPack": 1}
    response = pack(api, shipmentItems=[item])
    assert error(response) == (400, "Order 000000100 has no item 1002 with SKU SKU-1.")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("canceled", "Order 000000100 is cancelled."),
        ("holded", "Order 000000100 is on hold in Magento."),
        ("complete", "Order 000000100 is complete in Magento; nothing can be packed."),
    ],
)
def test_it_refuses_an_order_that_cannot_be_packed(
    api: APIClient, order: Order, state: str, message: str
) -> None:
    Order.objects.filter(pk=order.pk).update(magento_state=state)
    assert error(pack(api)) == (409, message)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shipmentId": "12a"}, "shipmentId"),
        ({"shipmentId": -1}, "shipmentId"),
        ({"shipmentId": 2**63}, "shipmentId"),
        ({"shipmentId": True}, "shipmentId"),
        ({"orderCode": None}, "orderCode"),
        ({"locationCode": ""}, "locationCode"),
        ({"shipmentItems": []}, "shipmentItems"),
        ({"shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 0}]}, "shipmentItems"),
        ({"weight": "heavy"}, "weight"),
    ],
)
def test_it_rejects_bad_input(api: APIClient, order: Order, change: dict, field: str) -> None:
    response = pack(api, **change)
    assert response.status_code == 400
    assert response.json()["hasError"] is True
    assert any(key.startswith(field) for key in response.json()["errors"])


def test_it_rejects_strings_longer_than_255(api: APIClient, order: Order) -> None:
    response = pack(api, packageSku="x" * 256)
    assert error(response) == (
        400,
        "Invalid request: packageSku: Ensure this field has no more than 255 characters.",
    )
    assert pack(api, packageSku="x" * 255).status_code == 200


def test_it_stores_the_request_for_support(api: APIClient, order: Order) -> None:
    pack(api, fulfillmentType="BLOCK_COMPLETE", unknownField={"a": 1})
    assert json.dumps(Shipment.objects.get().pack_request["unknownField"]) == '{"a": 1}'


def test_it_answers_400_for_a_null_item(api: APIClient, order: Order) -> None:
    """Found by fuzzing: a null in shipmentItems reached the item mapping, and pack answered 500."""
    response = pack(api, shipmentItems=[None, None])
    assert (response.status_code, response.json()) == (
        400,
        {
            "hasError": True,
            "errorMessage": "Invalid request: shipmentItems[0]: This field may not be null. "
            "(and 1 more)",
            "errors": {
                "shipmentItems[0]": ["This field may not be null."],
                "shipmentItems[1]": ["This field may not be null."],
            },
        },
    )
    assert not Shipment.objects.exists()
