"""Numbers for the admin dashboard (the admin index): backlog, failures, flows, lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Min
from django.urls import reverse

from channel.models import (
    AuditEvent,
    Flow,
    FlowState,
    Operation,
    OperationState,
    Order,
    OrderLifecycle,
)

HELD = "holded"  # Magento's state of an order on hold
NOT_PUSHED_ACTION = "order.not_pushed"  # recorded for an order with nothing to ship
OPEN_STATES = (OperationState.PENDING, OperationState.RUNNING)


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    url: str
    oldest: datetime | None = None
    extra: str = ""
    paused: bool = False
    last_success: datetime | None = None


def _changelist(model: str, **filters: Any) -> str:
    url = reverse(f"admin:channel_{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def backlog() -> list[Row]:
    rows = (
        Operation.objects.filter(state__in=OPEN_STATES)
        .values("kind")
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .order_by("kind")
    )
    return [
        Row(
            r["kind"],
            r["count"],
            _changelist("operation", kind=r["kind"], state__exact="pending"),
            r["oldest"],
        )
        for r in rows
    ]


def failures() -> list[Row]:
    rows = (
        Operation.objects.filter(state=OperationState.FAILED)
        .values("error_class")
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .order_by("error_class")
    )
    return [
        Row(
            r["error_class"] or "unclassified",
            r["count"],
            _changelist("operation", state__exact="failed", error_class__exact=r["error_class"]),
            r["oldest"],
        )
        for r in rows
    ]


def flows() -> list[Row]:
    states = {s.flow: s for s in FlowState.objects.all()}
    rows = []
    for flow in Flow:
        state = states.get(flow.value)
        rows.append(
            Row(
                flow.label,
                0,
                _changelist("flowstate"),
                state.last_run_at if state else None,
                state.last_error[:120] if state else "",
                paused=bool(state and state.paused),
                last_success=state.last_success_at if state else None,
            )
        )
    return rows


def lifecycle() -> list[Row]:
    """Orders by step; "new" split honestly: held in Magento, nothing to ship (virtual only: never
    sent to Omni), sent to Omni and waiting for its acknowledgement, not sent yet."""
    counts = dict(Order.objects.values_list("lifecycle").annotate(Count("id")))
    rows = []
    for choice in OrderLifecycle:
        if choice == OrderLifecycle.NEW:
            rows += new_orders()
            continue
        rows.append(
            Row(
                choice.label,
                counts.get(choice.value, 0),
                _changelist("order", lifecycle__exact=choice.value),
            )
        )
    return rows


def new_orders() -> list[Row]:
    new = Order.objects.filter(lifecycle=OrderLifecycle.NEW)
    virtual = AuditEvent.objects.filter(action=NOT_PUSHED_ACTION).values("order_id")
    held = new.filter(magento_state=HELD)
    shippable = new.exclude(magento_state=HELD).exclude(pk__in=virtual)
    new_filter = {"lifecycle__exact": OrderLifecycle.NEW}
    return [
        Row(
            "New: sent to Omni, waiting for acknowledgement",
            shippable.filter(pushed_to_omni_at__isnull=False).count(),
            _changelist("order", **new_filter, pushed_to_omni_at__isnull="False"),
        ),
        Row(
            "New: not sent to Omni yet",
            shippable.filter(pushed_to_omni_at__isnull=True).count(),
            _changelist("order", **new_filter, pushed_to_omni_at__isnull="True"),
        ),
        Row(
            "New: held in Magento",
            held.count(),
            _changelist("order", **new_filter, magento_state__exact=HELD),
        ),
        Row(
            "New: virtual only (nothing to ship, not sent to Omni)",
            new.filter(pk__in=virtual).count(),
            _changelist("auditevent", action__exact=NOT_PUSHED_ACTION),
        ),
    ]


def dashboard_context() -> dict[str, Any]:
    from channel.services.dashboard_charts import charts

    return {
        "dashboard": {
            "charts": charts(),
            "backlog": backlog(),
            "failures": failures(),
            "flows": flows(),
            "lifecycle": lifecycle(),
        }
    }
