"""Numbers for the admin dashboard (the admin index): backlog, failures, flows, lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.urls import reverse
from django.utils import timezone

from channel.models import (
    Flow,
    FlowState,
    NotSentReason,
    Operation,
    OperationState,
    Order,
    OrderLifecycle,
)
from channel.services import golive

HELD = "holded"  # Magento's state of an order on hold
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
    """Orders by step: the new ones (all of them, split honestly: sent to Omni and waiting for
    its acknowledgement, on their way, held in Magento, not sent with a reason: see not_sent),
    the others created in the last DASHBOARD_ORDER_DAYS days (all orders would be a full scan)."""
    since = timezone.now() - timedelta(days=settings.DASHBOARD_ORDER_DAYS)
    recent = Order.objects.filter(magento_created_at__gte=since).order_by()
    # COUNT(*), not COUNT(id): the count is then an index-only scan of (created, lifecycle).
    counts = dict(recent.values("lifecycle").annotate(n=Count("*")).values_list("lifecycle", "n"))
    day = f"{since:%Y-%m-%d}"
    rows = []
    for choice in OrderLifecycle:
        if choice == OrderLifecycle.NEW:
            rows += new_orders()
            continue
        rows.append(
            Row(
                choice.label,
                counts.get(choice.value, 0),
                _changelist("order", lifecycle__exact=choice.value, magento_created_at__gte=day),
            )
        )
    return rows


NEW_SPLITS = {
    "waiting": "New: sent to Omni, waiting for acknowledgement",
    "on_its_way": "New: not sent to Omni yet",
    "held": "New: held in Magento",
    "not_sent": "New: not sent to Omni, with a reason (table above)",
}


def new_split(queryset: QuerySet[Order], split: str) -> QuerySet[Order]:
    """The new orders of one NEW_SPLITS part (the dashboard counts them, the order list filters)."""
    new = queryset.filter(lifecycle=OrderLifecycle.NEW)
    if split == "held":
        return new.filter(magento_state=HELD)
    new = new.exclude(magento_state=HELD)
    if split == "not_sent":
        return new.exclude(not_sent_reason="")
    return new.filter(not_sent_reason="", pushed_to_omni_at__isnull=split != "waiting")


def new_orders() -> list[Row]:
    return [
        Row(label, new_split(Order.objects.all(), split).count(), _changelist("order", new=split))
        for split, label in NEW_SPLITS.items()
    ]


def not_sent() -> list[Row]:
    """Open orders mirrored but not sent to Omni, by reason, each linked to its order list."""
    counts = dict(
        Order.objects.filter(lifecycle=OrderLifecycle.NEW)
        .exclude(not_sent_reason="")
        .values_list("not_sent_reason")
        .annotate(Count("id"))
    )
    return [
        Row(
            reason.label,
            counts[reason.value],
            _changelist(
                "order", not_sent_reason__exact=reason.value, lifecycle__exact=OrderLifecycle.NEW
            ),
        )
        for reason in NotSentReason
        if counts.get(reason.value)
    ]


def dashboard_context() -> dict[str, Any]:
    from channel.services.dashboard_charts import charts

    return {
        "go_live": golive.intake_start(),
        "dashboard": {
            "not_sent": not_sent(),
            "charts": charts(),
            "backlog": backlog(),
            "failures": failures(),
            "flows": flows(),
            "lifecycle": lifecycle(),
            "lifecycle_days": settings.DASHBOARD_ORDER_DAYS,
        },
    }
