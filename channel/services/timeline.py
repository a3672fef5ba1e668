"""One timeline per order (and per return, shipment...: a subject): calls in and out, operations
and attempts, audit events, admin edits and documents, newest first, each entry linking to its
full record. Refusals the proxy expects and handles are marked so, with the reason. A fixed number
of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.urls import reverse

from channel.models import (
    AuditEvent,
    CallRecord,
    Document,
    Invoice,
    Operation,
    OperationAttempt,
    OperationState,
    Order,
    Shipment,
)

LIMIT = 300


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # call-in, call-out, operation, attempt, event, edit, document
    title: str
    detail: str
    actor: str
    url: str
    failed: bool = False  # an error a person may have to look at
    expected: str = ""  # a refusal the proxy expects and handles: why it is not a failure


# Refusals that are part of normal work (the proxy answers them itself): (system, status, test on
# the call, why). The timeline shows them as expected rather than as failures.
EXPECTED_REFUSALS: list[tuple[str, int, Any, str]] = [
    (
        "magento",
        400,
        lambda call: call.path.endswith("/comments") and '"status"' in call.request_body,
        "Magento refuses a status outside the order's state; the comment is sent again "
        "without a status",
    ),
    (
        "omni",
        400,
        lambda call: "already exist" in (call.response_body + call.error).lower(),
        "Omni already has it: an earlier attempt arrived, so the retry counts as done",
    ),
]


def expected_refusal(call: CallRecord) -> str:
    """Why this refused call is expected, or "" when it is not."""
    for system, status, test, why in EXPECTED_REFUSALS:
        if call.system == system and call.status == status and test(call):
            return why
    return ""


def _admin_url(obj: Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _calls(order: Order) -> Iterable[Entry]:
    # (bodies are read: an expected refusal is told by them)
    return _call_entries(CallRecord.objects.filter(order=order).order_by("-created_at")[:LIMIT])


def _call_entries(calls: Iterable[CallRecord]) -> Iterable[Entry]:
    for call in calls:
        inbound = call.direction == "in"
        refused = call.status is None or call.status >= 400
        expected = expected_refusal(call) if refused else ""
        yield Entry(
            at=call.created_at,
            kind="call-in" if inbound else "call-out",
            title=f"{'Omni →' if inbound else '→ ' + call.system} {call.method} {call.path}",
            detail=f"HTTP {call.status or 'no answer'} in {call.duration_ms} ms"
            + (f" — {call.error[:200]}" if call.error else ""),
            actor="omni" if inbound else "proxy",
            url=_admin_url(call),
            failed=refused and not expected,
            expected=expected,
        )


def _operations(order: Order) -> Iterable[Entry]:
    return _operation_entries(
        list(
            Operation.objects.filter(order=order)
            .defer("payload", "result")
            .order_by("-created_at")[:LIMIT]
        )
    )


def _operation_entries(operations: list[Operation]) -> Iterable[Entry]:
    for op in operations:
        yield Entry(
            at=op.created_at,
            kind="operation",
            title=f"Operation {op.kind} queued ({op.get_state_display()})",
            detail=op.last_error[:300],
            actor="system",
            url=_admin_url(op),
            failed=op.state == OperationState.FAILED,
        )
    attempts = OperationAttempt.objects.filter(operation__in=operations).select_related("operation")
    for attempt in attempts:
        yield Entry(
            at=attempt.started_at,
            kind="attempt",
            title=f"Attempt #{attempt.number} of {attempt.operation.kind}: "
            f"{attempt.outcome or 'running'}",
            detail=attempt.error[:300],
            actor=attempt.worker,
            url=_admin_url(attempt.operation),
            failed=attempt.outcome not in ("done", ""),
        )


def _events(order: Order) -> Iterable[Entry]:
    return _event_entries(
        AuditEvent.objects.filter(order=order).defer("data").order_by("-created_at")[:LIMIT]
    )


def _event_entries(events: Iterable[AuditEvent]) -> Iterable[Entry]:
    for event in events:
        yield Entry(
            at=event.created_at,
            kind="event",
            title=event.action,
            detail=event.message,
            actor=event.actor,
            url=_admin_url(event),
        )


def _edits(records: Iterable[Any], label: str) -> Iterable[Entry]:
    """Admin edits (django-simple-history), with the fields changed and their before/after."""
    previous: dict[int, Any] = {}
    for record in sorted(records, key=lambda r: r.history_date):
        prior = previous.get(record.id)
        previous[record.id] = record
        if record.history_user_id is None:
            continue  # changes made by the proxy itself are in the other entries
        changes = record.diff_against(prior).changes if prior is not None else []
        detail = "; ".join(f"{c.field}: {c.old!r} → {c.new!r}" for c in changes) or "created"
        yield Entry(
            at=record.history_date,
            kind="edit",
            title=f"{label} edited in admin",
            detail=detail,
            actor=str(record.history_user),
            url=reverse(
                f"admin:{record.instance._meta.app_label}_{record.instance._meta.model_name}_history",
                args=[record.id],
            ),
        )


def _documents(order: Order) -> Iterable[Entry]:
    for document in Document.objects.filter(order=order).defer("content"):
        yield Entry(
            at=document.updated_at,
            kind="document",
            title=f"{document.get_kind_display()} {document.key}",
            detail=f"{document.size} bytes, sha256 {document.checksum[:12]}…",
            actor="proxy",
            url=reverse("admin:channel_document_change", args=[document.pk]),
        )


def order_timeline(order: Order) -> list[Entry]:
    entries: list[Entry] = []
    entries += _calls(order)
    entries += _operations(order)
    entries += _events(order)
    entries += _edits(order.history.select_related("history_user"), "Order")
    entries += _edits(
        Shipment.history.filter(order_id=order.pk).select_related("history_user"), "Shipment"
    )
    entries += _edits(
        Invoice.history.filter(order_id=order.pk).select_related("history_user"), "Invoice"
    )
    entries += _documents(order)
    for source in extra_sources:
        entries += source(order)
    return sorted(entries, key=lambda e: e.at, reverse=True)[:LIMIT]


def subject_timeline(subject: str) -> list[Entry]:
    """The timeline of one subject (e.g. `return:R-1`): its audit events, its operations with
    their attempts, and the calls those operations made; newest first, like the order's."""
    operations = list(Operation.objects.filter(target=subject).order_by("-created_at")[:LIMIT])
    calls = CallRecord.objects.filter(operation__in=operations).order_by("-created_at")[:LIMIT]
    entries: list[Entry] = []
    entries += _event_entries(
        AuditEvent.objects.filter(subject=subject).order_by("-created_at")[:LIMIT]
    )
    entries += _operation_entries(operations)
    entries += _call_entries(calls)
    return sorted(entries, key=lambda e: e.at, reverse=True)[:LIMIT]


# Other modules (returns, shipments) add their entries here.
extra_sources: list[Any] = []
