"""PUT /api/omni/orders/cancel (contract 4.2): full cancellations in Magento, partial recorded."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channel import outbox
from channel.models import AuditEvent, Operation, OperationState, Order, OrderLifecycle
from channel.services.orders import CUSTOMER_CANCEL, order_upsert
from channel.services.sync import sync_magento
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders/cancel"
OK = {"hasError": False, "errorMessage": ""}


def mirrored(magento: MagentoSimulator, **kwargs: object) -> Order:
    lines = [{"sku": "SKU-1", "qty": 3, "price": 100}, {"sku": "SKU-2", "qty": 1, "price": 50}]
    raw = magento.add_order(lines, **kwargs)
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def cancel(api: APIClient, order: Order, **quantities: int) -> object:
    items = [
        {
            "channelSkuCode": sku.replace("_", "-"),
            "orderItemCode": str(order.lines.get(sku=sku.replace("_", "-")).item_id),
            "cancelledQuantity": quantity,
        }
        for sku, quantity in quantities.items()
    ]
    body = {"orderCode": order.order_code, "locationCode": "WH1", "orderItems": items}
    return api.put(URL, body, format="json")


def test_it_cancels_the_whole_order_in_magento(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    response = cancel(api, order, SKU_1=3, SKU_2=1)
    assert (response.status_code, response.json()) == (200, OK)
    assert magento.get_order(order.entity_id)["state"] == "canceled"
    order.refresh_from_db()
    assert (order.magento_state, order.lifecycle) == ("canceled", OrderLifecycle.CANCELLED)
    assert [line.qty_cancelled_by_omni for line in order.lines.all()] == [3, 1]
    assert AuditEvent.objects.filter(action="order.cancelled_by_omni").count() == 1


def test_a_cancellation_omni_asked_for_is_not_echoed_back(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    magento.advance_clock(60)
    cancel(api, order, SKU_1=3, SKU_2=1)
    sync_magento()  # the sync sees the cancelled order again
    assert not Operation.objects.filter(kind=CUSTOMER_CANCEL).exists()


def test_the_same_quantities_again_change_nothing(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    cancel(api, order, SKU_1=3, SKU_2=1)
    assert cancel(api, order, SKU_1=3, SKU_2=1).json() == OK
    assert len(magento.calls("POST", "/cancel$")) == 1


def test_it_answers_409_naming_the_state_when_magento_cannot_cancel(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento, state="holded")
    response = cancel(api, order, SKU_1=3, SKU_2=1)
    assert response.status_code == 409
    assert response.json()["errorMessage"] == (
        "Magento cannot cancel order 000000001 in state holded."
    )
    assert [line.qty_cancelled_by_omni for line in order.lines.all()] == [0, 0]


def test_it_answers_503_when_magento_is_unreachable(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    magento.inject("POST", "/cancel$", "reset")
    response = cancel(api, order, SKU_1=3, SKU_2=1)
    assert response.status_code == 503
    assert response.json()["errorMessage"] == (
        "Magento did not answer the cancellation of order 000000001; send it again."
    )
    assert [line.qty_cancelled_by_omni for line in order.lines.all()] == [0, 0]
    assert cancel(api, order, SKU_1=3, SKU_2=1).status_code == 200  # Omni retries


def test_a_lost_answer_is_settled_by_the_retry(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    magento.inject("POST", "/cancel$", "timeout_after")
    assert cancel(api, order, SKU_1=3, SKU_2=1).status_code == 503
    assert magento.get_order(order.entity_id)["state"] == "canceled"  # it happened
    assert cancel(api, order, SKU_1=3, SKU_2=1).json() == OK  # Magento says false: re-read
    order.refresh_from_db()
    assert order.lifecycle == OrderLifecycle.CANCELLED
    magento.advance_clock(60)
    sync_magento()
    assert not Operation.objects.filter(kind=CUSTOMER_CANCEL).exists()


def test_it_records_a_partial_cancellation_and_notes_it_in_magento(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    assert cancel(api, order, SKU_1=2).json() == OK
    assert not magento.calls("POST", "/cancel$")
    line = order.lines.get(sku="SKU-1")
    assert (line.qty_cancelled_by_omni, line.qty_open) == (2, 1)
    comment = Operation.objects.get(kind="magento.order_comment")
    outbox.run_operation(comment.pk)
    assert magento.get_order(order.entity_id)["status_histories"][0]["comment"] == (
        "Omni cancelled SKU-1 (item 1) 2 of 3 (WH1). These units are not packed, invoiced or "
        "shipped; the rest of the order is cancelled in Magento after the last handover."
    )
    assert cancel(api, order, SKU_1=2).json() == OK  # the same absolute quantity again
    assert Operation.objects.filter(kind="magento.order_comment").count() == 1


def test_a_lost_comment_answer_does_not_comment_twice(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    cancel(api, order, SKU_1=1)
    comment = Operation.objects.get(kind="magento.order_comment")
    magento.inject("POST", "/comments$", "timeout_after")
    assert outbox.run_operation(comment.pk) == OperationState.PENDING
    Operation.objects.filter(pk=comment.pk).update(next_attempt_at=comment.created_at)
    assert outbox.run_operation(comment.pk) == OperationState.DONE
    assert len(magento.get_order(order.entity_id)["status_histories"]) == 1


def test_cancelling_everything_step_by_step_ends_in_a_full_cancel(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    cancel(api, order, SKU_1=1)
    cancel(api, order, SKU_1=3, SKU_2=1)
    assert magento.get_order(order.entity_id)["state"] == "canceled"


def error(response: object) -> tuple[int, str]:
    return response.status_code, response.json()["errorMessage"]


def test_it_refuses_more_than_was_ordered(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    assert error(cancel(api, order, SKU_2=2)) == (
        400,
        "cancelledQuantity 2 of item 2 (SKU-2) in order 000000001 is more than the 1 ordered.",
    )


def test_it_refuses_an_unknown_item_or_sku(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    body = {
        "orderCode": order.order_code,
        "orderItems": [{"channelSkuCode": "SKU-2", "orderItemCode": "1", "cancelledQuantity": 1}],
    }
    assert error(api.put(URL, body, format="json")) == (
        400,
        "Order 000000001 has no item 1 with SKU SKU-2.",
    )
    body["orderItems"] = [{"channelSkuCode": "NOPE", "cancelledQuantity": 1}]
    assert error(api.put(URL, body, format="json")) == (
        400,
        "Order 000000001 has no item with SKU NOPE.",
    )


def test_it_refuses_to_cancel_packed_units(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    order.lines.filter(sku="SKU-1").update(qty_packed=2)
    assert error(cancel(api, order, SKU_1=2)) == (
        409,
        "Cannot cancel 2 of item 1 (SKU-1) in order 000000001: 2 of 3 are packed.",
    )
    assert cancel(api, order, SKU_1=1).status_code == 200


def test_it_refuses_to_undo_a_cancellation(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    cancel(api, order, SKU_1=2)
    assert error(cancel(api, order, SKU_1=1)) == (
        409,
        "Item 1 (SKU-1) of order 000000001 has 2 cancelled already; "
        "a cancellation cannot be undone.",
    )


def test_it_answers_404_for_an_unknown_order(api: APIClient, magento: MagentoSimulator) -> None:
    body = {"orderCode": "NOPE", "orderItems": [{"channelSkuCode": "A", "cancelledQuantity": 1}]}
    assert error(api.put(URL, body, format="json")) == (404, "Order NOPE is unknown.")


@pytest.mark.parametrize(
    "items",
    [[], [{"channelSkuCode": "SKU-1", "cancelledQuantity": -1}], [{"cancelledQuantity": 1}]],
)
def test_it_rejects_bad_input(api: APIClient, magento: MagentoSimulator, items: list) -> None:
    order = mirrored(magento)
    body = {"orderCode": order.order_code, "orderItems": items}
    assert api.put(URL, body, format="json").status_code == 400
