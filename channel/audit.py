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
    return AuditEvent.objects.create(
        order=order,
        action=action,
        actor=actor[:150],
        message=message,
        subject=subject,
        data=data or {},
    )
