"""Order services: mirror a Magento order, and notice what changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channel import audit, mapping, outbox
from channel.models import Order, OrderLifecycle, OrderLine

PUSH_ORDER = "omni.push_order"
CUSTOMER_CANCEL = "omni.customer_cancel"
UPDATE_PROPERTIES = "omni.update_properties"


@dataclass
class UpsertResult:
    order: Order
    created: bool
    changed: bool
    stale: bool = False


def order_upsert(*, raw: dict[str, Any], actor: str = "magento") -> UpsertResult:
    """Store one Magento order (keyed on entity_id) and queue what its changes require."""
    data = mapping.map_order(raw)
    try:
        return _upsert(data, actor)
    except IntegrityError:
        # Another sync inserted this new order between our look and our insert (two syncs at
        # once: the schedule and `manage.py sync_magento`); now it exists and is updated.
        return _upsert(data, actor)


def _upsert(data: mapping.OrderData, actor: str) -> UpsertResult:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(entity_id=data.fields["entity_id"]).first()
        if order and order.magento_updated_at > data.fields["magento_updated_at"]:
            return UpsertResult(order, created=False, changed=False, stale=True)
        before = _snapshot(order)
        order, created = _save_order(order, data)
        _save_lines(order, data)
        after = _snapshot(order)
        _note_changes(order, created, before, after, actor)
        _queue_effects(order, created, before, after)
    return UpsertResult(order, created=created, changed=created or before != after)


def _save_order(order: Order | None, data: mapping.OrderData) -> tuple[Order, bool]:
    created = order is None
    order = order or Order()
    for name, value in data.fields.items():
        setattr(order, name, value)
    order.data_errors = "\n".join(data.errors)
    order.notes = "\n".join(data.notes)
    order.fetched_at = timezone.now()
    if order.magento_state == "canceled":
        order.lifecycle = OrderLifecycle.CANCELLED
    order.save()
    return order, created


def _save_lines(order: Order, data: mapping.OrderData) -> None:
    shipping = mapping.shipping_per_unit(data.lines, order.shipping_incl_tax)
    existing = {line.item_id: line for line in order.lines.all()}
    for position, src in enumerate(data.lines):
        line = existing.get(src.item_id) or OrderLine(order=order, item_id=src.item_id)
        units = src.quantities["qty_ordered"] or 1
        line.magento_item_id = src.magento_item_id
        line.parent_item_id = src.parent_item_id
        line.position = position
        line.sku = src.sku
        line.name = src.name
        line.product_type = src.product_type
        for name, value in src.quantities.items():
            setattr(line, name, value)
        line.selling_price_per_unit = src.price_incl_tax
        line.price_excl_tax = src.price_excl_tax
        line.discount_per_unit = mapping.money(src.discount_total / units)
        line.shipping_charge_per_unit = shipping[src.item_id]
        line.tax_percent = src.tax_percent
        line.tax_amount = src.tax_amount
        line.row_total_incl_tax = src.row_total_incl_tax
        line.save()


def _snapshot(order: Order | None) -> dict[str, Any]:
    if order is None or order.pk is None:
        return {}
    return {
        "state": order.magento_state,
        "status": order.magento_status,
        "canceled": {str(line.item_id): line.qty_canceled for line in order.lines.all()},
    }


def _note_changes(
    order: Order, created: bool, before: dict[str, Any], after: dict[str, Any], actor: str
) -> None:
    if created:
        audit.record(
            "order.mirrored",
            order=order,
            actor=actor,
            message=f"Mirrored from Magento in state {order.magento_state}/{order.magento_status}",
        )
    elif before != after:
        audit.record(
            "order.magento_changed",
            order=order,
            actor=actor,
            message=_describe_change(before, after),
            data={"before": before, "after": after},
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
    order: Order, created: bool, before: dict[str, Any], after: dict[str, Any]
) -> None:
    if not settings.OMNI_PUSH_ORDERS:
        return
    if order.magento_status in settings.MAGENTO_NEW_ORDER_STATUSES and _has_lines(order, created):
        queue_push(order)
    if not _push_queued(order):
        return
    if _customer_cancelled(order, before):
        queue_customer_cancel(order)
    was_held = before.get("state") == "holded"
    if before and was_held != (after["state"] == "holded"):
        outbox.enqueue(
            UPDATE_PROPERTIES,
            key=f"{UPDATE_PROPERTIES}:{order.entity_id}:{order.magento_updated_at.isoformat()}",
            order=order,
            payload={"onHold": after["state"] == "holded"},
        )


def _has_lines(order: Order, created: bool) -> bool:
    """An order with nothing to ship (virtual only) is not sent to Omni: Omni refuses it."""
    if order.lines.exists():
        return True
    if created:
        audit.record(
            "order.not_pushed",
            order=order,
            message="Not sent to Omni: it has no line to ship (virtual or downloadable only)",
        )
    return False


def queue_push(order: Order) -> None:
    outbox.enqueue(PUSH_ORDER, key=f"{PUSH_ORDER}:{order.entity_id}", order=order)


def _push_queued(order: Order) -> bool:
    return order.operations.filter(kind=PUSH_ORDER).exists()


def _customer_cancelled(order: Order, before: dict[str, Any]) -> bool:
    """A line's Magento qty_canceled rose beyond what Omni itself asked to cancel."""
    old = before.get("canceled", {})
    return any(
        line.qty_canceled > max(old.get(str(line.item_id), 0), line.qty_cancelled_by_omni)
        for line in order.lines.all()
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
