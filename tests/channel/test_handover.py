"""POST /api/omni/handover (contract 4.8): recorded at once, shipped in Magento later."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channel.models import (
    AuditEvent,
    IdempotencyRecord,
    Operation,
    Order,
    OrderLifecycle,
    Shipment,
    ShipmentState,
)
from channel.orders import order_upsert
from channel.shipments import PackItem, PackRequest, _tracks, shipment_pack
from tests import magento_orders as mo

pytestmark = pytest.mark.django_db
URL = "/api/omni/handover"
OK = {"hasError": False, "errorMessage": ""}


def packed(entity_id: int = 100, shipment_id: int = 1, location: str = "WH1") -> Shipment:
    if not Order.objects.filter(entity_id=entity_id).exists():
        order_upsert(raw=mo.order(entity_id, items=[mo.item(entity_id * 10 + 1, "SKU-1", 1)]))
    request = PackRequest(
        order_code=f"{entity_id:09d}",
        location_code=location,
        shipment_id=shipment_id,
        items=[PackItem(sku="SKU-1", order_item_code=None, quantity=1)],
    )
    return shipment_pack(request=request)


def item(shipment: Shipment, *awbs: str, **extra: object) -> dict:
    boxes = [{"boxId": n, "awbNumber": awb} for n, awb in enumerate(awbs, 1)]
    return {
        "orderCode": shipment.order.order_code,
        "shipmentCode": shipment.shipment_code,
        "gatePassCode": "G1",
        "packBoxDetailsList": boxes,
        **extra,
    }


def hand_over(api: APIClient, *items: dict, location: str = "WH1") -> object:
    return api.post(URL, {"locationCode": location, "handoverItems": list(items)}, format="json")


def test_it_records_the_handover_and_queues_the_magento_shipment(api: APIClient) -> None:
    shipment = packed()
    response = hand_over(api, item(shipment, "AWB1", "AWB2"))
    assert (response.status_code, response.json()) == (200, OK)
    shipment.refresh_from_db()
    assert (shipment.state, shipment.awb_number, shipment.gate_pass_code) == (
        ShipmentState.HANDED_OVER,
        "AWB1",
        "G1",
    )
    assert shipment.handed_over_at is not None
    ship = Operation.objects.get(kind="magento.ship")
    assert (ship.target, ship.payload) == ("shipment:000000100-1", {"shipment": shipment.pk})
    order = shipment.order
    order.refresh_from_db()
    assert order.lifecycle == OrderLifecycle.FULFILLED
    assert order.lines.get().qty_handed_over == 1
    event = AuditEvent.objects.get(action="order.handed_over")
    assert event.message == (
        "Shipment 000000100-1 handed over to the courier (AWB AWB1, AWB2, gate pass G1)"
    )


def test_it_queues_the_invoice_when_it_was_not_made_at_pack(
    api: APIClient, settings: object
) -> None:
    settings.INVOICE_AT_PACK = False
    shipment = packed()
    hand_over(api, item(shipment, "AWB1"))
    assert Operation.objects.filter(kind="magento.create_invoice").count() == 1


def test_it_hands_over_several_shipments_in_one_request(api: APIClient) -> None:
    first, second = packed(100, 1), packed(200, 2)
    assert hand_over(api, item(first, "A1"), item(second, "A2")).status_code == 200
    assert Operation.objects.filter(kind="magento.ship").count() == 2


def test_it_answers_a_repeat_with_the_same_body_without_acting_again(api: APIClient) -> None:
    shipment = packed()
    first = hand_over(api, item(shipment, "AWB1"))
    second = hand_over(api, item(shipment, "AWB1"))
    assert (second.status_code, second.content) == (200, first.content)
    assert Operation.objects.filter(kind="magento.ship").count() == 1
    assert AuditEvent.objects.filter(action="order.handed_over").count() == 1


def test_it_takes_the_new_items_of_a_request_that_repeats_some(api: APIClient) -> None:
    first, second = packed(100, 1), packed(200, 2)
    hand_over(api, item(first, "A1"))
    assert hand_over(api, item(first, "A1"), item(second, "A2")).status_code == 200
    assert Operation.objects.filter(kind="magento.ship").count() == 2


def test_it_refuses_a_repeat_with_other_awbs(api: APIClient) -> None:
    shipment = packed()
    hand_over(api, item(shipment, "AWB1"))
    response = hand_over(api, item(shipment, "AWB9"))
    assert response.status_code == 409
    assert response.json()["errorMessage"] == (
        "shipmentCode 000000100-1 was already used for a different request."
    )


def test_it_answers_404_for_an_unknown_shipment_and_records_nothing(api: APIClient) -> None:
    shipment = packed()
    unknown = {"orderCode": "000000100", "shipmentCode": "000000100-9"}
    response = hand_over(api, item(shipment, "AWB1"), unknown)
    assert response.status_code == 404
    assert response.json()["errorMessage"] == (
        "Unknown shipment(s): 000000100-9 (shipmentCode with its orderCode)."
    )
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PACKED
    assert not Operation.objects.filter(kind="magento.ship").exists()
    assert not IdempotencyRecord.objects.exists()


def test_it_answers_404_for_a_shipment_of_another_order(api: APIClient) -> None:
    shipment = packed()
    order_upsert(raw=mo.order(200))
    response = hand_over(api, item(shipment, "AWB1", orderCode="000000200"))
    assert response.status_code == 404


def test_it_answers_400_for_a_shipment_of_another_location(api: APIClient) -> None:
    here, there = packed(100, 1), packed(200, 2, location="WH2")
    response = hand_over(api, item(here, "A1"), item(there, "A2"))
    assert response.status_code == 400
    assert response.json()["errorMessage"] == (
        "Shipment(s) 000000200-1 were packed at another location than WH1."
    )
    assert not Shipment.objects.filter(state=ShipmentState.HANDED_OVER).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"handoverItems": []},
        {"locationCode": "WH1"},
        {"locationCode": "WH1", "handoverItems": [{"orderCode": "000000100"}]},
        {"locationCode": "x" * 256, "handoverItems": [{"orderCode": "1", "shipmentCode": "1"}]},
    ],
)
def test_it_rejects_bad_input(api: APIClient, body: dict) -> None:
    packed()
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["hasError"] is True


def test_it_accepts_the_other_spelling_of_the_box_list(api: APIClient) -> None:
    shipment = packed()
    body = item(shipment)
    del body["packBoxDetailsList"]
    body["packboxDetailsList"] = [{"boxId": 1, "awbNumber": "AWB7"}]
    assert hand_over(api, body).status_code == 200
    shipment.refresh_from_db()
    assert shipment.awb_number == "AWB7"


def test_it_keeps_an_awb_assigned_before_and_adds_the_box_awbs(api: APIClient) -> None:
    shipment = packed()
    Shipment.objects.filter(pk=shipment.pk).update(awb_number="LABEL1", transporter="Delhivery")
    hand_over(api, item(shipment, "LABEL1", "BOX2"))
    shipment.refresh_from_db()
    assert _tracks(shipment) == [
        {"track_number": "LABEL1", "title": "Delhivery", "carrier_code": "custom"},
        {"track_number": "BOX2", "title": "Delhivery", "carrier_code": "custom"},
    ]
