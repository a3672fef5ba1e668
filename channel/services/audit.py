"""One helper writes every entry of an order's (or return's) timeline."""

from __future__ import annotations

from typing import Any

from channel.models import AuditEvent, Order


def record(
    action: str,
    *,
    order: Order | None = None,
    actor: str = "system",
    message: str = "",
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append `action` (namespaced, e.g. `order.acknowledged`) to the timeline."""
    event = entry(action, order=order, actor=actor, message=message, subject=subject, data=data)
    event.save(force_insert=True)
    return event


def entry(
    action: str,
    *,
    order: Order | None = None,
    actor: str = "system",
    message: str = "",
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved timeline entry, for callers that write many at once (bulk_create)."""
    return AuditEvent(
        order=order,
        action=action,
        actor=actor[:150],
        message=message,
        subject=subject,
        data=data or {},
    )
