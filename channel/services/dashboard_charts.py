"""The dashboard's pictures of the last 24 hours, hour by hour: orders in, pushed to Omni and
handed over; the outbox's backlog and failed attempts; Magento's and Omni's call latency (p50,
p95) and error rate. Each a server-side SVG (channel.lib.charts)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
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


def percentile(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))])


def _labels(starts: list[datetime]) -> list[str]:
    return [f"{s:%H}h" for s in starts]


def hour_bounds(starts: list[datetime]) -> list[datetime]:
    """Where each hour of `starts` begins and the last one ends (whole hours of elapsed time
    from the first)."""
    first = starts[0].astimezone(UTC)
    return [first + timedelta(hours=n) for n in range(len(starts) + 1)]


def hour_of(field: str, starts: list[datetime]) -> Case:
    """The index of `field`'s hour in `starts`, in SQL, for rows at or after starts[0]; None from
    the end of the last hour on (an int to read instead of a timestamp)."""
    bounds = hour_bounds(starts)[1:]
    whens = [When(**{f"{field}__lt": end}, then=Value(n)) for n, end in enumerate(bounds)]
    return Case(*whens, default=None, output_field=IntegerField())


def counted_per_hour(
    queryset: QuerySet[Any], field: str, starts: list[datetime]
) -> list[float | None]:
    """How many rows of `queryset` (those at or after starts[0]) have `field` in each hour,
    counted by the database: a count per hour comes back, not every timestamp."""
    counts: list[float | None] = [0.0] * len(starts)
    hours = (
        queryset.order_by()
        .annotate(hour=hour_of(field, starts))
        .values("hour")
        .annotate(n=Count(field))
        .values_list("hour", "n")
    )
    for hour, n in hours:
        if hour is not None:
            counts[hour] = float(n)
    return counts


def orders_chart(starts: list[datetime]) -> Chart:
    since = starts[0]
    came = Order.objects.filter(created_at__gte=since)
    pushed = Order.objects.filter(pushed_to_omni_at__gte=since)
    handed = AuditEvent.objects.filter(action="order.handed_over", created_at__gte=since)
    title = "Orders per hour (UTC)"
    series = [
        Series("in from Magento", counted_per_hour(came, "created_at", starts)),
        Series("pushed to Omni", counted_per_hour(pushed, "pushed_to_omni_at", starts)),
        Series("handed over", counted_per_hour(handed, "created_at", starts)),
    ]
    return Chart(title, line_chart(title, "orders", _labels(starts), series))


OPEN = ("pending", "running")


def _outbox_spans(since: datetime) -> QuerySet[Operation]:
    """The operations that can be open at an hour's end: the open ones and those created or
    updated since `since`, each arm an index range (op_due_idx, op_created_idx, op_updated_idx).
    A failed operation last updated before `since` ended there (done_at is set only on success),
    so it draws nothing: the failed ones that count are those updated since `since`."""
    return Operation.objects.filter(
        Q(created_at__gte=since) | Q(state__in=OPEN) | Q(updated_at__gte=since)
    ).order_by()


def first_end(field: str, ends: list[datetime]) -> Case:
    """The index of the first of `ends` at or after `field` (len(ends): none, or no value)."""
    whens = [When(**{f"{field}__lte": end}, then=Value(n)) for n, end in enumerate(ends)]
    return Case(*whens, default=Value(len(ends)), output_field=IntegerField())


def counted_backlog(since: datetime, ends: list[datetime]) -> list[float | None]:
    """How many operations were open (created, not yet finished) at each of `ends`. The database
    gives each operation the first end it was created by and the first it was finished by
    (finished: done_at, else none while pending or running, else the last update); an operation
    is open at the ends between the two. Grouped, a few rows come back, not every operation."""
    finished = Coalesce("done_at", Case(When(state__in=OPEN, then=None), default=F("updated_at")))
    spans = (
        _outbox_spans(since)
        .annotate(finished=finished)
        .annotate(opened=first_end("created_at", ends), closed=first_end("finished", ends))
        .values("opened", "closed")
        .annotate(n=Count("*"))
        .values_list("opened", "closed", "n")
    )
    steps = [0] * (len(ends) + 1)
    for opened, closed, n in spans:
        if opened < closed:
            steps[opened] += n
            steps[closed] -= n
    return [float(count) for count in itertools.accumulate(steps[:-1])]


def outbox_chart(starts: list[datetime], now: datetime) -> Chart:
    since = starts[0]
    ends = [*starts[1:], now]
    failed = OperationAttempt.objects.filter(started_at__gte=since).exclude(
        outcome__in=("done", "")
    )
    title = "Outbox: open operations and failed attempts"
    series = [
        Series("open (end of hour)", counted_backlog(since, ends)),
        Series("failed attempts", counted_per_hour(failed, "started_at", starts)),
    ]
    return Chart(title, line_chart(title, "operations", _labels(starts), series))


Stats = tuple[list[float | None], list[float | None], list[float | None]]


def _calls(system: str, starts: list[datetime]) -> list[tuple[int | None, int, int | None]]:
    return list(
        CallRecord.objects.filter(direction="out", system=system, created_at__gte=starts[0])
        .order_by("-created_at")
        .annotate(hour=hour_of("created_at", starts))
        .values_list("hour", "duration_ms", "status")[:CALL_SAMPLE]
    )


def hourly_call_stats(
    calls: Iterable[tuple[int | None, int, int | None]], starts: list[datetime]
) -> Stats:
    """Per hour: p50 and p95 latency (ms) and the error rate (%: no answer or HTTP >= 400), None
    where there was no call; of calls already placed in their hour (None: outside the window)."""
    durations: list[list[int]] = [[] for _ in starts]
    errors = [0] * len(starts)
    for index, duration, status in calls:
        if index is None:
            continue
        durations[index].append(duration)
        errors[index] += status is None or status >= 400
    p50 = [percentile(d, 0.5) for d in durations]
    p95 = [percentile(d, 0.95) for d in durations]
    rate = [100.0 * e / len(d) if d else None for e, d in zip(errors, durations, strict=True)]
    return p50, p95, rate


def call_charts(system: str, label: str, starts: list[datetime]) -> list[Chart]:
    p50, p95, rate = hourly_call_stats(_calls(system, starts), starts)
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
