"""POST /api/omni/handover (contract 4.8): recorded at once, shipped in Magento later."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channel import outbox
from channel.models import (
    AuditEvent,
    ErrorClass,
    IdempotencyRecord,
    Operation,
    OperationState,
    Order,
    OrderLifecycle,
    Shipment,
    ShipmentState,
)
from channel.services.fulfilment import magento_items
from channel.services.orders import order_upsert
from channel.services.shipments import PackItem, PackRequest, _tracks, shipment_pack
from simulators.magento import MagentoSimulator
from tests.support import magento_orders as mo

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


# --- the Magento shipment (the outbox) against the fake Magento ---------------------------------
def mirrored_in(magento: MagentoSimulator, qty: int = 2, **kwargs: object) -> Order:
    raw = magento.add_order([{"sku": "SKU-1", "qty": qty, "price": 100}], **kwargs)
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def packed_in(order: Order, shipment_id: int, quantity: int = 1) -> Shipment:
    request = PackRequest(
        order_code=order.order_code,
        location_code="WH1",
        shipment_id=shipment_id,
        items=[PackItem(sku="SKU-1", order_item_code=None, quantity=quantity)],
    )
    return shipment_pack(request=request)


def run_ships() -> list[Operation]:
    for operation in Operation.objects.filter(kind="magento.ship"):
        outbox.run_operation(operation.pk)
    return list(Operation.objects.filter(kind="magento.ship").order_by("pk"))


def test_it_ships_in_magento_with_the_awbs_as_tracks(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored_in(magento)
    shipment = packed_in(order, 1, 2)
    hand_over(api, item(shipment, "AWB1", "AWB1", "AWB2"))
    assert [op.state for op in run_ships()] == [OperationState.DONE]
    sent = magento.calls("POST", "/ship$")[0].json
    assert sent == {
        "items": [{"order_item_id": 1, "qty": 2}],
        "tracks": [
            {"track_number": "AWB1", "title": "Courier", "carrier_code": "custom"},
            {"track_number": "AWB2", "title": "Courier", "carrier_code": "custom"},
        ],
        "notify": False,
    }
    shipment.refresh_from_db()
    assert (shipment.state, shipment.magento_shipment_id) == (ShipmentState.SHIPPED, 1)
    assert order.lines.get().qty_shipped == 2


def test_it_sends_the_msi_source_of_the_location(
    api: APIClient, magento: MagentoSimulator, settings: object
) -> None:
    settings.MAGENTO_SOURCE_MAP = {"WH1": "wh-blr"}
    magento.msi_multi_source = True
    magento.source_codes.add("wh-blr")
    order = mirrored_in(magento)
    magento.set_stock("SKU-1", 10, source_code="wh-blr")
    shipment = packed_in(order, 1)
    hand_over(api, item(shipment, "AWB1"))
    assert [op.state for op in run_ships()] == [OperationState.DONE]
    arguments = magento.calls("POST", "/ship$")[0].json["arguments"]
    assert arguments == {"extension_attributes": {"source_code": "wh-blr"}}


def test_a_location_without_msi_source_waits_for_configuration(
    api: APIClient, magento: MagentoSimulator, settings: object
) -> None:
    settings.MAGENTO_SOURCE_MAP = {"WH9": "wh-9"}
    shipment = packed_in(mirrored_in(magento), 1)
    hand_over(api, item(shipment, "AWB1"))
    (operation,) = run_ships()
    assert (operation.state, operation.error_class, operation.last_error) == (
        OperationState.FAILED,
        ErrorClass.NEEDS_CONFIG,
        "MAGENTO_SOURCE_MAP has no MSI source for location WH1",
    )
    assert not magento.calls("POST", "/ship$")


def test_a_lost_ship_answer_is_read_back_by_its_tracking_number(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored_in(magento)
    first, second = packed_in(order, 1), packed_in(order, 2)
    hand_over(api, item(first, "AWB1"), item(second, "AWB2"))
    magento.inject("POST", "/ship$", "timeout_after", times=2)
    assert [op.state for op in run_ships()] == [OperationState.PENDING] * 2
    Operation.objects.filter(kind="magento.ship").update(next_attempt_at=first.created_at)
    assert [op.state for op in run_ships()] == [OperationState.DONE] * 2
    assert len(magento.shipments_for(order.entity_id)) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    tracks = {
        s["entity_id"]: s["tracks"][0]["track_number"]
        for s in magento.shipments_for(order.entity_id)
    }
    assert (tracks[first.magento_shipment_id], tracks[second.magento_shipment_id]) == (
        "AWB1",
        "AWB2",
    )


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        ("hold", "A shipment cannot be created when an order has a status of holded"),
        ("ship", "The order does not allow a shipment to be created."),
    ],
)
def test_magento_refusing_the_shipment_stops_it_for_a_person(
    api: APIClient, magento: MagentoSimulator, before: str, reason: str
) -> None:
    order = mirrored_in(magento, qty=1)
    shipment = packed_in(order, 1)
    hand_over(api, item(shipment, "AWB1"))
    getattr(magento, before)(order.entity_id)  # held, or shipped by someone in Magento
    (operation,) = run_ships()
    assert (operation.state, operation.error_class) == (
        OperationState.FAILED,
        ErrorClass.PERMANENT,
    )
    assert operation.last_error.startswith(f"Shipment Document Validation Error(s):\n{reason}")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.HANDED_OVER


def test_it_ships_a_bundle_that_ships_together_in_whole_bundles() -> None:
    parent = mo.item(3001, "KIT", 2, 2000.0, product_type="bundle")
    a = mo.item(3002, "KIT-A", 2, 0.0, parent_item_id=3001, price=0, row_total_incl_tax=0)
    b = mo.item(3003, "KIT-B", 6, 0.0, parent_item_id=3001, price=0, row_total_incl_tax=0)
    order_upsert(raw=mo.order(300, items=[parent, a, b]))
    request = PackRequest(
        order_code="000000300",
        location_code="WH1",
        shipment_id=1,
        items=[
            PackItem(sku="KIT-A", order_item_code=None, quantity=1),
            PackItem(sku="KIT-B", order_item_code=None, quantity=3),
        ],
    )
    assert magento_items(shipment_pack(request=request)) == [{"order_item_id": 3001, "qty": 1}]


def test_a_box_awb_another_shipment_carries_is_not_adopted_twice(api: APIClient) -> None:
    first, second = packed(100, 1), packed(200, 2)
    assert hand_over(api, item(first, "AWB-SAME")).status_code == 200
    assert hand_over(api, item(second, "AWB-SAME")).status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.awb_number, first.awb_source) == ("AWB-SAME", "omni")
    assert (second.awb_number, second.state) == ("", ShipmentState.HANDED_OVER)


def test_it_learns_from_magento_that_a_bundle_ships_separately(
    api: APIClient, magento: MagentoSimulator
) -> None:
    from channel.services.sync import sync_magento

    kit = {
        "type": "bundle",
        "sku": "POOJA-KIT",
        "qty": 1,
        "ship_together": False,
        "children": [{"sku": "DIYA", "qty": 2, "price": 100}, {"sku": "AGARBATTI", "qty": 1}],
    }
    created = magento.add_order([kit])
    sync_magento()
    request = PackRequest(
        order_code=created["increment_id"],
        location_code="WH1",
        shipment_id=77,
        items=[
            PackItem(sku="DIYA", order_item_code=None, quantity=2),
            PackItem(sku="AGARBATTI", order_item_code=None, quantity=1),
        ],
    )
    shipment = shipment_pack(request=request)
    assert hand_over(api, item(shipment, "AWB-KIT")).status_code == 200
    (operation,) = run_ships()
    assert operation.state == OperationState.DONE
    (magento_shipment,) = magento.shipments_for(created["entity_id"])
    children = {i["item_id"] for i in created["items"] if i.get("parent_item_id")}
    assert {int(i["order_item_id"]) for i in magento_shipment["items"]} >= children
    assert AuditEvent.objects.filter(action="order.bundle_shipment_type").count() == 1


def test_a_late_earlier_ship_attempt_is_found_instead_of_failing(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored_in(magento, qty=1)
    shipment = packed_in(order, 1, 1)
    assert hand_over(api, item(shipment, "AWB-LATE")).status_code == 200
    # A killed worker's request reached Magento after the retry had looked: it is shipped now.
    magento.ship(order.entity_id, tracks=_tracks(Shipment.objects.get(pk=shipment.pk)))
    (operation,) = run_ships()
    assert operation.state == OperationState.DONE
    assert len(magento.shipments_for(order.entity_id)) == 1
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED
