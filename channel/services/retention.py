"""Retention: old call records, audit events and idempotency records are anonymised or deleted
in batches, never those of orders still open. Each run says what it removed (log + audit event).

Settings (days; 0 keeps forever): RETENTION_CALL_BODIES_DAYS (bodies blanked),
RETENTION_CALL_RECORDS_DAYS, RETENTION_AUDIT_DAYS, RETENTION_IDEMPOTENCY_DAYS;
RETENTION_BATCH_SIZE rows per statement.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from channel.models import AuditEvent, CallRecord, IdempotencyRecord, OrderLifecycle
from channel.services import audit

log = logging.getLogger(__name__)
OPEN_LIFECYCLES = (OrderLifecycle.NEW, OrderLifecycle.ACKNOWLEDGED, OrderLifecycle.IN_FULFILMENT)
BLANKED = ""


@dataclass
class RetentionReport:
    """How many rows each step touched; `complete` is False when the time ran out first."""

    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True

    def __str__(self) -> str:
        done = ", ".join(f"{name} {count}" for name, count in self.counts.items()) or "nothing"
        return f"retention: {done}" + ("" if self.complete else " (more left for the next run)")


def _older_than(days: int) -> Q | None:
    if days <= 0:
        return None
    return Q(created_at__lt=timezone.now() - timedelta(days=days))


def _not_of_open_orders() -> Q:
    return Q(order__isnull=True) | ~Q(order__lifecycle__in=OPEN_LIFECYCLES)


def _batches_deleted(queryset: QuerySet, deadline: float) -> tuple[int, bool]:
    """Delete `queryset` a batch at a time; (rows deleted, finished before the deadline)."""
    model: type[Model] = queryset.model
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
        if not ids:
            return total, True
        total += model._base_manager.filter(pk__in=ids).delete()[0]
        if time.monotonic() > deadline:
            return total, False


def _batches_blanked(queryset: QuerySet[CallRecord], deadline: float) -> tuple[int, bool]:
    total = 0
    pending = queryset.exclude(request_body=BLANKED, response_body=BLANKED)
    while True:
        ids = list(pending.values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
        if not ids:
            return total, True
        total += CallRecord.objects.filter(pk__in=ids).update(
            request_body=BLANKED, response_body=BLANKED
        )
        if time.monotonic() > deadline:
            return total, False


def _steps() -> list[tuple[str, str, QuerySet, Q | None]]:
    """Deletions first: blanking the bodies of rows that are deleted next would write (and
    TOAST) every old call record once for nothing, the whole history on a first run."""
    kept = _not_of_open_orders()
    return [
        (
            "call records deleted",
            "delete",
            CallRecord.objects.filter(kept),
            _older_than(settings.RETENTION_CALL_RECORDS_DAYS),
        ),
        (
            "audit events deleted",
            "delete",
            AuditEvent.objects.filter(kept),
            _older_than(settings.RETENTION_AUDIT_DAYS),
        ),
        (
            "idempotency records deleted",
            "delete",
            IdempotencyRecord.objects.all(),
            _older_than(settings.RETENTION_IDEMPOTENCY_DAYS),
        ),
        (
            "call record bodies blanked",
            "blank",
            CallRecord.objects.filter(kept),
            _older_than(settings.RETENTION_CALL_BODIES_DAYS),
        ),
    ]


def retention_run(*, seconds: float = 300.0) -> RetentionReport:
    """Apply every retention rule once, within about `seconds`; what is left waits for the next
    run. Writes one `retention.run` audit event naming the counts (when anything was removed)."""
    deadline = time.monotonic() + seconds
    report = RetentionReport()
    for name, how, queryset, age in _steps():
        if age is None:
            continue
        selected = queryset.filter(age)
        if how == "blank":
            count, finished = _batches_blanked(selected, deadline)
        else:
            count, finished = _batches_deleted(selected, deadline)
        report.counts[name] = count
        if not finished:
            report.complete = False
            break
    log.info("%s", report)
    if any(report.counts.values()):
        audit.record("retention.run", actor="system", message=str(report), data=dict(report.counts))
    return report
