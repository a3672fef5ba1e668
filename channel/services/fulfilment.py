"""What the order-processing services share: the operation kinds that carry effects to Magento,
the lifecycle update, the Magento items of a shipment, nudging an operation, order comments."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channel import outbox
from channel.integrations.magento import MagentoClient, MagentoError
from channel.lib.hashing import content_hash
from channel.models import Flow, Operation, OperationState, Order, OrderLine, Shipment
from channel.services import sync

log = logging.getLogger(__name__)

CREATE_INVOICE = "magento.create_invoice"
SHIP = "magento.ship"
ORDER_COMMENT = "magento.order_comment"
CANCEL_REMAINDER = "magento.cancel_remainder"
ALL_LOCATIONS = "ALL"


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


def magento_items(shipment: Shipment, *, invoice: bool = False) -> list[dict[str, Any]]:
    """`items` for Magento's invoice and ship calls: the ids Magento expects (a configurable's
    parent; a bundle's parent when it ships together, counted in bundles) with quantities.

    Invoicing follows Magento's dummy-item rules instead of the shipping ones: a fixed-price
    bundle is invoiced through its parent, a dynamic one through its children (contract 8.6)."""
    groups: dict[int, list[tuple[OrderLine, int]]] = {}
    for shipment_line in shipment.lines.select_related("order_line").order_by("pk"):
        line = shipment_line.order_line
        magento_id = invoice_item_id(shipment.order, line) if invoice else line.magento_item_id
        groups.setdefault(magento_id, []).append((line, shipment_line.quantity))
    return [
        {"order_item_id": magento_id, "qty": _group_quantity(shipment.order, magento_id, members)}
        for magento_id, members in groups.items()
    ]


def invoice_item_id(order: Order, line: OrderLine) -> int:
    if line.parent_item_id is None or line.product_type == "configurable":
        return line.magento_item_id
    return line.parent_item_id if bundle_fixed_price(order, line.parent_item_id) else line.item_id


def bundle_fixed_price(order: Order, parent_id: int) -> bool:
    """A bundle whose children carry no price of their own (Magento prices the parent)."""
    children = [
        i for i in order.raw.get("items") or [] if int(i.get("parent_item_id") or 0) == parent_id
    ]
    return not any(float(c.get("price_incl_tax") or c.get("price") or 0) > 0 for c in children)


def chunked(items: list[dict[str, Any]], size: int | None = None) -> list[list[dict[str, Any]]]:
    """`items` in arrays of at most MAGENTO_INPUT_LIMIT (Magento's REST input limit, 8.6)."""
    size = size or settings.MAGENTO_INPUT_LIMIT
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def make_in_parts(
    parts: list[int],
    chunks: list[list[dict[str, Any]]],
    find: Callable[[list[dict[str, Any]], list[int]], int | None],
    create: Callable[[list[dict[str, Any]]], int],
    save: Callable[[list[int]], object],
) -> list[int]:
    """One Magento document per chunk of items (Magento's REST input limit, 8.6), each saved as
    soon as it exists; before each is created, `find` looks for one an earlier attempt made (a
    lost answer), so a retry never makes a part twice."""
    parts = list(parts)
    for chunk in chunks[len(parts) :]:
        found = find(chunk, parts)
        parts.append(found if found is not None else create(chunk))
        save(parts)
    return parts


def claimed_ids(
    parts: list[int], others: Iterable[tuple[int | None, list[int] | None]]
) -> set[int]:
    """Magento ids already claimed: `parts` and the (id, parts) of the order's other documents."""
    taken = set(parts)
    for other_id, other_parts in others:
        taken |= {int(i) for i in (other_id, *(other_parts or [])) if i is not None}
    return taken


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
    return content_hash(data)[:16]


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


# --- order comments -------------------------------------------------------------------------------
def _comment_read_back(operation: Operation) -> dict[str, Any] | None:
    assert operation.order is not None
    raw = MagentoClient.for_operation(operation).get_order(operation.order.entity_id)
    comments = [entry.get("comment") for entry in raw.get("status_histories") or []]
    return {"found": True} if operation.payload["comment"] in comments else None


@outbox.register(ORDER_COMMENT, flow=Flow.FULFILMENT, read_back=_comment_read_back)
def order_comment(operation: Operation) -> dict[str, Any]:
    """A note on the Magento order (no status change)."""
    assert operation.order is not None
    MagentoClient.for_operation(operation).add_comment(
        operation.order.entity_id, operation.payload["comment"]
    )
    return {}
