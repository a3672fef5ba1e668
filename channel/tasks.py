"""django-q2 tasks: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

import time

from django.conf import settings

from channel import outbox
from channel.services import health, inventory, retention, sync

SCHEDULE_PERIOD_SECONDS = 60  # sync-magento and sweep-outbox fire once a minute


def _task_budget() -> float:
    """How long a scheduled task may run: within its period, and well inside the task timeout
    (a task killed for its time stops in the middle of whatever it was doing)."""
    return min(SCHEDULE_PERIOD_SECONDS, settings.Q_CLUSTER["timeout"] / 2)


def run_operation(operation_id: int) -> str | None:
    return outbox.run_operation(operation_id)


def run_operations(operation_ids: list[int]) -> int:
    return outbox.run_operations(operation_ids, until=time.monotonic() + _task_budget())


def sweep_outbox() -> int:
    """Run what is due until the schedule's next tick (OUTBOX_SWEEP_SECONDS apart); the sweep
    ends within the period and half the task timeout: a sweep killed for its time would leave the
    operation it was running claimed for OUTBOX_CLAIM_SECONDS."""
    return outbox.sweep(
        until=time.monotonic() + _task_budget(),
        interval=settings.OUTBOX_SWEEP_SECONDS,
        on_pass=health.beat,
    )


def sync_magento() -> str:
    return str(sync.sync_magento(seconds=_task_budget()))


def reconcile_inventory() -> str:
    return str(inventory.stock_reconcile())


def retention_run() -> str:
    """Daily: delete or anonymise what is older than the RETENTION_* settings allow."""
    return str(retention.retention_run(seconds=settings.Q_CLUSTER["timeout"] / 2))
