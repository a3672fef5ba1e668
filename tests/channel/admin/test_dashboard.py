"""The dashboard: honest order categories, PAUSED highlighted, one unit style, and SVG charts of
the last 24 hours drawn on the server (no request to the internet)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from channel.lib.charts import Series, line_chart, nice_max
from channel.lib.display import address_lines, age_text, pretty_json
from channel.models import (
    AuditEvent,
    CallRecord,
    Flow,
    FlowState,
    Operation,
    OperationAttempt,
    Order,
)
from channel.services import dashboard
from channel.services.dashboard_charts import charts, hour_starts, hourly_call_stats
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo


# The charts' first version, in Python: each timestamp placed in its hour here. The dashboard now
# has the database count them; the tests hold it to these.
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


def backlog_at(ends: list[datetime], spans: Iterable[tuple[datetime, datetime | None]]) -> list:
    """How many operations were open (created, not yet finished) at each of `ends`."""
    counts = [0.0] * len(ends)
    for created, finished in spans:
        for n, end in enumerate(ends):
            if created <= end and (finished is None or finished > end):
                counts[n] += 1
    return counts


def call_stats(calls: list[tuple[datetime, int, int | None]], starts: list[datetime]) -> tuple:
    return hourly_call_stats(((_slot(at, starts), ms, status) for at, ms, status in calls), starts)


def test_ages_have_one_unit_style() -> None:
    assert [age_text(s) for s in (0, 24, 303, 7500, 273600, None)] == [
        "0 s",
        "24 s",
        "5 min 3 s",
        "2 h 5 min",
        "3 d 4 h",
        "never",
    ]


def test_json_text_is_indented_and_addresses_are_envelope_lines() -> None:
    assert pretty_json('{"a": {"b": 1}}') == '{\n  "a": {\n    "b": 1\n  }\n}'
    assert pretty_json("not json") == "not json"
    assert address_lines(mo.ADDRESS) == [
        "Asha Rao",
        "12 MG Road",
        "Indiranagar",
        "560038 Bengaluru",
        "Karnataka",
        "IN",
        "☎ +919800000001",
        "asha@example.com",
    ]


def test_a_chart_is_plain_svg_with_its_points() -> None:
    svg = line_chart("Orders <24h>", "orders", ["00h", "01h", "02h"], [Series("in", [1, None, 7])])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "Orders &lt;24h&gt;" in svg
    assert svg.count("<circle") == 2  # no point where there was no data
    assert ">10</text>" in svg  # the axis top is rounded up from 7
    assert nice_max(0) == 1 and nice_max(130) == 200 and nice_max(4000) == 5000


def test_hourly_counts_and_percentiles() -> None:
    now = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    starts = hour_starts(now)
    assert (starts[0].hour, starts[-1].hour, len(starts)) == (11, 10, 24)
    counts = per_hour([now, now - timedelta(minutes=20), now - timedelta(hours=30)], starts)
    assert counts[-1] == 2 and sum(c or 0 for c in counts) == 2
    calls = [(now, ms, 200) for ms in range(1, 101)] + [(now, 1000, 502)]
    p50, p95, rate = call_stats(calls, starts)
    assert (p50[-1], p95[-1]) == (51.0, 96.0)
    assert rate[-1] == pytest.approx(100 / 101)
    assert p50[0] is None and rate[0] is None  # no call in that hour: no point


@pytest.mark.django_db
def test_the_charts_count_the_last_day() -> None:
    order = order_upsert(raw=mo.order(1)).order
    Order.objects.filter(pk=order.pk).update(pushed_to_omni_at=timezone.now())
    AuditEvent.objects.create(order=order, action="order.handed_over", actor="omni")
    operation = Operation.objects.create(kind="k", idempotency_key="x", order=order)
    OperationAttempt.objects.create(operation=operation, number=1, outcome="transient")
    CallRecord.objects.create(
        direction="out", system="omni", method="POST", path="/x", status=500, duration_ms=120
    )
    drawn = {chart.title: chart.svg for chart in charts()}
    assert list(drawn) == [
        "Orders per hour (UTC)",
        "Outbox: open operations and failed attempts",
        "Magento calls: latency",
        "Magento calls: error rate",
        "Omni calls: latency",
        "Omni calls: error rate",
    ]
    assert "<title>in from Magento: 1</title>" in drawn["Orders per hour (UTC)"]
    assert "<title>handed over: 1</title>" in drawn["Orders per hour (UTC)"]
    assert (
        "<title>failed attempts: 1</title>" in drawn["Outbox: open operations and failed attempts"]
    )
    assert "<title>p95: 120</title>" in drawn["Omni calls: latency"]
    assert "<title>errors: 100</title>" in drawn["Omni calls: error rate"]


def test_the_dashboard_draws_charts_without_the_internet(support: Client) -> None:
    page = support.get("/admin/").content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="proxy-chart"') == 6
    outside = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', page))
    assert outside == set()


def test_new_orders_are_split_honestly(support: Client) -> None:
    order_upsert(raw=mo.order(1))  # not sent yet
    pushed = order_upsert(raw=mo.order(2)).order
    Order.objects.filter(pk=pushed.pk).update(pushed_to_omni_at=timezone.now())
    order_upsert(raw=mo.order(3, state="holded", status="holded"))
    virtual = mo.order(4, items=[mo.item(41, "EBOOK", product_type="virtual", is_virtual=1)])
    order_upsert(raw=virtual)
    page = support.get("/admin/").content.decode()
    for label in (
        "New: sent to Omni, waiting for acknowledgement",
        "New: not sent to Omni yet",
        "New: held in Magento",
        "New: not sent to Omni, with a reason (table above)",
    ):
        assert re.search(re.escape(label) + r"</a></td>\s*<td class=\"\">1</td>", page), label
    assert re.search(
        r"Only virtual or downloadable lines</a></td>\s*<td class=\"bad\">1</td>", page, re.I
    )
    for row in dashboard.new_orders():  # each count's link lists exactly its orders
        listed = support.get(row.url)
        assert listed.status_code == 200 and "\n1 order\n" in listed.content.decode(), row.label


def test_a_paused_flow_stands_out(support: Client) -> None:
    FlowState.objects.create(flow=Flow.PUSH, paused=True, last_success_at=timezone.now())
    page = support.get("/admin/").content.decode()
    assert page.count('<span class="proxy-paused">PAUSED</span>') == 1
    assert "0 s ago" in page or "1 s ago" in page
    assert "minutes ago" not in page and "✗" not in page


def test_the_flows_list_highlights_paused_and_shows_no_red_cross(support: Client) -> None:
    FlowState.objects.create(flow=Flow.PUSH, paused=True, paused_by="sam")
    FlowState.objects.create(flow=Flow.INTAKE)
    page = support.get("/admin/channel/flowstate/").content.decode()
    assert page.count('<span class="proxy-paused">PAUSED</span>') == 1
    assert "running" in page
    assert "icon-no.svg" not in page


def _reference_charts(now: datetime) -> list[str]:
    """The charts as first written: every timestamp read and placed in its hour in Python, the
    outbox's operations with every failed one (the queries the database now counts for it)."""
    starts = hour_starts(now)
    since, labels = starts[0], [f"{s:%H}h" for s in starts]
    came = Order.objects.filter(created_at__gte=since).values_list("created_at", flat=True)
    pushed = Order.objects.filter(pushed_to_omni_at__gte=since)
    handed = AuditEvent.objects.filter(action="order.handed_over", created_at__gte=since)
    svgs = [
        line_chart(
            "Orders per hour (UTC)",
            "orders",
            labels,
            [
                Series("in from Magento", per_hour(came, starts)),
                Series(
                    "pushed to Omni",
                    per_hour(pushed.values_list("pushed_to_omni_at", flat=True), starts),
                ),
                Series(
                    "handed over", per_hour(handed.values_list("created_at", flat=True), starts)
                ),
            ],
        )
    ]
    operations = Operation.objects.filter(
        Q(created_at__gte=since)
        | Q(state__in=("pending", "running", "failed"))
        | Q(updated_at__gte=since)
    ).values_list("created_at", "done_at", "updated_at", "state")
    spans = [
        (created, done or (None if state in ("pending", "running") else updated))
        for created, done, updated, state in operations
    ]
    failed = OperationAttempt.objects.filter(started_at__gte=since).exclude(
        outcome__in=("done", "")
    )
    title = "Outbox: open operations and failed attempts"
    svgs.append(
        line_chart(
            title,
            "operations",
            labels,
            [
                Series("open (end of hour)", backlog_at([*starts[1:], now], spans)),
                Series(
                    "failed attempts", per_hour(failed.values_list("started_at", flat=True), starts)
                ),
            ],
        )
    )
    for system, label in (("magento", "Magento"), ("omni", "Omni")):
        calls = list(
            CallRecord.objects.filter(direction="out", system=system, created_at__gte=since)
            .order_by("-created_at")
            .values_list("created_at", "duration_ms", "status")
        )
        p50, p95, rate = call_stats(calls, starts)
        latency, errors = f"{label} calls: latency", f"{label} calls: error rate"
        lines = [Series("p50", p50), Series("p95", p95, dashed=True)]
        svgs.append(line_chart(latency, "ms", labels, lines))
        svgs.append(line_chart(errors, "%", labels, [Series("errors", rate)]))
    return svgs


@pytest.mark.django_db
def test_the_charts_counted_by_the_database_are_the_charts_counted_in_python() -> None:
    now = timezone.now()
    starts = hour_starts(now)
    # Before the window, on an hour's first microsecond, within, at the last end, in the future.
    times = [
        starts[0] - timedelta(hours=30),
        starts[0] - timedelta(microseconds=1),
        starts[0],
        starts[3],
        starts[3] - timedelta(microseconds=1),
        starts[7] + timedelta(minutes=59),
        starts[12],
        starts[23] + timedelta(minutes=1),
        now,
        now + timedelta(hours=2),
    ]
    for n, at in enumerate(times):
        order = order_upsert(raw=mo.order(n + 1)).order
        Order.objects.filter(pk=order.pk).update(created_at=at, pushed_to_omni_at=times[-1 - n])
        AuditEvent.objects.create(order=order, action="order.handed_over", actor="o", created_at=at)
        AuditEvent.objects.create(
            order=order, action="order.acknowledged", actor="o", created_at=at
        )
        for m, state in enumerate(("pending", "running", "done", "failed", "cancelled")):
            operation = Operation.objects.create(
                kind="k", idempotency_key=f"{n}-{m}", order=order, state=state, created_at=at
            )
            updated = times[(n + m) % len(times)]
            done = times[(n + 2 * m) % len(times)] if state == "done" or m == n % 5 else None
            Operation.objects.filter(pk=operation.pk).update(updated_at=updated, done_at=done)
            OperationAttempt.objects.create(
                operation=operation,
                number=1,
                outcome=("done", "", "transient")[m % 3],
                started_at=at,
            )
        for m, system in enumerate(("magento", "omni", "magento")):
            CallRecord.objects.create(
                direction="out" if m < 2 else "in",
                system=system,
                method="GET",
                path="/x",
                status=(200, 502, None)[(n + m) % 3],
                duration_ms=10 * n + m,
                created_at=at,
            )
    assert [chart.svg for chart in charts(now)] == _reference_charts(now)
