"""Writing operations (in the caller's transaction), queueing their tasks after the commit;
a person's replay and cancel."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channel.models import (
    Operation,
    OperationState,
    Order,
)

log = logging.getLogger(__name__)


# --- writing ------------------------------------------------------------------------------------
def enqueue(
    kind: str,
    *,
    key: str,
    order: Order | None = None,
    target: str = "",
    payload: dict[str, Any] | None = None,
) -> Operation:
    """Record an operation (once per idempotency key) and run it after the transaction commits."""
    operation, created = Operation.objects.get_or_create(
        idempotency_key=key,
        defaults={"kind": kind, "order": order, "target": target, "payload": payload or {}},
    )
    if created:
        transaction.on_commit(lambda: schedule_run(operation.pk))
    return operation


def enqueue_new(kind: str, *, orders_by_key: dict[str, Order]) -> list[Operation]:
    """Record one operation per key, for keys never used (e.g. of orders created in the same
    transaction), in one statement; each runs after the commit. A used key raises IntegrityError.
    """
    operations = Operation.objects.bulk_create(
        [
            Operation(kind=kind, idempotency_key=key, order=order)
            for key, order in orders_by_key.items()
        ]
    )
    ids = [operation.pk for operation in operations]
    transaction.on_commit(lambda: schedule_runs(ids))
    return operations


def schedule_run(operation_id: int) -> None:
    _queue("channel.tasks.run_operation", operation_id)


def schedule_runs(operation_ids: list[int]) -> None:
    """Queue operations made together (a page of new orders) in tasks of up to
    OUTBOX_TASK_CHUNK operations: each django-q task costs a queue row, a dequeue and an
    acknowledgement, several milliseconds that one task now spends on several operations.
    The workers still share a page: it becomes several tasks."""
    chunk = settings.OUTBOX_TASK_CHUNK
    for start in range(0, len(operation_ids), chunk):
        _queue("channel.tasks.run_operations", operation_ids[start : start + chunk])


def _queue(task: str, *args: Any) -> None:
    from django_q.tasks import async_task

    try:
        # save=False: the operation and its attempts are the record; saving each success in
        # django-q's table as well made its monitor re-read (and prune) that table per task.
        async_task(task, *args, group="outbox", save=False)
    except Exception:  # the broker being down only delays work: the sweeper finds it
        log.exception("could not queue %s%s; the sweeper will run it", task, args)


# --- people -------------------------------------------------------------------------------------
def replay(operation: Operation) -> bool:
    """Make a failed (or waiting) operation due now. Returns False when it is done or running."""
    updated = Operation.objects.filter(
        pk=operation.pk,
        state__in=[OperationState.FAILED, OperationState.PENDING, OperationState.CANCELLED],
    ).update(
        state=OperationState.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: schedule_run(operation.pk))
    return bool(updated)


def cancel(operation: Operation) -> bool:
    return bool(
        Operation.objects.filter(
            pk=operation.pk, state__in=[OperationState.FAILED, OperationState.PENDING]
        ).update(state=OperationState.CANCELLED, updated_at=timezone.now())
    )
