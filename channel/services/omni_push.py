"""Outbox handlers. Importing this module registers every operation kind."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from channel.integrations.omni import OmniClient, OmniError
from channel.models import Flow, Operation, OperationState, Order
from channel.outbox import Done, Retry, register
from channel.services import audit, mapping
from channel.services.orders import CUSTOMER_CANCEL, PUSH_ORDER, UPDATE_PROPERTIES


def _omni(operation: Operation) -> OmniClient:
    return OmniClient(order_id=operation.order_id, operation_id=operation.pk)


def _already_exists(exc: OmniError) -> bool:
    return exc.status == 400 and "already exist" in exc.message.lower()


@register(PUSH_ORDER, flow=Flow.PUSH, lines=True, pipelined=True)
def push_order(operation: Operation) -> Done:
    """Create Outward Order at Omni, once. Omni's 'already exists' on a retry means it arrived."""
    order = operation.order
    assert order is not None  # order operations are queued with their order
    payload = mapping.outward_order(order)
    try:
        _omni(operation).create_outward_order(payload)
    except OmniError as exc:
        if not (operation.attempts > 1 and _already_exists(exc)):
            raise
    return Done({"orderCode": order.order_code}, record=lambda: _mark_pushed(order))


def _mark_pushed(order: Order) -> None:
    """In the transaction that marks the push done. The audit entry is the record of the push:
    no history row (a copy of the whole order) for a timestamp."""
    order.pushed_to_omni_at = order.updated_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        pushed_to_omni_at=order.pushed_to_omni_at, updated_at=order.updated_at
    )
    audit.record("order.pushed", order=order, message="Created at Omni (Create Outward Order)")


def _wait_for_push(operation: Operation) -> None:
    assert operation.order is not None
    push = operation.order.operations.filter(kind=PUSH_ORDER).first()
    if push is None or push.state != OperationState.DONE:
        raise Retry("waiting for the order to be created at Omni first")


@register(CUSTOMER_CANCEL, flow=Flow.PUSH)
def customer_cancel(operation: Operation) -> dict[str, Any]:
    """Customer Cancellation at Omni with absolute quantities (the latest the mirror knows)."""
    _wait_for_push(operation)
    order = operation.order
    assert order is not None
    items = mapping.cancellation_items(order)
    payload = {"locationCode": order.location_code or None, "orderItems": items}
    _omni(operation).customer_cancellation(order.order_code, payload)
    audit.record(
        "order.cancellation_sent",
        order=order,
        message="Customer cancellation sent to Omni",
        data=payload,
    )
    return {"orderItems": items}


@register(UPDATE_PROPERTIES, flow=Flow.PUSH)
def update_properties(operation: Operation) -> dict[str, Any]:
    """Hold / unhold at Omni (Update Order Properties)."""
    _wait_for_push(operation)
    order = operation.order
    assert order is not None
    outward = mapping.outward_order(order)
    payload = {
        "onHold": operation.payload["onHold"],
        "dispatchByTime": outward["dispatchByTime"],
        "startProcessingTime": outward["startProcessingTime"],
        "locationCode": order.location_code or None,
    }
    _omni(operation).update_order_properties(order.order_code, payload)
    verb = "held" if payload["onHold"] else "released"
    audit.record("order.hold_sent", order=order, message=f"Order {verb} at Omni", data=payload)
    return payload
