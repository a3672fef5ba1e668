"""One timeline per order: calls in and out, operations and attempts, audit events, admin edits
and documents, newest first, each entry linking to its full record. A fixed number of queries."""

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


def _admin_url(obj: Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _calls(order: Order) -> Iterable[Entry]:
    calls = CallRecord.objects.filter(order=order).defer("request_body", "response_body")
    for call in calls.order_by("-created_at")[:LIMIT]:
        inbound = call.direction == "in"
        yield Entry(
            at=call.created_at,
            kind="call-in" if inbound else "call-out",
            title=f"{'Omni →' if inbound else '→ ' + call.system} {call.method} {call.path}",
            detail=f"HTTP {call.status or 'no answer'} in {call.duration_ms} ms"
            + (f" — {call.error[:200]}" if call.error else ""),
            actor="omni" if inbound else "proxy",
            url=_admin_url(call),
        )


def _operations(order: Order) -> Iterable[Entry]:
    mine = Operation.objects.filter(order=order).defer("payload", "result")
    operations = list(mine.order_by("-created_at")[:LIMIT])
    for op in operations:
        yield Entry(
            at=op.created_at,
            kind="operation",
            title=f"Operation {op.kind} queued ({op.get_state_display()})",
            detail=op.last_error[:300],
            actor="system",
            url=_admin_url(op),
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
        )


def _events(order: Order) -> Iterable[Entry]:
    for event in (
        AuditEvent.objects.filter(order=order).defer("data").order_by("-created_at")[:LIMIT]
    ):
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


# Other modules (returns, shipments) add their entries here.
extra_sources: list[Any] = []
