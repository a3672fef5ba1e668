"""MAGENTO_SHIPMENT_AT=pack (contract 8.5): the Magento shipment is made at pack, the label comes
from it (a courier extension's AWB and PDF), and the handover adds no second track."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from channel import outbox
from channel.models import AuditEvent, Operation, OperationState, Order, Shipment, ShipmentState
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.shipping import add_series, make_location, pdf_of

pytestmark = pytest.mark.django_db
SERIES_FIRST = "1490821234567"


@pytest.fixture(autouse=True)
def at_pack(settings: Any, db: None, omni: OmniSimulator) -> None:
    settings.MAGENTO_SHIPMENT_AT = "pack"
    make_location("WH1")
    add_series(start=1490821234567, end=1490821239999, prefix="")


def drain() -> None:
    for _ in range(10):
        pending = Operation.objects.filter(state=OperationState.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())
        outbox.run_due()
    raise AssertionError(list(Operation.objects.exclude(state=OperationState.DONE).values()))


def order_of(magento: MagentoSimulator) -> Order:
    raw = magento.add_order([{"sku": "SKU-1", "qty": 2, "price": 100}], payment_method="razorpay")
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def pack(api: APIClient, order: Order, shipment_id: int = 120001) -> Any:
    body = {
        "orderCode": order.order_code,
        "locationCode": "WH1",
        "shipmentId": shipment_id,
        "shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 2}],
    }
    response = api.post("/api/omni/shipments/pack", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def label(api: APIClient, order: Order, code: str) -> dict[str, Any]:
    response = api.get(
        "/api/omni/shipping-label", {"orderCode": order.order_code, "shipmentCode": code}
    )
    assert response.status_code == 200, response.content
    return response.json()


def hand_over(api: APIClient, order: Order, code: str, awb: str) -> None:
    item = {
        "orderCode": order.order_code,
        "shipmentCode": code,
        "gatePassCode": "G1",
        "packBoxDetailsList": [{"boxId": 1, "awbNumber": awb}],
    }
    body = {"locationCode": "WH1", "handoverItems": [item]}
    response = api.post("/api/omni/handover", body, format="json")
    assert response.status_code == 200, response.json()


def test_the_label_carries_magentos_awb_and_pdf_and_handover_adds_no_second_track(
    api: APIClient, magento: MagentoSimulator
) -> None:
    magento.courier_extension = True
    order = order_of(magento)
    code = pack(api, order)["shipmentCode"]
    assert pack(api, order)["shipmentCode"] == code  # Omni repeats the pack
    body = label(api, order, code)  # the pack's shipment is made now, if not yet
    (made,) = magento.shipments_for(order.entity_id)
    (track,) = made["tracks"]
    assert (body["awbNumber"], body["transporter"]) == (track["track_number"], "Delhivery")
    assert pdf_of(body["shippingLabel"]) == base64.b64decode(made["shipping_label"])
    assert [i["qty"] for i in made["items"]] == [2]  # the packed items
    assert label(api, order, code) == body  # a repeat answers the same
    shipment = Shipment.objects.get()
    assert (shipment.magento_shipment_id, shipment.state) == (made["entity_id"], "packed")
    assert shipment.label_from_magento

    hand_over(api, order, code, body["awbNumber"])
    hand_over(api, order, code, body["awbNumber"])  # Omni repeats
    drain()
    assert len(magento.shipments_for(order.entity_id)) == 1
    assert len(magento.shipments[made["entity_id"]]["tracks"]) == 1
    assert not magento.calls("POST", r"/shipment/track$")
    assert len(magento.calls("POST", r"/shipment/\d+/emails$")) == 1
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED
    assert magento.get_order(order.entity_id)["state"] == "complete"


def test_without_the_extension_the_label_is_the_proxys_and_handover_adds_the_track(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = order_of(magento)
    code = pack(api, order)["shipmentCode"]
    drain()  # the worker makes the shipment at pack
    (made,) = magento.shipments_for(order.entity_id)
    assert made["tracks"] == []
    body = label(api, order, code)
    assert body["awbNumber"] == SERIES_FIRST  # the AWB series
    assert b"%PDF" in pdf_of(body["shippingLabel"])[:8]
    assert not Shipment.objects.get().label_from_magento

    hand_over(api, order, code, SERIES_FIRST)
    drain()
    assert len(magento.shipments_for(order.entity_id)) == 1
    tracks = magento.shipments[made["entity_id"]]["tracks"]
    assert [t["track_number"] for t in tracks] == [SERIES_FIRST]
    assert magento.shipments[made["entity_id"]]["email_sent"] == 1


def test_a_shipment_made_whose_answer_was_lost_is_found_by_its_marker(
    api: APIClient, magento: MagentoSimulator
) -> None:
    magento.courier_extension = True
    order = order_of(magento)
    code = pack(api, order)["shipmentCode"]
    magento.inject("POST", r"/order/\d+/ship$", "timeout_after")
    drain()
    assert len(magento.shipments_for(order.entity_id)) == 1
    assert (
        Shipment.objects.get().magento_shipment_id
        == magento.shipments_for(order.entity_id)[0]["entity_id"]
    )
    assert label(api, order, code)["transporter"] == "Delhivery"
    assert len(magento.calls("POST", r"/order/\d+/ship$")) == 1


def test_the_label_waits_while_magento_cannot_make_the_shipment(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = order_of(magento)
    code = pack(api, order)["shipmentCode"]
    magento.inject("POST", r"/order/\d+/ship$", "status", status=503)
    response = api.get(
        "/api/omni/shipping-label", {"orderCode": order.order_code, "shipmentCode": code}
    )
    assert response.status_code == 503
    assert "not created yet" in response.json()["errorMessage"]
    assert label(api, order, code)["awbNumber"] == SERIES_FIRST  # once Magento is back


def test_the_timeline_shows_the_shipment_made_at_pack(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = order_of(magento)
    pack(api, order)
    drain()
    event = AuditEvent.objects.get(action="order.shipment_made_at_pack")
    assert event.message.startswith("Magento shipment 1 created at pack")
