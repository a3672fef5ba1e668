"""Seller cancellation asked for by Omni (contract 4.2), and the cancellation of a partly
cancelled order's remainder once everything else has left the warehouse."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from channel import outbox
from channel.integrations.magento import MagentoClient, MagentoError, time_budget
from channel.models import (
    CreditMemo,
    CreditMemoPurpose,
    CreditMemoState,
    Flow,
    Operation,
    OperationState,
    Order,
    OrderLine,
)
from channel.services import audit, refunds, sync
from channel.services.errors import Conflict, InvalidRequest, Unavailable
from channel.services.fulfilment import (
    CANCEL_REMAINDER,
    CREATE_INVOICE,
    ORDER_COMMENT,
    SHIP,
    digest,
    lifecycle_update,
    refresh_quietly,
)
from channel.services.invoices import capture_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CancelItem:
    sku: str
    order_item_code: str | None
    cancelled_quantity: int


def order_cancel_by_omni(
    *, order: Order, items: list[CancelItem], location_code: str | None
) -> str:
    """Apply Omni's absolute cancelled quantities. Returns "unchanged", "partial" or "full".

    A full cancellation (everything still open, nothing packed) goes to Magento now, within the
    request's Magento time budget; a partial one is recorded, noted on the order, and its
    remainder is cancelled after the last handover. Units Magento has invoiced (a prepaid order)
    are refunded now by a credit memo for exactly those units (contract 8.3), then the rest is
    cancelled.
    """
    with time_budget(settings.MAGENTO_REQUEST_BUDGET):
        return _cancel(order, items, location_code)


def _cancel(order: Order, items: list[CancelItem], location_code: str | None) -> str:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lines = {line.pk: line for line in order.lines.select_for_update()}
        targets = _cancel_targets(order, lines, items)
        full = _is_full(lines, targets)
        changed: dict[int, int] = {}
        if full:
            refunded = refunds.refunded_units(order, CreditMemoPurpose.CANCELLATION)
            if all(
                line.qty_canceled + refunded.get(pk, 0) >= line.qty_ordered
                for pk, line in lines.items()
            ):
                return "unchanged"  # Magento has cancelled (or refunded) everything already
            before = _mark_cancelled(lines, targets, everything=True)
        else:
            changed = {pk: qty for pk, qty in targets.items() if qty > lines[pk].qty_cancelled}
            if changed:
                _record_partial(order, lines, changed, location_code)
    if not full:
        refunded_now = _refund_partial(order)
        return "partial" if changed or refunded_now else "unchanged"
    _cancel_in_magento(order, before, location_code)
    return "full"


def cancel_refunds(order: Order) -> list[CreditMemo]:
    """The credit memos made for Omni's cancellations of this order (for the answer)."""
    return list(
        order.credit_memos.filter(
            purpose=CreditMemoPurpose.CANCELLATION, state=CreditMemoState.CREATED
        ).order_by("pk")
    )


# --- refunds of cancelled units that Magento had invoiced ---------------------------------------
def _owed_refunds(order: Order) -> list[dict[str, int]]:
    """Invoiced units Omni cancelled that no credit memo refunded yet, as refund items: per line,
    what is invoiced beyond what is still to be delivered (ordered − cancelled by Omni)."""
    refunded = refunds.refunded_units(order, CreditMemoPurpose.CANCELLATION)
    items = []
    for line in order.lines.order_by("position", "pk"):
        to_deliver = line.qty_ordered - line.qty_cancelled_by_omni
        owed = line.qty_invoiced - refunded.get(line.pk, 0) - to_deliver
        if line.qty_cancelled_by_omni and owed > 0:
            items.append({"order_item_id": line.magento_item_id, "qty": owed, "line": line.pk})
    return items


def _settle_refunds(order: Order, client: MagentoClient, *, full: bool) -> list[CreditMemo]:
    """Finish earlier cancellation credit memos still pending (read back first), then make the
    one still owed. Raises MagentoError."""
    made = []
    pending = order.credit_memos.filter(
        purpose=CreditMemoPurpose.CANCELLATION, state=CreditMemoState.PENDING
    )
    for memo in pending:
        made.append(refunds.creditmemo_make(memo=memo, client=client))
    order = sync.refresh_order(order, client=client)
    items = _owed_refunds(order)
    if items:
        parts = refunds.creditmemo_intents(
            order=order,
            purpose=CreditMemoPurpose.CANCELLATION,
            key=f"cancel:{order.entity_id}:{digest(_omni_cancelled(order))}",
            items=items,
            refund_shipping=full,
        )
        for memo in parts:  # each part read back before it is made (8.6)
            made.append(refunds.creditmemo_make(memo=memo, client=client))
    if made:
        _record_refunds(order, made)
    return made


def _record_refunds(order: Order, memos: list[CreditMemo]) -> None:
    audit.record(
        "order.cancellation_refunded",
        order=order,
        actor="omni",
        message=f"Omni's cancellation of invoiced units: {refunds.describe(memos)}",
        data={"creditmemos": [memo.magento_creditmemo_id for memo in memos]},
    )


def _may_be_invoiced(order: Order) -> bool:
    """Magento may have invoiced this order itself (paid online, or the mirror says so)."""
    return capture_for(order) or any(line.qty_invoiced for line in order.lines.all())


def _refund_partial(order: Order) -> bool:
    """Refund now the invoiced units of a partial cancellation. True when a memo was made."""
    pending = order.credit_memos.filter(
        purpose=CreditMemoPurpose.CANCELLATION, state=CreditMemoState.PENDING
    ).exists()
    if not pending and not (_may_be_invoiced(order) and _owed_refunds_after_refresh(order)):
        return False
    client = MagentoClient(in_request=True, order_id=order.pk)
    try:
        made = _settle_refunds(order, client, full=False)
    except MagentoError as exc:
        raise _refund_error(order, exc) from exc
    refresh_quietly(order, client)
    return bool(made)


def _owed_refunds_after_refresh(order: Order) -> bool:
    """Whether a refund is owed, from Magento's current numbers (the mirror when unreachable)."""
    client = MagentoClient(in_request=True, order_id=order.pk)
    return bool(_owed_refunds(refresh_quietly(order, client)))


def _refund_error(order: Order, exc: MagentoError) -> Exception:
    if exc.transient or exc.needs_config:
        return Unavailable(
            f"Magento did not answer the refund of order {order.order_code}; send it again."
        )
    return Conflict(f"Magento refused the refund of order {order.order_code}: {exc.message}")


def _cancel_targets(
    order: Order, lines: dict[int, OrderLine], items: list[CancelItem]
) -> dict[int, int]:
    targets: dict[int, int] = {}
    for item in items:
        group = _sku_group(lines, item)
        if len(group) > 1:
            for pk, quantity in _spread(order, group, item.cancelled_quantity).items():
                targets[pk] = max(targets.get(pk, 0), quantity)
            continue
        line = _find_line(order, lines, item)
        quantity = item.cancelled_quantity
        if quantity > line.qty_ordered:
            raise InvalidRequest(
                f"cancelledQuantity {quantity} of item {line.item_id} ({line.sku}) in order "
                f"{order.order_code} is more than the {line.qty_ordered} ordered."
            )
        if quantity < line.qty_cancelled:
            raise Conflict(
                f"Item {line.item_id} ({line.sku}) of order {order.order_code} has "
                f"{line.qty_cancelled} cancelled already; a cancellation cannot be undone.",
            )
        still_free = line.qty_ordered - line.qty_packed
        if quantity > still_free:
            raise Conflict(
                f"Cannot cancel {quantity} of item {line.item_id} ({line.sku}) in order "
                f"{order.order_code}: {line.qty_packed} of {line.qty_ordered} are packed.",
            )
        targets[line.pk] = max(targets.get(line.pk, 0), quantity)
    return targets


def _sku_group(lines: dict[int, OrderLine], item: CancelItem) -> list[OrderLine]:
    """The lines behind Omni's one item for a SKU (named by its first line, or by SKU alone)."""
    group = sorted(
        (line for line in lines.values() if line.sku == item.sku),
        key=lambda line: (line.position, line.item_id),
    )
    if not group or (item.order_item_code and item.order_item_code != str(group[0].item_id)):
        return []
    return group


def _spread(order: Order, group: list[OrderLine], quantity: int) -> dict[int, int]:
    """An absolute quantity of Omni's item spread over its lines, oldest first, over the units
    not packed; no line's cancelled quantity goes down."""
    ordered = sum(line.qty_ordered for line in group)
    already = sum(line.qty_cancelled for line in group)
    sku = group[0].sku
    if quantity > ordered:
        raise InvalidRequest(
            f"cancelledQuantity {quantity} of {sku} in order {order.order_code} is more than "
            f"the {ordered} ordered."
        )
    if quantity < already:
        raise Conflict(
            f"{sku} of order {order.order_code} has {already} cancelled already; "
            "a cancellation cannot be undone."
        )
    targets, left = {}, quantity - already
    for line in group:
        room = max(0, line.qty_ordered - line.qty_packed - line.qty_cancelled)
        take = min(left, room)
        targets[line.pk] = line.qty_cancelled + take
        left -= take
    if left > 0:
        packed = sum(line.qty_packed for line in group)
        raise Conflict(
            f"Cannot cancel {quantity} of {sku} in order {order.order_code}: {packed} of "
            f"{ordered} are packed."
        )
    return targets


def _find_line(order: Order, lines: dict[int, OrderLine], item: CancelItem) -> OrderLine:
    if item.order_item_code:
        for line in lines.values():
            if str(line.item_id) == item.order_item_code and line.sku == item.sku:
                return line
        raise InvalidRequest(
            f"Order {order.order_code} has no item {item.order_item_code} with SKU {item.sku}."
        )
    candidates = [line for line in lines.values() if line.sku == item.sku]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidRequest(f"Order {order.order_code} has no item with SKU {item.sku}.")
    raise InvalidRequest(
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
    client = MagentoClient(in_request=True, order_id=order.pk)
    try:
        made = _settle_refunds(order, client, full=True) if _may_be_invoiced(order) else []
        cancelled = client.cancel_order(order.entity_id) if _cancellable(order) else True
    except MagentoError as exc:
        if not exc.timed_out and not made_any(order):
            _restore_cancelled(before)  # certainly not applied; a lost answer may have been
        if exc.transient or exc.needs_config:
            raise Unavailable(
                f"Magento did not answer the cancellation of order {order.order_code}; "
                "send it again.",
            ) from exc
        raise Conflict(
            f"Magento refused to cancel order {order.order_code}: {exc.message}"
        ) from exc
    if not cancelled:
        order = refresh_quietly(order, client)
        if order.magento_state != "canceled":
            _restore_cancelled(before)
            raise Conflict(
                f"Magento cannot cancel order {order.order_code} in state {order.magento_state}.",
            )
    _record_full_cancel(refresh_quietly(order, client), location_code, made)


def made_any(order: Order) -> bool:
    """A cancellation credit memo was (or may have been) made in Magento."""
    return (
        order.credit_memos.filter(purpose=CreditMemoPurpose.CANCELLATION)
        .exclude(state=CreditMemoState.FAILED)
        .exists()
    )


def _cancellable(order: Order) -> bool:
    """Something is left for Magento's cancel (not invoiced, not cancelled). Without a refund
    the proxy always asks (Magento's answer says why it cannot)."""
    order.refresh_from_db()
    if not made_any(order):
        return True
    return any(
        line.qty_ordered - line.qty_invoiced - line.qty_canceled > 0 for line in order.lines.all()
    )


def _record_full_cancel(order: Order, location_code: str | None, memos: list[CreditMemo]) -> None:
    how = "Cancelled in Magento"
    if memos:
        how = f"Refunded in Magento ({refunds.describe(memos)}), the rest cancelled"
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lifecycle_update(order)
        audit.record(
            "order.cancelled_by_omni",
            order=order,
            actor="omni",
            message=f"{how} at Omni's request ({location_code or 'no location'})",
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
    refunded = refunds.refunded_units(order, CreditMemoPurpose.CANCELLATION)
    owed = any(
        line.qty_cancelled_by_omni > line.qty_canceled + refunded.get(line.pk, 0) for line in lines
    )
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
    refunded = refunds.refunded_units(order, CreditMemoPurpose.CANCELLATION)
    return all(
        line.qty_canceled + refunded.get(line.pk, 0) >= line.qty_cancelled_by_omni
        for line in order.lines.all()
    )


@outbox.register(CANCEL_REMAINDER, flow=Flow.FULFILMENT)
def cancel_remainder(operation: Operation) -> dict[str, Any]:
    """Cancel in Magento what Omni cancelled of a partly shipped order, after its invoices and
    shipments exist (Magento cancels whatever is neither invoiced nor shipped)."""
    queued = Operation.objects.filter(order=operation.order, kind__in=[CREATE_INVOICE, SHIP])
    waiting = queued.exclude(state__in=[OperationState.DONE, OperationState.CANCELLED]).count()
    if waiting:
        raise outbox.Retry(f"waiting for {waiting} invoice/shipment operation(s) of this order")
    client = MagentoClient.for_operation(operation)
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
