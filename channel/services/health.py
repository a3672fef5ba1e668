"""Health (GET /healthz): the database, the worker's heartbeat, the oldest pending operation, the
Magento and Omni settings, and the last successful order intake."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from channel.models import Flow, FlowState, Heartbeat, Operation, OperationState
from channel.services import golive

WORKER = "worker"
MAGENTO_CREDENTIALS = {
    "bearer": ("MAGENTO_TOKEN",),
    "oauth1": (
        "MAGENTO_CONSUMER_KEY",
        "MAGENTO_CONSUMER_SECRET",
        "MAGENTO_ACCESS_TOKEN",
        "MAGENTO_ACCESS_TOKEN_SECRET",
    ),
    "admin": ("MAGENTO_USERNAME", "MAGENTO_PASSWORD"),
    "ims": ("IMS_CLIENT_ID", "IMS_CLIENT_SECRET", "IMS_ORG_ID", "IMS_TOKEN_URL"),
}
OMNI_SETTINGS = ("OMNI_BASE_URL", "OMNI_AUTH_USERNAME", "OMNI_AUTH_PASSWORD")
REST_BASE = re.compile(r"^https?://[^/]+(/.*)?/rest(/[A-Za-z0-9_]+)?$")


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
    reasons += settings_problems()
    stale = intake_stale()
    if stale:
        reasons.append(stale)
    return {
        "healthy": not reasons,
        "reasons": reasons,
        "database": "ok",
        "workerHeartbeatAgeSeconds": None if worker_age is None else round(worker_age, 1),
        "oldestPendingOperationAgeSeconds": round(oldest_age, 1),
    }


def settings_problems() -> list[str]:
    """Magento or Omni settings the proxy cannot work without (empty when all are set)."""
    problems = []
    base = settings.MAGENTO_BASE_URL
    if not base:
        problems.append("Magento is not configured: MAGENTO_BASE_URL is empty")
    elif not REST_BASE.match(base):
        problems.append(
            "MAGENTO_BASE_URL must end in /rest/<store code> (or /rest/all), not " + repr(base)
        )
    missing = [
        name
        for name in MAGENTO_CREDENTIALS[settings.MAGENTO_AUTH_MODE]
        if not getattr(settings, name)
    ]
    if missing:
        mode = settings.MAGENTO_AUTH_MODE
        problems.append(
            f"Magento is not configured (MAGENTO_AUTH_MODE={mode}): {', '.join(missing)}"
        )
    missing = [name for name in OMNI_SETTINGS if not getattr(settings, name)]
    if missing:
        problems.append(f"Omni is not configured: {', '.join(missing)}")
    return problems


def intake_stale() -> str:
    """A reason when order intake has not succeeded for HEALTH_SYNC_MAX_AGE_MINUTES (counted from
    go-live when it never did); "" otherwise, or when intake is paused on purpose."""
    limit = settings.HEALTH_SYNC_MAX_AGE_MINUTES
    if not limit:
        return ""
    state = FlowState.objects.filter(flow=Flow.INTAKE).first()
    if state is not None and state.paused:
        return ""
    since: datetime = (state.last_success_at if state else None) or golive.go_live_moment()
    if timezone.now() - since <= timedelta(minutes=limit):
        return ""
    if state is None or state.last_success_at is None:
        return f"order intake has not succeeded since go-live ({limit} minutes allowed)"
    return f"order intake has not succeeded for more than {limit} minutes"
