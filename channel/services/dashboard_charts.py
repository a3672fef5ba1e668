"""The dashboard's pictures of the last 24 hours, hour by hour: orders in, pushed to Omni and
handed over; the outbox's backlog and failed attempts; Magento's and Omni's call latency (p50,
p95) and error rate. Each a server-side SVG (channel.lib.charts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from channel.lib.charts import Series, line_chart
from channel.models import AuditEvent, CallRecord, Operation, OperationAttempt, Order

HOURS = 24
CALL_SAMPLE = 50_000  # newest calls looked at per system (enough for percentiles of a day)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


def hour_starts(now: datetime) -> list[datetime]:
    """The starts of the last 24 hours, the current (partial) hour last."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=HOURS - 1 - n) for n in range(HOURS)]


def _slot(at: datetime, starts: list[datetime]) -> int | None:
    index = int((at - starts[0]).total_seconds() // 3600)
    return index if 0 <= index < len(starts) else None


def per_hour(times: Iterable[datetime | None], starts: list[datetime]) -> list[float | None]:
    counts: list[float | None] = [0.0] * len(starts)
    for at in times:
        index = None if at is None else _slot(at, starts)
        if index is not None:
            counts[index] = (counts[index] or 0) + 1
    return counts


def percentile(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))])


def _labels(starts: list[datetime]) -> list[str]:
    return [f"{s:%H}h" for s in starts]


def orders_chart(starts: list[datetime]) -> Chart:
    since = starts[0]
    came = Order.objects.filter(created_at__gte=since).values_list("created_at", flat=True)
    pushed = Order.objects.filter(pushed_to_omni_at__gte=since).values_list(
        "pushed_to_omni_at", flat=True
    )
    handed = AuditEvent.objects.filter(
        action="order.handed_over", created_at__gte=since
    ).values_list("created_at", flat=True)
    title = "Orders per hour (UTC)"
    series = [
        Series("in from Magento", per_hour(came, starts)),
        Series("pushed to Omni", per_hour(pushed, starts)),
        Series("handed over", per_hour(handed, starts)),
    ]
    return Chart(title, line_chart(title, "orders", _labels(starts), series))


def backlog_at(ends: list[datetime], spans: Iterable[tuple[datetime, datetime | None]]) -> list:
    """How many operations were open (created, not yet finished) at each of `ends`."""
    counts = [0.0] * len(ends)
    for created, finished in spans:
        for n, end in enumerate(ends):
            if created <= end and (finished is None or finished > end):
                counts[n] += 1
    return counts


OPEN = ("pending", "running")


def _outbox_spans(since: datetime) -> QuerySet[Operation, tuple[Any, ...]]:
    """The operations that can be open at an hour's end: the open ones and those created or
    updated since `since`, each arm an index range (op_due_idx, op_created_idx, op_updated_idx).
    A failed operation last updated before `since` ended there (done_at is set only on success),
    so it draws nothing: the failed ones that count are those updated since `since`."""
    return Operation.objects.filter(
        Q(created_at__gte=since) | Q(state__in=OPEN) | Q(updated_at__gte=since)
    ).values_list("created_at", "done_at", "updated_at", "state")


def outbox_chart(starts: list[datetime], now: datetime) -> Chart:
    since = starts[0]
    ends = [*starts[1:], now]
    # Finished operations have done_at (done) or their last update (failed, cancelled).
    spans = [
        (created, done or (None if state in OPEN else updated))
        for created, done, updated, state in _outbox_spans(since)
    ]
    failed = (
        OperationAttempt.objects.filter(started_at__gte=since)
        .exclude(outcome__in=("done", ""))
        .values_list("started_at", flat=True)
    )
    title = "Outbox: open operations and failed attempts"
    series = [
        Series("open (end of hour)", backlog_at(ends, spans)),
        Series("failed attempts", per_hour(failed, starts)),
    ]
    return Chart(title, line_chart(title, "operations", _labels(starts), series))


def _calls(system: str, since: datetime) -> list[tuple[datetime, int, int | None]]:
    return list(
        CallRecord.objects.filter(direction="out", system=system, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", "duration_ms", "status")[:CALL_SAMPLE]
    )


def call_stats(
    calls: list[tuple[datetime, int, int | None]], starts: list[datetime]
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Per hour: p50 and p95 latency (ms) and the error rate (%: no answer or HTTP >= 400),
    None where there was no call."""
    durations: list[list[int]] = [[] for _ in starts]
    errors = [0] * len(starts)
    for at, duration, status in calls:
        index = _slot(at, starts)
        if index is None:
            continue
        durations[index].append(duration)
        errors[index] += status is None or status >= 400
    p50 = [percentile(d, 0.5) for d in durations]
    p95 = [percentile(d, 0.95) for d in durations]
    rate = [100.0 * e / len(d) if d else None for e, d in zip(errors, durations, strict=True)]
    return p50, p95, rate


def call_charts(system: str, label: str, starts: list[datetime]) -> list[Chart]:
    p50, p95, rate = call_stats(_calls(system, starts[0]), starts)
    latency, errors = f"{label} calls: latency", f"{label} calls: error rate"
    lines = [Series("p50", p50), Series("p95", p95, dashed=True)]
    return [
        Chart(latency, line_chart(latency, "ms", _labels(starts), lines)),
        Chart(errors, line_chart(errors, "%", _labels(starts), [Series("errors", rate)])),
    ]


def charts(now: datetime | None = None) -> list[Chart]:
    now = now or timezone.now()
    starts = hour_starts(now)
    result = [orders_chart(starts), outbox_chart(starts, now)]
    for system, label in (("magento", "Magento"), ("omni", "Omni")):
        result += call_charts(system, label, starts)
    return result
