"""GET /metrics in Prometheus' text format (0.0.4), read from the database so every web worker
answers the same: outbox backlog by kind and state, the oldest pending operation's age, sync lag
per flow, calls in the last hour by target and status with a latency histogram, heartbeat age.

Call figures cover a sliding window (the last hour): read them as they are (or with
histogram_quantile), not with rate()."""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from channel.models import CallRecord, Flow, FlowState, Heartbeat, Operation, OperationState
from channel.services.health import WORKER

CALL_WINDOW = timedelta(hours=1)
BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SHOWN_STATES = (OperationState.PENDING, OperationState.RUNNING, OperationState.FAILED)


def metrics_allowed(authorization: str) -> bool | None:
    """None: /metrics is off (no METRICS_TOKEN); else whether `Bearer <token>` matches."""
    token = settings.METRICS_TOKEN
    if not token:
        return None
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + ",".join(escaped) + "}"


class Exposition:
    """The lines of the text format, metric by metric."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: str) -> None:
        self.lines.append(f"{name}{_label_text(labels)} {value:g}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _outbox(out: Exposition) -> None:
    out.metric("proxy_outbox_operations", "gauge", "Operations by kind and state (open and failed)")
    rows = (
        Operation.objects.filter(state__in=SHOWN_STATES)
        .values_list("kind", "state")
        .annotate(count=Count("id"))
        .order_by("kind", "state")
    )
    for kind, state, count in rows:
        out.sample("proxy_outbox_operations", count, kind=kind, state=state)
    oldest = Operation.objects.filter(state=OperationState.PENDING).aggregate(at=Min("created_at"))
    age = (timezone.now() - oldest["at"]).total_seconds() if oldest["at"] else 0
    out.metric(
        "proxy_outbox_oldest_pending_age_seconds", "gauge", "Age of the oldest pending operation"
    )
    out.sample("proxy_outbox_oldest_pending_age_seconds", round(age, 1))


def _flows(out: Exposition) -> None:
    now = timezone.now()
    states = {s.flow: s for s in FlowState.objects.all()}
    out.metric("proxy_sync_lag_seconds", "gauge", "Seconds since the flow's last success")
    for flow in Flow:
        state = states.get(flow.value)
        if state is not None and state.last_success_at is not None:
            lag = (now - state.last_success_at).total_seconds()
            out.sample("proxy_sync_lag_seconds", round(lag, 1), flow=flow.value)
    out.metric("proxy_flow_paused", "gauge", "1 when support paused the flow")
    for flow in Flow:
        state = states.get(flow.value)
        out.sample("proxy_flow_paused", int(bool(state and state.paused)), flow=flow.value)


def _heartbeat(out: Exposition) -> None:
    at = Heartbeat.objects.filter(name=WORKER).values_list("at", flat=True).first()
    out.metric("proxy_worker_heartbeat_age_seconds", "gauge", "Seconds since the worker's beat")
    if at is not None:
        out.sample(
            "proxy_worker_heartbeat_age_seconds", round((timezone.now() - at).total_seconds(), 1)
        )


def histogram_counts(durations_ms: Iterable[int]) -> tuple[list[int], int, float]:
    """Cumulative counts per bucket (BUCKETS_SECONDS), the count and the sum in seconds."""
    counts = [0] * len(BUCKETS_SECONDS)
    total, seconds = 0, 0.0
    for duration in durations_ms:
        value = duration / 1000
        total += 1
        seconds += value
        for n, bound in enumerate(BUCKETS_SECONDS):
            if value <= bound:
                counts[n] += 1
    return counts, total, seconds


def _calls(out: Exposition) -> None:
    since = timezone.now() - CALL_WINDOW
    calls = CallRecord.objects.filter(created_at__gte=since)
    out.metric("proxy_calls_last_hour", "gauge", "Calls in the last hour by target and status")
    by_status = (
        calls.values_list("direction", "system", "status")
        .annotate(count=Count("id"))
        .order_by("direction", "system", "status")
    )
    for direction, system, status, count in by_status:
        code = "none" if status is None else str(status)
        out.sample("proxy_calls_last_hour", count, direction=direction, target=system, status=code)
    durations: dict[tuple[str, str], list[int]] = defaultdict(list)
    for direction, system, duration in calls.values_list("direction", "system", "duration_ms"):
        durations[(direction, system)].append(duration)
    name = "proxy_call_duration_seconds"
    out.metric(name, "histogram", "Latency of the last hour's calls by target")
    for (direction, system), values in sorted(durations.items()):
        counts, total, seconds = histogram_counts(values)
        labels = {"direction": direction, "target": system}
        for bound, count in zip(BUCKETS_SECONDS, counts, strict=True):
            out.sample(f"{name}_bucket", count, **labels, le=f"{bound:g}")
        out.sample(f"{name}_bucket", total, **labels, le="+Inf")
        out.sample(f"{name}_count", total, **labels)
        out.sample(f"{name}_sum", round(seconds, 3), **labels)


def metrics_text() -> str:
    out = Exposition()
    _outbox(out)
    _flows(out)
    _heartbeat(out)
    _calls(out)
    return out.text()
