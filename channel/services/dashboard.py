"""Numbers for the admin dashboard (the admin index): backlog, failures, flows, lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from channel.models import (
    Flow,
    FlowState,
    Operation,
    OperationState,
    Order,
    OrderLifecycle,
)

OPEN_STATES = (OperationState.PENDING, OperationState.RUNNING)


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    url: str
    oldest: datetime | None = None
    extra: str = ""


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
    now = timezone.now()
    rows = []
    for flow in Flow:
        state = states.get(flow.value)
        success = state.last_success_at if state else None
        lag = f"{int((now - success).total_seconds())} s ago" if success else "never"
        paused = " — PAUSED" if state and state.paused else ""
        error = f" — last error: {state.last_error[:120]}" if state and state.last_error else ""
        rows.append(
            Row(
                flow.label,
                0,
                _changelist("flowstate"),
                state.last_run_at if state else None,
                f"last success {lag}{paused}{error}",
            )
        )
    return rows


def lifecycle() -> list[Row]:
    """Orders created in the last DASHBOARD_ORDER_DAYS days by step (all orders: a full scan)."""
    since = timezone.now() - timedelta(days=settings.DASHBOARD_ORDER_DAYS)
    recent = Order.objects.filter(magento_created_at__gte=since).order_by()
    # COUNT(*), not COUNT(id): the count is then an index-only scan of (created, lifecycle).
    counts = dict(recent.values("lifecycle").annotate(n=Count("*")).values_list("lifecycle", "n"))
    day = f"{since:%Y-%m-%d}"
    return [
        Row(
            choice.label,
            counts.get(choice.value, 0),
            _changelist("order", lifecycle__exact=choice.value, magento_created_at__gte=day),
        )
        for choice in OrderLifecycle
    ]


def dashboard_context() -> dict[str, Any]:
    return {
        "dashboard": {
            "backlog": backlog(),
            "failures": failures(),
            "flows": flows(),
            "lifecycle": lifecycle(),
            "lifecycle_days": settings.DASHBOARD_ORDER_DAYS,
        }
    }
