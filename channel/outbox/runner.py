"""Claiming and running operations: one worker per operation at a time, backoff, heartbeats,
the sweep."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone

from channel.integrations import http
from channel.integrations.errors import RemoteError
from channel.lib import logcontext
from channel.models import (
    CallRecord,
    ErrorClass,
    FlowState,
    Operation,
    OperationAttempt,
    OperationState,
)
from channel.outbox.queue import schedule_runs
from channel.outbox.registry import Done, OperationError, Registration, kinds_of_flows, registration

log = logging.getLogger(__name__)
HOST = socket.gethostname()


def worker_id() -> str:
    """This process, as claims and attempts name it (read at each claim: django-q forks its
    workers from one parent, so an id taken at import time would name the parent)."""
    return f"{HOST}:{os.getpid()}"


HEARTBEAT = 1.0  # seconds: a flow's successes are written at most this often per process
_success_written: dict[str, float] = {}  # flow -> time.monotonic() of this process's last write


# --- claiming -----------------------------------------------------------------------------------
def paused_flows() -> set[str]:
    return set(FlowState.objects.filter(paused=True).values_list("flow", flat=True))


def _kinds_of_paused_flows() -> list[str]:
    return kinds_of_flows(paused_flows())


def claim(operation_id: int) -> bool:
    """Take one due operation for this worker; False when another worker has it, it's not due,
    or its flow is paused."""
    now = timezone.now()
    claimed = (
        Operation.objects.filter(
            pk=operation_id, state=OperationState.PENDING, next_attempt_at__lte=now
        )
        .exclude(kind__in=_kinds_of_paused_flows())
        .update(
            state=OperationState.RUNNING,
            claimed_by=worker_id(),
            claimed_until=now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
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
    ).update(
        state=OperationState.PENDING,
        claimed_by="",
        next_attempt_at=timezone.now(),
        updated_at=timezone.now(),
    )


# --- running ------------------------------------------------------------------------------------
def run_operation(operation_id: int) -> str | None:
    """Claim and run one operation. Returns its new state, or None when not claimed."""
    if not claim(operation_id):
        return None
    return _run_claimed(Operation.objects.select_related("order").get(pk=operation_id))


def run_operations(operation_ids: list[int], *, until: float | None = None) -> int:
    """Run operations queued together (`schedule_runs`) one after the other; returns how many ran.

    They are claimed and loaded together: one claim and two reads for the lot instead of three
    statements each. For pipelined kinds (e.g. the push to Omni) the worker still makes one call
    at a time, but while a call is out it commits the previous operation's outcome, so the
    bookkeeping is off the calls' path. At `until` (a time.monotonic() instant) the ones not
    started are released and queued again as a new task, so a task never runs into its timeout.
    A database error ends the task; what it had claimed and not finished becomes due again when
    its claim expires."""
    operations = _claim_many(operation_ids)
    ran = 0
    made: _Call | None = None  # a pipelined call made, its outcome not yet committed
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-call") as caller:
        try:
            for n, operation in enumerate(operations):
                reg = registration(operation.kind)
                out_of_time = until is not None and time.monotonic() >= until
                if out_of_time or not reg.pipelined:
                    ran += _settle_call(made)
                    made = None
                if out_of_time:
                    rest = [later.pk for later in operations[n:]]
                    _release(rest)
                    schedule_runs(rest)
                    return ran
                if not reg.pipelined:
                    _run_claimed(operation)
                    ran += 1
                    continue
                attempt = _start_attempt(operation)
                call = caller.submit(_call, operation, reg, pipelined=True)
                ran += _settle_call(made)  # while this operation's call is out
                made = _Call(operation, attempt, call)
            ran += _settle_call(made)
        except DatabaseError:
            log.warning("outbox task stopped by a database error", exc_info=True)
    return ran


@dataclass(frozen=True)
class _Call:
    operation: Operation
    attempt: OperationAttempt
    result: Future[tuple[Done | Exception, list[CallRecord]]]


def _settle_call(call: _Call | None) -> int:
    if call is None:
        return 0
    _settle(call.operation, call.attempt, *call.result.result())
    return 1


def _claim_many(operation_ids: list[int]) -> list[Operation]:
    """Claim the due ones of these operations for this worker, and load them with their orders
    (and, for the kinds that want them, the orders' lines). The claim's expiry, to the
    microsecond, tells this claim's rows from any other."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    Operation.objects.filter(
        pk__in=operation_ids, state=OperationState.PENDING, next_attempt_at__lte=now
    ).exclude(kind__in=_kinds_of_paused_flows()).update(
        state=OperationState.RUNNING,
        claimed_by=worker_id(),
        claimed_until=until,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    operations = list(
        Operation.objects.select_related("order")
        .filter(
            pk__in=operation_ids,
            state=OperationState.RUNNING,
            claimed_by=worker_id(),
            claimed_until=until,
        )
        .order_by("pk")
    )
    with_lines = [op.order for op in operations if op.order and registration(op.kind).lines]
    prefetch_related_objects(with_lines, "lines")
    return operations


def _release(operation_ids: list[int]) -> None:
    """Give back claimed operations that were not started (their attempt is not counted)."""
    Operation.objects.filter(
        pk__in=operation_ids, state=OperationState.RUNNING, claimed_by=worker_id()
    ).update(
        state=OperationState.PENDING,
        claimed_by="",
        claimed_until=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )


def _run_claimed(operation: Operation) -> str:
    """Run a claimed operation. The calls it makes are recorded in the same transaction as its
    outcome (and a `Done`'s own writes): one commit after the call instead of three."""
    attempt = _start_attempt(operation)
    return _settle(operation, attempt, *_call(operation, registration(operation.kind)))


def _start_attempt(operation: Operation) -> OperationAttempt:
    return OperationAttempt.objects.create(
        operation=operation, number=operation.attempts, worker=worker_id()
    )


def _call(
    operation: Operation, reg: Registration, *, pipelined: bool = False
) -> tuple[Done | Exception, list[CallRecord]]:
    """The handler's part: its outcome (or what it raised) and the calls it made, unsaved.
    `pipelined`: this runs in a chunk's call thread, where a query would be a bug."""
    guard = connection.execute_wrapper(_no_queries) if pipelined else nullcontext()
    with http.deferred_records() as calls, guard, _log_context(operation):
        try:
            outcome = _execute(operation, reg)
        except Exception as exc:
            return exc, calls
    return (outcome if isinstance(outcome, Done) else Done(outcome or {})), calls


def _log_context(operation: Operation) -> Any:
    """Log lines about this operation name it and its order (LOG_FORMAT=json)."""
    order = operation.order.order_code if operation.order_id and operation.order else None
    return logcontext.bound(order=order, operation=operation.pk)


def _settle(
    operation: Operation, attempt: OperationAttempt, outcome: Done | Exception, calls: list
) -> str:
    with _log_context(operation):
        return _settle_outcome(operation, attempt, outcome, calls)


def _settle_outcome(
    operation: Operation, attempt: OperationAttempt, outcome: Done | Exception, calls: list
) -> str:
    if isinstance(outcome, Done):
        return _succeed(operation, attempt, outcome, calls)
    if isinstance(outcome, RemoteError | OperationError):
        return _fail(operation, attempt, _error_class(outcome), _message(outcome), calls)
    log.error("operation %s crashed", operation.pk, exc_info=outcome)
    message = f"unexpected error: {outcome!r}"
    return _fail(operation, attempt, ErrorClass.TRANSIENT, message, calls)


def _no_queries(execute: Callable, sql: str, *args: Any) -> Any:
    raise RuntimeError(f"a pipelined outbox handler queried the database: {sql[:200]}")


def _execute(operation: Operation, reg: Registration) -> Done | dict[str, Any] | None:
    if operation.attempts > 1 and reg.read_back is not None:
        already = reg.read_back(operation)
        if already is not None:
            return {**already, "readBack": True}
    return reg.handler(operation)


def _error_class(exc: Exception) -> str:
    if isinstance(exc, OperationError):
        return exc.error_class
    if isinstance(exc, RemoteError) and exc.needs_config:
        return ErrorClass.NEEDS_CONFIG
    if isinstance(exc, RemoteError) and exc.transient:
        return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


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


@transaction.atomic  # one commit: the calls, the handler's writes, the operation, its attempt
def _succeed(
    operation: Operation, attempt: OperationAttempt, done: Done, calls: list[CallRecord]
) -> str:
    http.save_records(calls)
    if done.record is not None:
        done.record()
    now = timezone.now()
    updated = _ours(operation).update(
        state=OperationState.DONE,
        error_class=ErrorClass.NONE,
        last_error="",
        result=done.result,
        done_at=now,
        claimed_until=None,
        updated_at=now,
    )
    _finish_attempt(attempt, "done", "")
    if not updated:
        return _overtaken(operation)
    _heartbeat(operation.kind, success=True)
    return OperationState.DONE


@transaction.atomic
def _fail(
    operation: Operation,
    attempt: OperationAttempt,
    error_class: str,
    message: str,
    calls: list[CallRecord],
) -> str:
    http.save_records(calls)
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
        updated_at=now,
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
    """Note a run of `flow` (its heartbeat on the dashboard). A success within a second of this
    process's last written one for the flow is not written again: a busy worker would otherwise
    rewrite the same row after every operation."""
    if success and time.monotonic() - _success_written.get(flow, -HEARTBEAT) < HEARTBEAT:
        return
    _success_written.pop(flow, None)
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
    if success:
        _success_written[flow] = time.monotonic()


def forget_heartbeats() -> None:
    """Write the next success of every flow (tests: each starts with an empty database)."""
    _success_written.clear()


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


def sweep(*, until: float, interval: float, on_pass: Callable[[], None]) -> int:
    """Run what is due; with `interval` shorter than the time left, keep doing so until `until`
    (a time.monotonic() instant), so retries need not wait for the schedule's next tick.
    `on_pass` runs before every pass (the worker's heartbeat)."""
    ran = 0
    while True:
        ran += _sweep_once(until, on_pass)
        if time.monotonic() + interval > until:
            return ran
        time.sleep(interval)
        _drop_broken_connection()


def _drop_broken_connection() -> None:
    """A connection the database dropped (a restart) is closed so the next pass opens a new
    one; never inside a transaction (a caller's own, or a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _sweep_once(until: float, on_pass: Callable[[], None]) -> int:
    try:
        on_pass()
        return run_due(until=until)
    except DatabaseError:  # the database went away; the next pass (or tick) sweeps again
        log.warning("outbox sweep interrupted by a database error", exc_info=True)
        return 0
