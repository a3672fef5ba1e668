"""django-q2 tasks: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from channel import health, inventory, outbox, sync

log = logging.getLogger(__name__)
SCHEDULE_PERIOD_SECONDS = 60  # the sweep-outbox schedule fires once a minute


def run_operation(operation_id: int) -> str | None:
    return outbox.run_operation(operation_id)


def sweep_outbox() -> int:
    """Run what is due; with OUTBOX_SWEEP_SECONDS below a minute, keep doing so until the
    schedule's next tick, so retries need not wait for it. Either way the sweep ends within the
    period and half the task timeout: a sweep killed for its time would leave the operation it
    was running claimed for OUTBOX_CLAIM_SECONDS."""
    interval = settings.OUTBOX_SWEEP_SECONDS
    lasts = min(SCHEDULE_PERIOD_SECONDS, settings.Q_CLUSTER["timeout"] / 2)
    stop_at = time.monotonic() + lasts
    ran = 0
    while True:
        ran += _sweep_once(stop_at)
        if time.monotonic() + interval > stop_at:
            return ran
        time.sleep(interval)
        close_old_connections()  # a database restarted meanwhile: reconnect next pass


def _sweep_once(stop_at: float) -> int:
    try:
        health.beat()
        return outbox.run_due(until=stop_at)
    except DatabaseError:  # the database went away; the next pass (or tick) sweeps again
        log.warning("outbox sweep interrupted by a database error", exc_info=True)
        return 0


def sync_magento() -> str:
    return str(sync.sync_magento())


def reconcile_inventory() -> str:
    return str(inventory.stock_reconcile())
