"""The outbox: every side effect on Magento or Omni is an Operation row, run by workers.

An operation is written in the same transaction as the change that needs it (`enqueue`); a task is
queued on commit, and a schedule sweeps whatever is due, so a lost task or a killed worker only
delays work. Claims are conditional updates, so several workers on several machines never run the
same operation at once. Handlers are registered per kind; write handlers give a `read_back` that
looks at the remote system before a retry and reports the effect when it already happened.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from channel.magento import MagentoError
from channel.models import (
    ErrorClass,
    Flow,
    FlowState,
    Operation,
    OperationAttempt,
    OperationState,
    Order,
)
from channel.omni import OmniError

log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class OperationError(Exception):
    """Raised by a handler to stop with a readable reason."""

    def __init__(self, message: str, error_class: str = ErrorClass.PERMANENT) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class


class Retry(OperationError):
    """A handler asks to be run again later (e.g. waiting for another operation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorClass.TRANSIENT)


Handler = Callable[[Operation], dict[str, Any] | None]
ReadBack = Callable[[Operation], dict[str, Any] | None]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    flow: str
    read_back: ReadBack | None = None


_registry: dict[str, Registration] = {}


def register(kind: str, *, flow: str, read_back: ReadBack | None = None) -> Callable:
    def decorator(func: Handler) -> Handler:
        _registry[kind] = Registration(func, flow, read_back)
        return func

    return decorator


def registration(kind: str) -> Registration:
    _load_handlers()
    return _registry[kind]


def _load_handlers() -> None:
    # Handlers live in service modules; importing them registers them.
    import channel.handlers  # noqa: F401


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
    for operation in operations:
        transaction.on_commit(lambda pk=operation.pk: schedule_run(pk))
    return operations


def schedule_run(operation_id: int) -> None:
    from django_q.tasks import async_task

    try:
        # save=False: the operation and its attempts are the record; saving each success in
        # django-q's table as well made its monitor re-read (and prune) that table per task.
        async_task("channel.tasks.run_operation", operation_id, group="outbox", save=False)
    except Exception:  # the broker being down only delays work: the sweeper finds it
        log.exception("could not queue operation %s; the sweeper will run it", operation_id)


# --- claiming -----------------------------------------------------------------------------------
def paused_flows() -> set[str]:
    return set(FlowState.objects.filter(paused=True).values_list("flow", flat=True))


def _kinds_of_paused_flows() -> list[str]:
    _load_handlers()
    paused = paused_flows()
    return [kind for kind, reg in _registry.items() if reg.flow in paused]


def claim(operation_id: int) -> bool:
    """Take one due operation for this worker; False when another worker has it or it's not due."""
    now = timezone.now()
    claimed = (
        Operation.objects.filter(
            pk=operation_id, state=OperationState.PENDING, next_attempt_at__lte=now
        )
        .exclude(kind__in=_kinds_of_paused_flows())
        .update(
            state=OperationState.RUNNING,
            claimed_by=WORKER_ID,
            claimed_until=now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    return claimed == 1


def due_ids(limit: int) -> list[int]:
    """Ids of due operations, oldest first; skips rows another worker has locked (PostgreSQL)."""
    query = (
        Operation.objects.filter(state=OperationState.PENDING, next_attempt_at__lte=timezone.now())
        .exclude(kind__in=_kinds_of_paused_flows())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            return list(query.select_for_update(skip_locked=True)[:limit])
    return list(query[:limit])


def release_stale_claims() -> int:
    """Operations whose worker died mid-run become due again."""
    return Operation.objects.filter(
        state=OperationState.RUNNING, claimed_until__lt=timezone.now()
    ).update(state=OperationState.PENDING, claimed_by="", next_attempt_at=timezone.now())


# --- running ------------------------------------------------------------------------------------
def run_operation(operation_id: int) -> str | None:
    """Claim and run one operation. Returns its new state, or None when not claimed."""
    if not claim(operation_id):
        return None
    operation = Operation.objects.select_related("order").get(pk=operation_id)
    attempt = OperationAttempt.objects.create(
        operation=operation, number=operation.attempts, worker=WORKER_ID
    )
    reg = registration(operation.kind)
    try:
        result = _execute(operation, reg)
    except (MagentoError, OmniError, OperationError) as exc:
        return _fail(operation, attempt, _error_class(exc), _message(exc))
    except Exception as exc:
        log.exception("operation %s crashed", operation_id)
        return _fail(operation, attempt, ErrorClass.TRANSIENT, f"unexpected error: {exc!r}")
    return _succeed(operation, attempt, result or {})


def _execute(operation: Operation, reg: Registration) -> dict[str, Any] | None:
    if operation.attempts > 1 and reg.read_back is not None:
        already = reg.read_back(operation)
        if already is not None:
            return {**already, "readBack": True}
    return reg.handler(operation)


def _error_class(exc: Exception) -> str:
    if isinstance(exc, OperationError):
        return exc.error_class
    if getattr(exc, "needs_config", False):
        return ErrorClass.NEEDS_CONFIG
    return ErrorClass.TRANSIENT if getattr(exc, "transient", False) else ErrorClass.PERMANENT


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc)[:4000]


def backoff_seconds(attempts: int) -> float:
    first = settings.OUTBOX_BASE_BACKOFF_SECONDS
    base = min(settings.OUTBOX_MAX_BACKOFF_SECONDS, first * 2 ** min(max(0, attempts - 1), 30))
    return base * random.uniform(0.5, 1.5)


def _ours(operation: Operation) -> Any:
    """The operation while this attempt still holds the claim: a claim that expired mid-run was
    taken by a later attempt, whose outcome this one must not overwrite."""
    return Operation.objects.filter(
        pk=operation.pk, state=OperationState.RUNNING, attempts=operation.attempts
    )


def _overtaken(operation: Operation) -> str:
    log.warning(
        "operation %s (%s): attempt %s finished after its claim expired; a later attempt owns it",
        operation.pk,
        operation.kind,
        operation.attempts,
    )
    return Operation.objects.get(pk=operation.pk).state


@transaction.atomic  # one commit for the operation, its attempt and the flow's heartbeat
def _succeed(operation: Operation, attempt: OperationAttempt, result: dict[str, Any]) -> str:
    now = timezone.now()
    updated = _ours(operation).update(
        state=OperationState.DONE,
        error_class=ErrorClass.NONE,
        last_error="",
        result=result,
        done_at=now,
        claimed_until=None,
    )
    _finish_attempt(attempt, "done", "")
    if not updated:
        return _overtaken(operation)
    _heartbeat(operation.kind, success=True)
    return OperationState.DONE


@transaction.atomic
def _fail(operation: Operation, attempt: OperationAttempt, error_class: str, message: str) -> str:
    now = timezone.now()
    retry = error_class == ErrorClass.TRANSIENT
    state = OperationState.PENDING if retry else OperationState.FAILED
    delay = backoff_seconds(operation.attempts) if retry else 0
    updated = _ours(operation).update(
        state=state,
        error_class=error_class,
        last_error=message,
        next_attempt_at=now + timedelta(seconds=delay),
        claimed_until=None,
    )
    _finish_attempt(attempt, error_class or "failed", message)
    if not updated:
        return _overtaken(operation)
    _heartbeat(operation.kind, success=False, error=message)
    log.warning("operation %s (%s) %s: %s", operation.pk, operation.kind, error_class, message)
    return state


def _finish_attempt(attempt: OperationAttempt, outcome: str, error: str) -> None:
    attempt.finished_at = timezone.now()
    attempt.outcome = outcome
    attempt.error = error
    attempt.save(update_fields=["finished_at", "outcome", "error"])


def _heartbeat(kind: str, *, success: bool, error: str = "") -> None:
    flow = registration(kind).flow
    touch_flow(flow, success=success, error=error)


def touch_flow(flow: str, *, success: bool, error: str = "") -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"last_run_at": now}
    if success:
        fields["last_success_at"] = now
        fields["last_error"] = ""
    else:
        fields["last_error"] = error[:2000]
    updated = FlowState.objects.filter(flow=flow).update(**fields)
    if not updated:
        FlowState.objects.get_or_create(flow=flow, defaults=fields)


def run_due(*, limit: int | None = None, until: float | None = None) -> int:
    """Run every due operation once (used by the sweeper and `process_outbox`).

    `until` (a time.monotonic() instant) ends the run early: under steady load new operations are
    due all the time, and a sweep must not run into its task's timeout, which would kill it in
    the middle of an operation (left claimed for OUTBOX_CLAIM_SECONDS)."""
    release_stale_claims()
    ran = 0
    batch = limit or settings.OUTBOX_BATCH_SIZE
    while True:
        progressed = 0
        for op_id in due_ids(batch):
            if until is not None and time.monotonic() >= until:
                return ran + progressed
            progressed += run_operation(op_id) is not None
        ran += progressed
        if not progressed or (limit is not None and ran >= limit):
            return ran


# --- people -------------------------------------------------------------------------------------
def replay(operation: Operation) -> bool:
    """Make a failed (or waiting) operation due now. Returns False when it is done or running."""
    updated = Operation.objects.filter(
        pk=operation.pk,
        state__in=[OperationState.FAILED, OperationState.PENDING, OperationState.CANCELLED],
    ).update(state=OperationState.PENDING, next_attempt_at=timezone.now())
    if updated:
        transaction.on_commit(lambda: schedule_run(operation.pk))
    return bool(updated)


def cancel(operation: Operation) -> bool:
    return bool(
        Operation.objects.filter(
            pk=operation.pk, state__in=[OperationState.FAILED, OperationState.PENDING]
        ).update(state=OperationState.CANCELLED)
    )


FLOW_OF_KIND_DEFAULT = Flow.PUSH
