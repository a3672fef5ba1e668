"""Seller cancellation of prepaid orders (contract 8.3): invoiced units are refunded by a credit
memo (online when the invoice was captured online), the rest is cancelled; never two memos."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from channel import outbox
from channel.models import (
    AuditEvent,
    CreditMemo,
    CreditMemoState,
    Operation,
    OperationState,
    Order,
    OrderLifecycle,
)
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders/cancel"


def prepaid(magento: MagentoSimulator, method: str = "razorpay", qty: int = 3) -> Order:
    magento.prepaid_methods = {"razorpay", "checkmo"}
    raw = magento.add_order([{"sku": "SKU-1", "qty": qty, "price": 100}], payment_method=method)
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def cancel(api: APIClient, order: Order, quantity: int) -> Any:
    line = order.lines.get()
    items = [
        {
            "channelSkuCode": "SKU-1",
            "orderItemCode": str(line.item_id),
            "cancelledQuantity": quantity,
        }
    ]
    body = {"orderCode": order.order_code, "locationCode": "WH1", "orderItems": items}
    return api.put(URL, body, format="json")


def memo_lines(magento: MagentoSimulator, order: Order) -> list[list[tuple[int, float]]]:
    return [
        [(int(i["order_item_id"]), float(i["qty"])) for i in memo["items"]]
        for memo in magento.creditmemos_for(order.entity_id)
    ]


def test_a_prepaid_order_fully_cancelled_is_refunded_online_once_and_closed(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    response = cancel(api, order, 3)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["hasError"], body["errorMessage"]) == (False, "")
    assert body["refunds"] == [{"creditMemo": "000000001", "way": "online", "amount": 300.0}]
    (memo,) = magento.creditmemos_for(order.entity_id)
    assert memo["transaction_id"] and memo["grand_total"] == 300
    assert magento.get_order(order.entity_id)["state"] == "closed"
    assert magento.calls("POST", "/cancel$") == []  # nothing was left for Magento's cancel
    order.refresh_from_db()
    assert (order.magento_state, order.lifecycle) == ("closed", OrderLifecycle.CANCELLED)
    assert CreditMemo.objects.get().state == CreditMemoState.CREATED
    event = AuditEvent.objects.get(action="order.cancelled_by_omni")
    assert "refunded 300.00 online" in event.message
    # a repeat changes nothing and answers the same
    again = cancel(api, order, 3)
    assert again.json() == body
    assert len(magento.creditmemos_for(order.entity_id)) == 1
    assert AuditEvent.objects.filter(action="order.cancelled_by_omni").count() == 1


def test_one_of_three_units_cancelled_is_refunded_exactly(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    response = cancel(api, order, 1)
    assert response.status_code == 200, response.json()
    assert response.json()["refunds"][0]["way"] == "online"
    item_id = order.lines.get().magento_item_id
    assert memo_lines(magento, order) == [[(item_id, 1.0)]]
    raw = magento.get_order(order.entity_id)
    assert (raw["state"], raw["items"][0]["qty_refunded"], raw["total_refunded"]) == (
        "processing",
        1,
        100,
    )
    assert cancel(api, order, 1).status_code == 200  # a repeat
    assert len(magento.creditmemos_for(order.entity_id)) == 1
    line = order.lines.get()
    assert (line.qty_cancelled_by_omni, line.qty_open) == (1, 2)


def test_a_refund_applied_whose_answer_was_lost_is_not_made_twice(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    magento.inject("POST", r"/invoice/\d+/refund$", "timeout_after")
    first = cancel(api, order, 3)
    assert first.status_code == 503
    assert len(magento.creditmemos_for(order.entity_id)) == 1  # Magento applied it
    second = cancel(api, order, 3)  # Omni retries
    assert second.status_code == 200, second.json()
    assert len(magento.creditmemos_for(order.entity_id)) == 1
    assert len(magento.calls("POST", r"/invoice/\d+/refund$")) == 1
    assert magento.get_order(order.entity_id)["state"] == "closed"


def test_an_offline_method_gets_an_offline_credit_memo(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento, method="checkmo")
    response = cancel(api, order, 3)
    assert response.status_code == 200, response.json()
    assert response.json()["refunds"][0]["way"] == "offline"
    (memo,) = magento.creditmemos_for(order.entity_id)
    assert not memo.get("transaction_id")
    assert magento.calls("POST", r"/order/\d+/refund$")
    assert not magento.calls("POST", r"/invoice/\d+/refund$")
    assert magento.get_order(order.entity_id)["total_offline_refunded"] == 300


def test_with_refund_online_off_an_online_invoice_is_refunded_offline(
    api: APIClient, magento: MagentoSimulator, settings: Any
) -> None:
    settings.REFUND_ONLINE = False
    order = prepaid(magento)
    assert cancel(api, order, 3).json()["refunds"][0]["way"] == "offline"
    assert not magento.calls("POST", r"/invoice/\d+/refund$")


def test_a_refund_magento_refuses_is_409_and_shown_as_failed(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    magento.hold(order.entity_id)
    response = cancel(api, order, 1)
    assert response.status_code == 409
    assert "refused the refund" in response.json()["errorMessage"]
    assert CreditMemo.objects.get().state == CreditMemoState.FAILED
    assert AuditEvent.objects.filter(action="order.refund_failed").count() == 1


def test_an_order_not_paid_online_is_cancelled_as_before(
    api: APIClient, magento: MagentoSimulator
) -> None:
    raw = magento.add_order(
        [{"sku": "SKU-1", "qty": 3, "price": 100}], payment_method="cashondelivery"
    )
    order = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    assert cancel(api, order, 3).json() == {"hasError": False, "errorMessage": ""}
    assert magento.get_order(order.entity_id)["state"] == "canceled"
    assert not CreditMemo.objects.exists()


def test_a_partly_cancelled_prepaid_order_completes_without_a_remainder_cancel(
    api: APIClient, magento: MagentoSimulator, omni: OmniSimulator, settings: Any
) -> None:
    settings.OMNI_PUSH_ORDERS = False
    order = prepaid(magento)
    assert cancel(api, order, 1).status_code == 200
    body = {
        "orderCode": order.order_code,
        "locationCode": "WH1",
        "shipmentId": 1,
        "shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 2}],
    }
    code = api.post("/api/omni/shipments/pack", body, format="json").json()["shipmentCode"]
    item = {"orderCode": order.order_code, "shipmentCode": code, "gatePassCode": "G1"}
    item["packBoxDetailsList"] = [{"boxId": 1, "awbNumber": "AWB1"}]
    handover = {"locationCode": "WH1", "handoverItems": [item]}
    assert api.post("/api/omni/handover", handover, format="json").status_code == 200
    for _ in range(5):
        Operation.objects.filter(state=OperationState.PENDING).update(
            next_attempt_at=timezone.now()
        )
        outbox.run_due()
    assert not Operation.objects.exclude(state=OperationState.DONE).exists()
    assert not Operation.objects.filter(kind="magento.cancel_remainder").exists()
    assert magento.calls("POST", "/cancel$") == []
    assert len(magento.invoices_for(order.entity_id)) == 1  # the one made at placement
    assert len(magento.creditmemos_for(order.entity_id)) == 1
    assert magento.get_order(order.entity_id)["state"] == "complete"


def test_a_full_cancellation_whose_refund_magento_refuses_restores_the_quantities(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    magento.hold(order.entity_id)
    response = cancel(api, order, 3)
    assert response.status_code == 409
    assert "A creditmemo can not be created" in response.json()["errorMessage"]
    assert order.lines.get().qty_cancelled_by_omni == 0
    magento.unhold(order.entity_id)
    assert cancel(api, order, 3).status_code == 200  # Omni asks again: the same intent, refunded
    assert CreditMemo.objects.get().state == CreditMemoState.CREATED
    assert len(magento.creditmemos_for(order.entity_id)) == 1


def test_a_duplicate_arriving_while_the_refund_is_being_made_makes_none(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    magento.hold(order.entity_id)
    assert cancel(api, order, 1).status_code == 409  # the intent exists now (refused)
    magento.unhold(order.entity_id)
    CreditMemo.objects.update(claimed_until=timezone.now() + timedelta(seconds=60))
    response = cancel(api, order, 1)  # as if another request were talking to Magento
    assert response.status_code == 503
    assert magento.creditmemos_for(order.entity_id) == []
    CreditMemo.objects.update(claimed_until=None)  # that attempt ended
    assert cancel(api, order, 1).status_code == 200
    assert len(magento.creditmemos_for(order.entity_id)) == 1
    assert CreditMemo.objects.get().claimed_until is None
