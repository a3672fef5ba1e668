"""The order timeline shows each of the order's returns (their events are already in it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse

from channel.models import Order
from channel.services.timeline import Entry
from returns.models import ReturnOrder


def return_entries(order: Order) -> Iterable[Entry]:
    for return_order in ReturnOrder.objects.filter(order=order).annotate(unit_count=Count("items")):
        yield Entry(
            at=return_order.created_at,
            kind="return",
            title=f"Return {return_order.return_order_code} ({return_order.get_state_display()})",
            detail=f"{return_order.get_order_type_display()}, {return_order.unit_count} unit(s)"
            + (f" — {return_order.last_error[:200]}" if return_order.last_error else ""),
            actor=return_order.created_by,
            url=reverse("admin:returns_returnorder_change", args=[return_order.pk]),
        )
