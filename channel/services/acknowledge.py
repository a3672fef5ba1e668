"""Order processing asked for by Omni: acknowledgement and seller cancellation (contract 4.1, 4.2).

Also the fulfilment helpers shared by pack, invoice and handover: the operation kinds that carry
effects to Magento, the lifecycle update, and the cancellation of a partly cancelled order's
remainder once everything else has left the warehouse.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channel import outbox
from channel.api.errors import ApiError
from channel.integrations.magento import MIN_CALL_SECONDS, MagentoClient, MagentoError, time_left
from channel.models import Flow, Operation, OperationState, Order, OrderLine, Shipment
from channel.services import audit, sync

log = logging.getLogger(__name__)

CREATE_INVOICE = "magento.create_invoice"
SHIP = "magento.ship"
ORDER_COMMENT = "magento.order_comment"
CANCEL_REMAINDER = "magento.cancel_remainder"
ALL_LOCATIONS = "ALL"


# --- shared helpers -------------------------------------------------------------------------------
def request_client(order: Order) -> MagentoClient:
    """A Magento client for calls made while Omni waits for the answer."""
    return MagentoClient(read_timeout=settings.MAGENTO_READ_TIMEOUT, order_id=order.pk)


def operation_client(operation: Operation) -> MagentoClient:
    return MagentoClient(order_id=operation.order_id, operation_id=operation.pk)


def refresh_quietly(order: Order, client: MagentoClient) -> Order:
    """Re-read the order from Magento into the mirror; a failure only leaves it for the sync."""
    try:
        return sync.refresh_order(order, client=client)
    except MagentoError as exc:
        log.info("could not re-read order %s after a change: %s", order.order_code, exc.message)
        return order


def lifecycle_update(order: Order) -> None:
    """Store the lifecycle the order's quantities now say (inside the caller's transaction)."""
    lifecycle = order.lifecycle_from_progress()
    if lifecycle != order.lifecycle:
        Order.objects.filter(pk=order.pk).update(lifecycle=lifecycle, updated_at=timezone.now())
        order.lifecycle = lifecycle


def magento_items(shipment: Shipment) -> list[dict[str, Any]]:
    """`items` for Magento's invoice and ship calls: the ids Magento expects (a configurable's
    parent; a bundle's parent when it ships together, counted in bundles) with quantities."""
    groups: dict[int, list[tuple[OrderLine, int]]] = {}
    for shipment_line in shipment.lines.select_related("order_line").order_by("pk"):
        line = shipment_line.order_line
        groups.setdefault(line.magento_item_id, []).append((line, shipment_line.quantity))
    return [
        {"order_item_id": magento_id, "qty": _group_quantity(shipment.order, magento_id, members)}
        for magento_id, members in groups.items()
    ]


def _group_quantity(order: Order, magento_id: int, members: list[tuple[OrderLine, int]]) -> int:
    line = members[0][0]
    bundled = line.item_id != magento_id and line.product_type != "configurable"
    if not bundled:
        return sum(quantity for _, quantity in members)
    parent: dict[str, Any] = next(
        (i for i in order.raw.get("items") or [] if int(i.get("item_id", 0)) == magento_id), {}
    )
    bundles = int(float(parent.get("qty_ordered") or 1))
    return min(quantity * bundles // member.qty_ordered for member, quantity in members)


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def nudge(order: Order, kind: str) -> None:
    """Make this order's waiting operations of `kind` due now (they wait for this one)."""
    waiting = list(
        Operation.objects.filter(order=order, kind=kind, state=OperationState.PENDING).values_list(
            "pk", flat=True
        )
    )
    Operation.objects.filter(pk__in=waiting).update(next_attempt_at=timezone.now())
    for pk in waiting:
        transaction.on_commit(partial(outbox.schedule_run, pk))


# --- 4.1 acknowledgement --------------------------------------------------------------------------
@dataclass(frozen=True)
class AckRequest:
    order_code: str
    location_code: str | None


def orders_acknowledge(*, orders: list[AckRequest], consolidation_type: str | None) -> list[dict]:
    """Acknowledge each order in Magento; the answer lists those whose comment Magento recorded."""
    done: list[dict] = []
    for entry in orders:
        order = Order.objects.filter(order_code=entry.order_code).first()
        if order is None:
            log.warning("Omni acknowledged unknown order %s", entry.order_code)
            audit.record(
                "order.acknowledge_unknown",
                actor="omni",
                subject=f"order:{entry.order_code}"[:100],
                message=f"Omni acknowledged order {entry.order_code}, unknown to the proxy",
            )
            continue
        left = time_left()
        if left is not None and left < MIN_CALL_SECONDS:
            break  # out of time: the rest stays out of successOrders and Omni sends it again
        location = None if consolidation_type == ALL_LOCATIONS else entry.location_code
        if order_acknowledge(order=order, location_code=location):
            done.append({"locationCode": entry.location_code, "orderCode": order.order_code})
    return done


def order_acknowledge(*, order: Order, location_code: str | None) -> bool:
    """Comment (with the ack status) in Magento, read the status back, mirror it.

    False when Magento did not record it (Omni sends the order again)."""
    if order.acknowledged_at and location_code in (None, order.location_code):
        return True  # a repeat: Magento has the comment already
    client = request_client(order)
    comment = f"Acknowledged by Omni ({location_code})" if location_code else "Acknowledged by Omni"
    try:
        status_accepted = _comment_with_ack_status(client, order, comment)
    except MagentoError as exc:
        audit.record(
            "order.acknowledge_failed",
            order=order,
            actor="omni",
            message=f"Magento did not record the acknowledgement: {exc.message}",
        )
        return False
    status = _read_status(client, order)
    _record_acknowledgement(order, location_code, status, status_accepted)
    return True


def _comment_with_ack_status(client: MagentoClient, order: Order, comment: str) -> bool:
    """True when Magento took the comment with the status; 2.4.8 refuses a status outside the
    order's state (400), and then the comment goes in without one."""
    try:
        client.add_comment(order.entity_id, comment, status=settings.MAGENTO_ACK_STATUS)
        return True
    except MagentoError as exc:
        if exc.status != 400:
            raise
    client.add_comment(order.entity_id, comment)
    return False


def _read_status(client: MagentoClient, order: Order) -> str | None:
    try:
        return client.get_order_status(order.entity_id)
    except MagentoError:
        return None  # the acknowledgement is recorded; the sync brings the status later


def _record_acknowledgement(
    order: Order, location_code: str | None, status: str | None, status_accepted: bool
) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.acknowledged_at = order.acknowledged_at or timezone.now()
        if location_code:
            order.location_code = location_code
        if status:
            order.magento_status = status
        order.save(
            update_fields=["acknowledged_at", "location_code", "magento_status", "updated_at"]
        )
        lifecycle_update(order)
        audit.record(
            "order.acknowledged",
            order=order,
            actor="omni",
            message=_ack_message(location_code, status, status_accepted),
            data={"locationCode": location_code, "status": status},
        )


def _ack_message(location_code: str | None, status: str | None, status_accepted: bool) -> str:
    where = f" for {location_code}" if location_code else " (location left as it was)"
    wanted = settings.MAGENTO_ACK_STATUS
    if status is None:
        return f"Acknowledged by Omni{where}; Magento's status could not be read back"
    if status != wanted:
        how = "accepted the comment without a status" if not status_accepted else "ignored it"
        return (
            f"Acknowledged by Omni{where}; Magento {how} and kept its status {status} "
            f"instead of {wanted}"
        )
    return f"Acknowledged by Omni{where}; Magento status {status}"


# --- 4.2 seller cancellation ------------------------------------------------------------------
@dataclass(frozen=True)
class CancelItem:
    sku: str
    order_item_code: str | None
    cancelled_quantity: int


def order_cancel_by_omni(
    *, order: Order, items: list[CancelItem], location_code: str | None
) -> str:
    """Apply Omni's absolute cancelled quantities. Returns "unchanged", "partial" or "full".

    A full cancellation (everything still open, nothing packed) goes to Magento now; a partial one
    is recorded, noted on the order, and its remainder is cancelled after the last handover.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lines = {line.pk: line for line in order.lines.select_for_update()}
        targets = _cancel_targets(order, lines, items)
        if _is_full(lines, targets):
            if all(line.qty_canceled >= line.qty_ordered for line in lines.values()):
                return "unchanged"  # Magento has cancelled everything already
            before = _mark_cancelled(lines, targets, everything=True)
        else:
            changed = {pk: qty for pk, qty in targets.items() if qty > lines[pk].qty_cancelled}
            if not changed:
                return "unchanged"
            _record_partial(order, lines, changed, location_code)
            return "partial"
    _cancel_in_magento(order, before, location_code)
    return "full"


def _cancel_targets(
    order: Order, lines: dict[int, OrderLine], items: list[CancelItem]
) -> dict[int, int]:
    targets: dict[int, int] = {}
    for item in items:
        line = _find_line(order, lines, item)
        quantity = item.cancelled_quantity
        if quantity > line.qty_ordered:
            raise ApiError(
                f"cancelledQuantity {quantity} of item {line.item_id} ({line.sku}) in order "
                f"{order.order_code} is more than the {line.qty_ordered} ordered."
            )
        if quantity < line.qty_cancelled:
            raise ApiError(
                f"Item {line.item_id} ({line.sku}) of order {order.order_code} has "
                f"{line.qty_cancelled} cancelled already; a cancellation cannot be undone.",
                status_code=409,
            )
        still_free = line.qty_ordered - line.qty_packed
        if quantity > still_free:
            raise ApiError(
                f"Cannot cancel {quantity} of item {line.item_id} ({line.sku}) in order "
                f"{order.order_code}: {line.qty_packed} of {line.qty_ordered} are packed.",
                status_code=409,
            )
        targets[line.pk] = max(targets.get(line.pk, 0), quantity)
    return targets


def _find_line(order: Order, lines: dict[int, OrderLine], item: CancelItem) -> OrderLine:
    if item.order_item_code:
        for line in lines.values():
            if str(line.item_id) == item.order_item_code and line.sku == item.sku:
                return line
        raise ApiError(
            f"Order {order.order_code} has no item {item.order_item_code} with SKU {item.sku}."
        )
    candidates = [line for line in lines.values() if line.sku == item.sku]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ApiError(f"Order {order.order_code} has no item with SKU {item.sku}.")
    raise ApiError(
        f"Order {order.order_code} has several items with SKU {item.sku}; send orderItemCode."
    )


def _is_full(lines: dict[int, OrderLine], targets: dict[int, int]) -> bool:
    if any(line.qty_packed for line in lines.values()):
        return False
    return all(
        max(targets.get(pk, 0), line.qty_cancelled) >= line.qty_ordered
        for pk, line in lines.items()
    )


def _mark_cancelled(
    lines: dict[int, OrderLine], targets: dict[int, int], *, everything: bool
) -> dict[int, int]:
    """Set qty_cancelled_by_omni (before Magento is asked, so the sync never echoes the
    cancellation back to Omni as the customer's). Returns the previous values."""
    before = {pk: line.qty_cancelled_by_omni for pk, line in lines.items()}
    for pk, line in lines.items():
        wanted = line.qty_ordered if everything else targets.get(pk, line.qty_cancelled_by_omni)
        if wanted != line.qty_cancelled_by_omni:
            line.qty_cancelled_by_omni = wanted
            line.save(update_fields=["qty_cancelled_by_omni"])
    return before


def _restore_cancelled(before: dict[int, int]) -> None:
    for pk, quantity in before.items():
        OrderLine.objects.filter(pk=pk).update(qty_cancelled_by_omni=quantity)


def _cancel_in_magento(order: Order, before: dict[int, int], location_code: str | None) -> None:
    client = request_client(order)
    try:
        cancelled = client.cancel_order(order.entity_id)
    except MagentoError as exc:
        if not exc.timed_out:  # certainly not applied; a lost answer may have been
            _restore_cancelled(before)
        if exc.transient or exc.needs_config:
            raise ApiError(
                f"Magento did not answer the cancellation of order {order.order_code}; "
                "send it again.",
                status_code=503,
            ) from exc
        raise ApiError(
            f"Magento refused to cancel order {order.order_code}: {exc.message}", status_code=409
        ) from exc
    if not cancelled:
        order = refresh_quietly(order, client)
        if order.magento_state != "canceled":
            _restore_cancelled(before)
            raise ApiError(
                f"Magento cannot cancel order {order.order_code} in state {order.magento_state}.",
                status_code=409,
            )
    _record_full_cancel(refresh_quietly(order, client), location_code)


def _record_full_cancel(order: Order, location_code: str | None) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lifecycle_update(order)
        audit.record(
            "order.cancelled_by_omni",
            order=order,
            actor="omni",
            message=f"Cancelled in Magento at Omni's request ({location_code or 'no location'})",
        )


def _record_partial(
    order: Order, lines: dict[int, OrderLine], changed: dict[int, int], location_code: str | None
) -> None:
    parts = [
        f"{lines[pk].sku} (item {lines[pk].item_id}) {quantity} of {lines[pk].qty_ordered}"
        for pk, quantity in changed.items()
    ]
    _mark_cancelled(lines, changed, everything=False)
    comment = (
        f"Omni cancelled {', '.join(parts)} ({location_code or 'no location'}). These units are "
        "not packed, invoiced or shipped; the rest of the order is cancelled in Magento after "
        "the last handover."
    )
    outbox.enqueue(
        ORDER_COMMENT,
        key=f"{ORDER_COMMENT}:cancel:{order.entity_id}:{digest(_omni_cancelled(order))}",
        order=order,
        payload={"comment": comment},
    )
    lifecycle_update(order)
    audit.record(
        "order.partially_cancelled_by_omni",
        order=order,
        actor="omni",
        message=f"Omni cancelled {', '.join(parts)} (absolute quantities)",
        data={"cancelled": {str(lines[pk].item_id): q for pk, q in changed.items()}},
    )
    remainder_cancel_queue_if_due(order)


def _omni_cancelled(order: Order) -> dict[str, int]:
    return {str(line.item_id): line.qty_cancelled_by_omni for line in order.lines.all()}


# --- the remainder of a partly cancelled order --------------------------------------------------
def remainder_cancel_queue_if_due(order: Order) -> Operation | None:
    """Once every unit Omni did not cancel has been handed over, cancel the rest in Magento."""
    lines = list(order.lines.all())
    owed = any(line.qty_cancelled_by_omni > line.qty_canceled for line in lines)
    handed_over = sum(line.qty_handed_over for line in lines)
    all_gone = all(line.qty_handed_over >= line.qty_ordered - line.qty_cancelled for line in lines)
    if not (owed and handed_over and all_gone):
        return None
    return outbox.enqueue(
        CANCEL_REMAINDER,
        key=f"{CANCEL_REMAINDER}:{order.entity_id}:{digest(_omni_cancelled(order))}",
        order=order,
        target=f"order:{order.order_code}",
    )


def _nothing_owed(order: Order) -> bool:
    return all(line.qty_canceled >= line.qty_cancelled_by_omni for line in order.lines.all())


@outbox.register(CANCEL_REMAINDER, flow=Flow.FULFILMENT)
def cancel_remainder(operation: Operation) -> dict[str, Any]:
    """Cancel in Magento what Omni cancelled of a partly shipped order, after its invoices and
    shipments exist (Magento cancels whatever is neither invoiced nor shipped)."""
    queued = Operation.objects.filter(order=operation.order, kind__in=[CREATE_INVOICE, SHIP])
    waiting = queued.exclude(state__in=[OperationState.DONE, OperationState.CANCELLED]).count()
    if waiting:
        raise outbox.Retry(f"waiting for {waiting} invoice/shipment operation(s) of this order")
    client = operation_client(operation)
    assert operation.order is not None  # queued with its order
    order = sync.refresh_order(operation.order, client=client)
    if _nothing_owed(order):
        return {"alreadyCancelled": True}
    if not client.cancel_order(order.entity_id):
        order = sync.refresh_order(order, client=client)
        if not _nothing_owed(order):
            raise outbox.OperationError(
                f"Magento cannot cancel the rest of order {order.order_code} "
                f"in state {order.magento_state}"
            )
    order = refresh_quietly(order, client)
    audit.record(
        "order.remainder_cancelled",
        order=order,
        message="Cancelled the units Omni cancelled in Magento; "
        f"Magento state {order.magento_state}",
    )
    return {"state": order.magento_state}


# --- order comments -------------------------------------------------------------------------------
def _comment_read_back(operation: Operation) -> dict[str, Any] | None:
    assert operation.order is not None
    raw = operation_client(operation).get_order(operation.order.entity_id)
    comments = [entry.get("comment") for entry in raw.get("status_histories") or []]
    return {"found": True} if operation.payload["comment"] in comments else None


@outbox.register(ORDER_COMMENT, flow=Flow.FULFILMENT, read_back=_comment_read_back)
def order_comment(operation: Operation) -> dict[str, Any]:
    """A note on the Magento order (no status change)."""
    assert operation.order is not None
    operation_client(operation).add_comment(operation.order.entity_id, operation.payload["comment"])
    return {}
