"""django-q2 tasks: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from channel import outbox
from channel.services import health, inventory, sync

log = logging.getLogger(__name__)
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
    """Run what is due; with OUTBOX_SWEEP_SECONDS below a minute, keep doing so until the
    schedule's next tick, so retries need not wait for it. Either way the sweep ends within the
    period and half the task timeout: a sweep killed for its time would leave the operation it
    was running claimed for OUTBOX_CLAIM_SECONDS."""
    interval = settings.OUTBOX_SWEEP_SECONDS
    stop_at = time.monotonic() + _task_budget()
    ran = 0
    while True:
        ran += _sweep_once(stop_at)
        if time.monotonic() + interval > stop_at:
            return ran
        time.sleep(interval)
        _drop_broken_connection()


def _drop_broken_connection() -> None:
    """A connection the database dropped (a restart) is closed so the next pass opens a new
    one; never inside a transaction (a caller's own, or a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _sweep_once(stop_at: float) -> int:
    try:
        health.beat()
        return outbox.run_due(until=stop_at)
    except DatabaseError:  # the database went away; the next pass (or tick) sweeps again
        log.warning("outbox sweep interrupted by a database error", exc_info=True)
        return 0


def sync_magento() -> str:
    return str(sync.sync_magento(seconds=_task_budget()))


def reconcile_inventory() -> str:
    return str(inventory.stock_reconcile())
