"""End to end: intake → acknowledge → pack → invoice → handover → Magento `complete`.

Against the fake Magento and fake Omni (in-process, and once over loopback HTTP), with Omni
repeating every call and Magento losing answers, so that every proxy shipment ends as exactly one
Magento invoice and one Magento shipment.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from channel import outbox
from channel.integrations import http
from channel.models import Operation, OperationState, Order, OrderLifecycle, Shipment
from channel.services.sync import sync_magento
from simulators.base import serve
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator

pytestmark = pytest.mark.django_db
OK = {"hasError": False, "errorMessage": ""}


def drain(rounds: int = 10) -> None:
    """Run the outbox until nothing is pending, ignoring backoff (time passes)."""
    for _ in range(rounds):
        pending = Operation.objects.filter(state=OperationState.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())
        outbox.run_due()
    raise AssertionError(list(Operation.objects.exclude(state=OperationState.DONE).values()))


def twice(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Omni repeats: the second answer must be the first, byte for byte."""
    first = call(*args, **kwargs)
    second = call(*args, **kwargs)
    if first.status_code < 300:
        assert (second.status_code, second.content) == (first.status_code, first.content)
    else:  # a refusal may name a newer last error (e.g. another Magento call that failed)
        assert second.status_code == first.status_code
    return first


class Omni:
    """What Omni sends, as the test's script."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def ack(self, code: str, location: str = "WH1") -> Any:
        body = {"orders": [{"orderCode": code, "locationCode": location}]}
        return twice(self.api.put, "/api/omni/orders/acknowledge", body, format="json")

    def pack(self, code: str, shipment_id: int, items: dict[str, int]) -> Any:
        body = {
            "orderCode": code,
            "locationCode": "WH1",
            "shipmentId": shipment_id,
            "shipmentItems": [
                {"channelSkuCode": sku, "quantityToPack": qty} for sku, qty in items.items()
            ],
        }
        return twice(self.api.post, "/api/omni/shipments/pack", body, format="json")

    def invoice(self, code: str, shipment_code: str) -> Any:
        body = {"orderCode": code, "shipmentCode": shipment_code}
        return twice(self.api.post, "/api/omni/invoices", body, format="json")

    def handover(self, code: str, *shipments: tuple[str, str]) -> Any:
        items = [
            {
                "orderCode": code,
                "shipmentCode": shipment_code,
                "gatePassCode": "GP-1",
                "packBoxDetailsList": [{"boxId": 1, "awbNumber": awb}],
            }
            for shipment_code, awb in shipments
        ]
        body = {"locationCode": "WH1", "handoverItems": items}
        return twice(self.api.post, "/api/omni/handover", body, format="json")

    def cancel(self, code: str, sku: str, quantity: int) -> Any:
        body = {
            "orderCode": code,
            "orderItems": [{"channelSkuCode": sku, "cancelledQuantity": quantity}],
        }
        return twice(self.api.put, "/api/omni/orders/cancel", body, format="json")


@pytest.fixture
def omni_calls(api: APIClient, omni: OmniSimulator) -> Omni:
    return Omni(api)


def intake(magento: MagentoSimulator, omni: OmniSimulator, order_code: str) -> Order:
    sync_magento()
    drain()
    assert order_code in omni.orders  # pushed to Omni
    return Order.objects.get(order_code=order_code)


def assert_one_document_each(magento: MagentoSimulator, order: Order) -> None:
    shipments = list(Shipment.objects.filter(order=order))
    assert len(magento.invoices_for(order.entity_id)) == len(shipments)
    assert len(magento.shipments_for(order.entity_id)) == len(shipments)
    recorded = {s.invoice.magento_invoice_id for s in shipments}
    assert recorded == {i["entity_id"] for i in magento.invoices_for(order.entity_id)}
    assert {s.magento_shipment_id for s in shipments} == {
        s["entity_id"] for s in magento.shipments_for(order.entity_id)
    }


def test_a_cod_order_in_two_shipments_completes(
    magento: MagentoSimulator, omni: OmniSimulator, omni_calls: Omni
) -> None:
    lines = [{"sku": "SKU-1", "qty": 2, "price": 500}, {"sku": "SKU-2", "qty": 1, "price": 300}]
    magento.add_order(lines, payment_method="cashondelivery")
    order = intake(magento, omni, "000000001")

    assert omni_calls.ack("000000001").json()["successOrders"] == [
        {"locationCode": "WH1", "orderCode": "000000001"}
    ]
    first = omni_calls.pack("000000001", 9001, {"SKU-1": 2}).json()["shipmentCode"]
    second = omni_calls.pack("000000001", 9002, {"SKU-2": 1}).json()["shipmentCode"]
    assert (first, second) == ("000000001-1", "000000001-2")
    drain()  # invoices at pack
    assert omni_calls.invoice("000000001", first).status_code == 200
    assert omni_calls.handover("000000001", (first, "AWB1"), (second, "AWB2")).json() == OK
    drain()

    assert magento.get_order(order.entity_id)["state"] == "complete"
    assert [c.json["capture"] for c in magento.calls("POST", "/invoice$")] == [False, False]
    assert [
        [t["track_number"] for t in s["tracks"]] for s in magento.shipments_for(order.entity_id)
    ] == [["AWB1"], ["AWB2"]]
    assert_one_document_each(magento, order)
    order.refresh_from_db()
    assert (order.lifecycle, order.magento_state) == (OrderLifecycle.FULFILLED, "complete")
    assert [
        (line.qty_packed, line.qty_invoiced, line.qty_handed_over, line.qty_shipped)
        for line in order.lines.all()
    ] == [(2, 2, 2, 2), (1, 1, 1, 1)]
    actions = list(order.events.order_by("pk").values_list("action", flat=True))
    for step in ("order.acknowledged", "order.packed", "order.invoiced", "order.handed_over"):
        assert step in actions
    assert actions.count("order.shipped") == 2


def test_a_prepaid_configurable_completes_when_magento_loses_answers(
    magento: MagentoSimulator, omni: OmniSimulator, omni_calls: Omni
) -> None:
    line = {"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": 2}
    magento.add_order(
        [{**line, "price": 1180, "tax_percent": 18}], payment_method="razorpay", tax_percent=18
    )
    order = intake(magento, omni, "000000001")
    omni_calls.ack("000000001")
    magento.inject("POST", "/invoice$", "timeout_after")
    magento.inject("POST", "/ship$", "timeout_after")

    code = omni_calls.pack("000000001", 7001, {"TEE-RED-M": 2}).json()["shipmentCode"]
    drain()  # the invoice is made, its answer lost, then read back
    assert omni_calls.invoice("000000001", code).json()["invoiceDetails"][0]["quantity"] == 2
    omni_calls.handover("000000001", (code, "AWB-9"))
    drain()  # the shipment is made, its answer lost, then read back

    assert magento.get_order(order.entity_id)["state"] == "complete"
    assert len(magento.calls("POST", "/invoice$")) == 1
    assert len(magento.calls("POST", "/ship$")) == 1
    assert magento.calls("POST", "/invoice$")[0].json["capture"] is True
    assert magento.calls("POST", "/ship$")[0].json["items"] == [{"order_item_id": 1, "qty": 2}]
    assert_one_document_each(magento, order)
    results = Operation.objects.filter(kind__in=["magento.create_invoice", "magento.ship"])
    assert all(op.result.get("readBack") for op in results)


def test_a_partly_cancelled_order_completes_after_the_last_handover(
    magento: MagentoSimulator, omni: OmniSimulator, omni_calls: Omni
) -> None:
    magento.add_order([{"sku": "SKU-1", "qty": 3, "price": 100}], payment_method="checkmo")
    order = intake(magento, omni, "000000001")
    omni_calls.ack("000000001")
    assert omni_calls.cancel("000000001", "SKU-1", 1).json() == OK
    pack = omni_calls.pack("000000001", 1, {"SKU-1": 3})
    assert pack.status_code == 409  # one of the three is cancelled
    code = omni_calls.pack("000000001", 1, {"SKU-1": 2}).json()["shipmentCode"]
    omni_calls.handover("000000001", (code, "AWB1"))
    drain()

    raw = magento.get_order(order.entity_id)
    assert raw["state"] == "complete"
    item = raw["items"][0]
    assert (item["qty_invoiced"], item["qty_shipped"], item["qty_canceled"]) == (2, 2, 1)
    assert magento.calls("POST", "/ship$")[0].json["items"] == [{"order_item_id": 1, "qty": 2}]
    assert magento.calls("POST", "/invoice$")[0].json["items"] == [{"order_item_id": 1, "qty": 2}]
    magento.advance_clock(120)
    sync_magento()
    drain()
    assert omni.cancellations == {}  # Omni's own cancellation is not echoed back
    order.refresh_from_db()
    assert order.lifecycle == OrderLifecycle.FULFILLED
    assert "order.remainder_cancelled" in order.events.values_list("action", flat=True)


def test_pack_handover_and_invoice_answer_in_time_while_magento_is_down(
    magento: MagentoSimulator, omni: OmniSimulator, omni_calls: Omni
) -> None:
    magento.add_order([{"sku": "SKU-1", "qty": 1, "price": 100}], payment_method="cashondelivery")
    order = intake(magento, omni, "000000001")
    magento.inject("*", ".", "reset", times=1000)  # Magento refuses every connection
    started = time.monotonic()
    code = omni_calls.pack("000000001", 1, {"SKU-1": 1}).json()["shipmentCode"]
    assert omni_calls.invoice("000000001", code).status_code == 409  # pending
    assert omni_calls.handover("000000001", (code, "AWB1")).json() == OK
    assert time.monotonic() - started < 10
    outbox.run_due()
    assert not magento.invoices and not magento.shipments

    magento.clear_faults()  # Magento is back
    drain()
    assert magento.get_order(order.entity_id)["state"] == "complete"
    assert_one_document_each(magento, order)


@pytest.fixture
def loopback_magento(magento: MagentoSimulator, settings: Any) -> Iterator[MagentoSimulator]:
    http.unmount_all()
    with serve(magento) as server:
        settings.MAGENTO_BASE_URL = f"{server.base_url}/rest/default"
        magento.timeout_sleep_seconds = 0.5
        yield magento


def test_the_flow_over_real_http_with_lost_answers(
    loopback_magento: MagentoSimulator, omni: OmniSimulator, omni_calls: Omni, settings: Any
) -> None:
    settings.MAGENTO_BACKGROUND_READ_TIMEOUT = 0.3
    magento = loopback_magento
    magento.add_order([{"sku": "SKU-1", "qty": 1, "price": 100}], payment_method="razorpay")
    sync_magento()
    order = Order.objects.get()
    drain()
    omni_calls.ack(order.order_code)
    magento.inject("POST", "/invoice$", "timeout_after")
    magento.inject("POST", "/ship$", "timeout_after")
    code = omni_calls.pack(order.order_code, 1, {"SKU-1": 1}).json()["shipmentCode"]
    omni_calls.handover(order.order_code, (code, "AWB1"))
    drain()
    assert omni_calls.invoice(order.order_code, code).status_code == 200
    assert magento.get_order(order.entity_id)["state"] == "complete"
    assert_one_document_each(magento, order)
