"""Order services: mirror a Magento order, and notice what changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import JSONField, Value, prefetch_related_objects
from django.utils import timezone

from channel import outbox
from channel.models import AuditEvent, BackfillRun, NotSentReason, Order, OrderLifecycle, OrderLine
from channel.services import audit, golive, mapping

PUSH_ORDER = "omni.push_order"
CUSTOMER_CANCEL = "omni.customer_cancel"
UPDATE_PROPERTIES = "omni.update_properties"
FETCHED_AT_RESOLUTION_SECONDS = 60


@dataclass
class UpsertResult:
    order: Order
    created: bool
    changed: bool
    stale: bool = False


def order_upsert(
    *,
    raw: dict[str, Any],
    actor: str = "magento",
    known: Order | None = None,
    backfill: BackfillRun | None = None,
) -> UpsertResult:
    """Store one Magento order (keyed on entity_id) and queue what its changes require.

    Only rows whose values changed are written. Refreshing an order that Magento has not changed
    since (same `updated_at`, same values: Omni's single-order GET, the sync's overlap window)
    reads its lines once, without a lock, and touches `fetched_at` (once a minute at most); the
    returned order carries those lines. `known`: the mirrored order, when the caller has just
    read it. `backfill`: the run taking orders from before go-live on purpose (the order may then
    be pushed).
    """
    data = mapping.map_order(raw)
    unchanged = _refresh_unchanged(data, known)
    if unchanged is not None:
        if backfill is not None:
            order_reconsider(unchanged.order, backfill=backfill)
        return unchanged
    try:
        return _upsert(data, actor, backfill)
    except IntegrityError:
        # Another sync inserted this new order between our look and our insert (two syncs at
        # once: the schedule and `manage.py sync_magento`); now it exists and is updated.
        return _upsert(data, actor, backfill)


def _upsert(data: mapping.OrderData, actor: str, backfill: BackfillRun | None) -> UpsertResult:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(entity_id=data.fields["entity_id"]).first()
        if order and order.magento_updated_at > data.fields["magento_updated_at"]:
            return UpsertResult(order, created=False, changed=False, stale=True)
        lines = list(order.lines.all()) if order else []
        before = _snapshot(order, lines)
        if backfill is not None and (order is None or order.backfill_run_id is None):
            data.fields["backfill_run"] = backfill
        order, created = _save_order(order, data)
        lines = _save_lines(order, data, lines)
        after = _snapshot(order, lines)
        _note_changes(order, created, before, after, actor)
        _queue_effects(order, lines, before, after)
    return UpsertResult(order, created=created, changed=created or before != after)


def _refresh_unchanged(data: mapping.OrderData, known: Order | None) -> UpsertResult | None:
    """The result for an order Magento has not changed (or sent older), else None.

    Nothing is written but `fetched_at`, so no lock is needed: a concurrent change is newer and
    is stored by its own writer; nothing is queued, because an unchanged order needs nothing new.
    """
    entity_id = data.fields["entity_id"]
    if known is not None and known.entity_id == entity_id:
        order: Order | None = known
    else:
        order = Order.objects.filter(entity_id=entity_id).first()
    if order is None:
        return None
    if order.magento_updated_at > data.fields["magento_updated_at"]:
        return UpsertResult(order, created=False, changed=False, stale=True)
    if order.magento_updated_at != data.fields["magento_updated_at"] or _differs(order, data):
        return None
    _touch_fetched_at(order)
    return UpsertResult(order, created=False, changed=False)


def _touch_fetched_at(order: Order) -> None:
    """`fetched_at` says, to the minute, when Magento last confirmed the mirror: an order Omni
    reads every few seconds is not written every time (its call records show each read)."""
    now = timezone.now()
    if (now - order.fetched_at).total_seconds() >= FETCHED_AT_RESOLUTION_SECONDS:
        order.fetched_at = now
        Order.objects.filter(pk=order.pk).update(fetched_at=now)


def _differs(order: Order, data: mapping.OrderData) -> bool:
    """Whether Magento's order differs from the mirror's, which then has its lines loaded."""
    if not _same(order, _order_values(data)):
        return True
    prefetch_related_objects([order], "lines")  # in position order (OrderLine.Meta.ordering)
    lines = {line.item_id: line for line in order.lines.all()}
    wanted = _wanted_lines(order, data)
    return lines.keys() != wanted.keys() or not all(
        _same(lines[item_id], values) for item_id, values in wanted.items()
    )


def _same(instance: Order | OrderLine, values: dict[str, Any]) -> bool:
    return all(getattr(instance, name) == value for name, value in values.items())


def orders_create(
    *, raws: list[dict[str, Any]], actor: str = "magento", backfill: BackfillRun | None = None
) -> list[UpsertResult]:
    """Mirror Magento orders that are not in the mirror yet, many at a time (the sync's pages;
    a backfill's, which takes them from before go-live on purpose).

    For each order the same rows as `order_upsert` writes for a new one (the order, its lines, a
    history row, the `order.mirrored` entry and the push to Omni), in six statements for the lot
    instead of about twelve per order. An order that needs more than a push (it arrives with a
    cancelled line) goes through `order_upsert`. One of them mirrored meanwhile by someone else
    raises IntegrityError (the caller falls back to `order_upsert`).
    """
    built, results = [], []
    start = golive.intake_start()
    for raw in raws:
        data = mapping.map_order(raw)
        if any(line.quantities["qty_canceled"] for line in data.lines):
            results.append(order_upsert(raw=raw, actor=actor, backfill=backfill))
        else:
            built.append(_new_order(data, start, backfill))
    with transaction.atomic():
        _insert_orders([order for order, _ in built])
        Order.history.bulk_history_create([order for order, _ in built])
        for order, lines in built:
            for line in lines:
                line.order = order
        OrderLine.objects.bulk_create([line for _, lines in built for line in lines])
        AuditEvent.objects.bulk_create([_mirrored(order, actor) for order, _ in built])
        pushes = {_push_key(o): o for o, _ in built if not o.not_sent_reason}
        if pushes:
            outbox.enqueue_new(PUSH_ORDER, orders_by_key=pushes)
        AuditEvent.objects.bulk_create(
            [_not_pushed(o, o.not_sent_reason) for o, _ in built if _worth_noting(o)]
        )
    return results + [UpsertResult(order, created=True, changed=True) for order, _ in built]


def _new_order(
    data: mapping.OrderData, start: Any, backfill: BackfillRun | None = None
) -> tuple[Order, list[OrderLine]]:
    order = Order(**_order_values(data), fetched_at=timezone.now(), backfill_run=backfill)
    shipping = mapping.shipping_per_unit(data.lines, order.shipping_incl_tax)
    lines = [
        OrderLine(item_id=src.item_id, **line_values(src, position, shipping[src.item_id]))
        for position, src in enumerate(data.lines)
    ]
    order.not_sent_reason = golive.not_sent_reason(order, has_lines=bool(lines), start=start)
    return order, lines


def _insert_orders(orders: list[Order]) -> None:
    """bulk_create, with the JSON columns as expressions: otherwise each column goes as one
    array (UNNEST) and psycopg quotes every element with a regex, ~2 ms per 10 kB Magento order.
    """
    json_fields = ("raw", "shipping_address", "billing_address")
    values = [{name: getattr(order, name) for name in json_fields} for order in orders]
    for order, fields in zip(orders, values, strict=True):
        for name, value in fields.items():
            setattr(order, name, Value(value, output_field=JSONField()))
    Order.objects.bulk_create(orders)
    for order, fields in zip(orders, values, strict=True):
        for name, value in fields.items():
            setattr(order, name, value)


def _order_values(data: mapping.OrderData) -> dict[str, Any]:
    values = {
        **data.fields,
        "data_errors": "\n".join(data.errors),
        "notes": "\n".join(data.notes),
    }
    if values["magento_state"] == "canceled":
        values["lifecycle"] = OrderLifecycle.CANCELLED
    return values


def _save_order(order: Order | None, data: mapping.OrderData) -> tuple[Order, bool]:
    created = order is None
    order = order or Order()
    changed = _assign(order, _order_values(data))
    order.fetched_at = timezone.now()
    if created or changed:
        order.save()
    else:  # nothing to record: no history row, one small update
        Order.objects.filter(pk=order.pk).update(fetched_at=order.fetched_at)
    return order, created


def _assign(instance: Order | OrderLine, values: dict[str, Any]) -> bool:
    """Set `values` on `instance`; True when any of them differed."""
    changed = not _same(instance, values)
    for name, value in values.items():
        setattr(instance, name, value)
    return changed


def _wanted_lines(order: Order, data: mapping.OrderData) -> dict[int, dict[str, Any]]:
    """The mirror's values for each of Magento's lines, by item_id, in Magento's order."""
    shipping = mapping.shipping_per_unit(data.lines, order.shipping_incl_tax)
    return {
        src.item_id: line_values(src, position, shipping[src.item_id])
        for position, src in enumerate(data.lines)
    }


def _save_lines(order: Order, data: mapping.OrderData, lines: list[OrderLine]) -> list[OrderLine]:
    """Update changed lines, insert new ones; returns every line of the order."""
    existing = {line.item_id: line for line in lines}
    new_lines = []
    for item_id, values in _wanted_lines(order, data).items():
        line = existing.get(item_id)
        if line is None:
            new_lines.append(OrderLine(order=order, item_id=item_id, **values))
        elif _assign(line, values):
            line.save()
    OrderLine.objects.bulk_create(new_lines)
    return sorted([*lines, *new_lines], key=lambda line: line.position)


def line_values(src: mapping.LineData, position: int, shipping: Any) -> dict[str, Any]:
    """The mirror's OrderLine fields for one mapped Magento line (`shipping`: per unit)."""
    units = src.quantities["qty_ordered"] or 1
    return {
        "magento_item_id": src.magento_item_id,
        "parent_item_id": src.parent_item_id,
        "position": position,
        "sku": src.sku,
        "name": src.name,
        "product_type": src.product_type,
        **src.quantities,
        "selling_price_per_unit": src.price_incl_tax,
        "price_excl_tax": src.price_excl_tax,
        "discount_per_unit": mapping.money(src.discount_total / units),
        "shipping_charge_per_unit": shipping,
        "tax_percent": src.tax_percent,
        "tax_amount": src.tax_amount,
        "tax_breakup": src.tax_breakup,
        "row_total_incl_tax": src.row_total_incl_tax,
    }


def _snapshot(order: Order | None, lines: list[OrderLine]) -> dict[str, Any]:
    if order is None or order.pk is None:
        return {}
    return {
        "state": order.magento_state,
        "status": order.magento_status,
        "canceled": {str(line.item_id): line.qty_canceled for line in lines},
    }


def _note_changes(
    order: Order, created: bool, before: dict[str, Any], after: dict[str, Any], actor: str
) -> None:
    if created:
        _mirrored(order, actor).save(force_insert=True)
    elif before != after:
        audit.record(
            "order.magento_changed",
            order=order,
            actor=actor,
            message=_describe_change(before, after),
            data={"before": before, "after": after},
        )


def _mirrored(order: Order, actor: str) -> AuditEvent:
    return audit.entry(
        "order.mirrored",
        order=order,
        actor=actor,
        message=f"Mirrored from Magento in state {order.magento_state}/{order.magento_status}",
    )


def _describe_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    if (before.get("state"), before.get("status")) != (after["state"], after["status"]):
        old = f"{before.get('state')}/{before.get('status')}"
        parts.append(f"state {old} → {after['state']}/{after['status']}")
    if before.get("canceled") != after["canceled"]:
        parts.append(f"cancelled quantities {before.get('canceled')} → {after['canceled']}")
    return "; ".join(parts) or "changed in Magento"


# --- effects on Omni (the outbox) ----------------------------------------------------------------
def _queue_effects(
    order: Order, lines: list[OrderLine], before: dict[str, Any], after: dict[str, Any]
) -> None:
    if not _pushable(order, lines):
        return
    if _customer_cancelled(lines, before):
        queue_customer_cancel(order)
    was_held = before.get("state") == "holded"
    if before and was_held != (after["state"] == "holded"):
        outbox.enqueue(
            UPDATE_PROPERTIES,
            key=f"{UPDATE_PROPERTIES}:{order.entity_id}:{order.magento_updated_at.isoformat()}",
            order=order,
            payload={"onHold": after["state"] == "holded"},
        )


def _pushable(order: Order, lines: list[OrderLine]) -> bool:
    """Whether the order is (now) on its way to Omni: queued before, or queued now. When it may
    not be sent, its reason is stored (and noted when it changes)."""
    if not settings.OMNI_PUSH_ORDERS:
        _set_reason(order, NotSentReason.PUSH_OFF)
        return False
    if order.pushed_to_omni_at or _push_queued(order):
        _set_reason(order, "")
        return True
    reason = golive.not_sent_reason(order, has_lines=bool(lines))
    _set_reason(order, reason)
    if reason:
        return False
    queue_push(order)
    return True


def _set_reason(order: Order, reason: str) -> None:
    if order.not_sent_reason == reason:
        return
    order.not_sent_reason = reason
    Order.objects.filter(pk=order.pk).update(not_sent_reason=reason)
    if _worth_noting(order):
        _not_pushed(order, reason).save(force_insert=True)


def _worth_noting(order: Order) -> bool:
    """Not-sent reasons worth an entry on the order (switched-off pushing is not about it)."""
    return order.not_sent_reason not in ("", NotSentReason.PUSH_OFF)


def _not_pushed(order: Order, reason: str) -> AuditEvent:
    label = NotSentReason(reason).label
    return audit.entry(
        "order.not_pushed", order=order, actor="system", message=f"Not sent to Omni: {label}"
    )


def order_reconsider(order: Order, *, backfill: BackfillRun | None = None) -> bool:
    """Decide again whether a mirrored order goes to Omni (a backfill taking it, or support after
    fixing the configuration); True when it is on its way."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if backfill is not None and order.backfill_run_id is None:
            order.backfill_run = backfill
            Order.objects.filter(pk=order.pk).update(backfill_run=backfill)
        return _pushable(order, list(order.lines.all()))


def _push_key(order: Order) -> str:
    return f"{PUSH_ORDER}:{order.entity_id}"


def queue_push(order: Order) -> None:
    outbox.enqueue(PUSH_ORDER, key=_push_key(order), order=order)


def _push_queued(order: Order) -> bool:
    return order.operations.filter(kind=PUSH_ORDER).exists()


def _customer_cancelled(lines: list[OrderLine], before: dict[str, Any]) -> bool:
    """A line's Magento qty_canceled rose beyond what Omni itself asked to cancel."""
    old = before.get("canceled", {})
    return any(
        line.qty_canceled > max(old.get(str(line.item_id), 0), line.qty_cancelled_by_omni)
        for line in lines
    )


def queue_customer_cancel(order: Order) -> None:
    quantities = {str(line.item_id): line.qty_canceled for line in order.lines.all()}
    digest = hashlib.sha256(json.dumps(quantities, sort_keys=True).encode()).hexdigest()[:16]
    outbox.enqueue(
        CUSTOMER_CANCEL,
        key=f"{CUSTOMER_CANCEL}:{order.entity_id}:{digest}",
        order=order,
        payload={"quantities": quantities},
    )
