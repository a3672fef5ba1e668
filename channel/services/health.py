"""Health: the database, the worker's heartbeat, the oldest pending operation (GET /healthz)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from channel.models import Heartbeat, Operation, OperationState

WORKER = "worker"


def beat(name: str = WORKER) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def health_report() -> dict[str, Any]:
    """What /healthz answers: `healthy` and, when not, the reasons."""
    try:
        heartbeat = Heartbeat.objects.filter(name=WORKER).values_list("at", flat=True).first()
        oldest = (
            Operation.objects.filter(state=OperationState.PENDING)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    except DatabaseError:
        return {"healthy": False, "reasons": ["database unreachable"]}
    now = timezone.now()
    worker_age = (now - heartbeat).total_seconds() if heartbeat else None
    oldest_age = (now - oldest).total_seconds() if oldest else 0
    reasons = []
    if worker_age is None or worker_age > settings.HEALTH_MAX_HEARTBEAT_AGE_SECONDS:
        reasons.append("no worker heartbeat" if worker_age is None else "worker heartbeat is old")
    if oldest_age > settings.OUTBOX_ALERT_AGE_MINUTES * 60:
        reasons.append("an operation has been pending too long")
    return {
        "healthy": not reasons,
        "reasons": reasons,
        "database": "ok",
        "workerHeartbeatAgeSeconds": None if worker_age is None else round(worker_age, 1),
        "oldestPendingOperationAgeSeconds": round(oldest_age, 1),
    }
