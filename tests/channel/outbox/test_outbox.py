"""The outbox: once per key, claims, backoff, permanent stops, stale claims, read-back, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channel import outbox
from channel.integrations.magento import MagentoError
from channel.models import ErrorClass, Flow, FlowState, Operation, OperationState

pytestmark = pytest.mark.django_db
calls: list[int] = []
effects: set[int] = set()


@outbox.register("test.ok", flow=Flow.PUSH)
def ok_handler(operation: Operation) -> dict:
    calls.append(operation.pk)
    return {"n": operation.payload.get("n")}


@outbox.register("test.flaky", flow=Flow.PUSH)
def flaky_handler(operation: Operation) -> dict:
    calls.append(operation.pk)
    if operation.attempts < 3:
        raise MagentoError("Magento answered HTTP 503", status=503, transient=True)
    return {}


@outbox.register("test.refused", flow=Flow.PUSH)
def refused_handler(operation: Operation) -> dict:
    raise MagentoError("The order does not allow an invoice to be created.", status=400)


def read_back(operation: Operation) -> dict | None:
    return {"found": True} if operation.pk in effects else None


@outbox.register("test.write", flow=Flow.INVENTORY, read_back=read_back)
def write_handler(operation: Operation) -> dict:
    calls.append(operation.pk)
    effects.add(operation.pk)  # the effect happens ...
    raise MagentoError("timed out", transient=True, timed_out=True)  # ... but the answer is lost


@outbox.register("test.overtaken", flow=Flow.PUSH)
def overtaken_handler(operation: Operation) -> dict:
    """Runs so long that its claim expires and another worker takes the operation."""
    Operation.objects.filter(pk=operation.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    outbox.release_stale_claims()
    assert outbox.claim(operation.pk)  # the other worker's attempt 2, still running
    return {"late": True}


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()
    effects.clear()


def make_due(operation: Operation) -> None:
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=timezone.now())


def test_it_records_one_operation_per_idempotency_key() -> None:
    first = outbox.enqueue("test.ok", key="k1", payload={"n": 1})
    second = outbox.enqueue("test.ok", key="k1", payload={"n": 2})
    assert first.pk == second.pk and Operation.objects.count() == 1


def test_it_runs_an_operation_once_even_when_asked_twice() -> None:
    operation = outbox.enqueue("test.ok", key="k1", payload={"n": 1})
    assert outbox.run_operation(operation.pk) == OperationState.DONE
    assert outbox.run_operation(operation.pk) is None
    operation.refresh_from_db()
    assert calls == [operation.pk] and operation.result == {"n": 1}


def test_it_retries_transient_errors_with_backoff_until_success() -> None:
    operation = outbox.enqueue("test.flaky", key="f")
    assert outbox.run_operation(operation.pk) == OperationState.PENDING
    operation.refresh_from_db()
    assert operation.error_class == ErrorClass.TRANSIENT
    assert operation.next_attempt_at > timezone.now()
    assert outbox.run_operation(operation.pk) is None  # not due yet
    make_due(operation)
    outbox.run_operation(operation.pk)
    make_due(operation)
    assert outbox.run_operation(operation.pk) == OperationState.DONE
    assert operation.attempt_log.count() == 3


def test_it_stops_on_a_permanent_error_and_keeps_the_message() -> None:
    operation = outbox.enqueue("test.refused", key="r")
    assert outbox.run_operation(operation.pk) == OperationState.FAILED
    operation.refresh_from_db()
    assert operation.error_class == ErrorClass.PERMANENT
    assert operation.last_error == "The order does not allow an invoice to be created."
    assert outbox.run_due() == 0


def test_a_person_can_replay_a_failed_operation() -> None:
    operation = outbox.enqueue("test.refused", key="r")
    outbox.run_operation(operation.pk)
    assert outbox.replay(operation)
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING


def test_a_person_can_cancel_an_operation() -> None:
    operation = outbox.enqueue("test.ok", key="c")
    assert outbox.cancel(operation)
    assert outbox.run_due() == 0 and calls == []


def test_it_reads_back_before_retrying_a_write_so_the_effect_happens_once() -> None:
    operation = outbox.enqueue("test.write", key="w")
    assert outbox.run_operation(operation.pk) == OperationState.PENDING
    make_due(operation)
    assert outbox.run_operation(operation.pk) == OperationState.DONE
    operation.refresh_from_db()
    assert calls == [operation.pk]
    assert operation.result == {"found": True, "readBack": True}


def test_it_runs_an_operation_again_when_its_worker_died() -> None:
    operation = outbox.enqueue("test.ok", key="dead")
    Operation.objects.filter(pk=operation.pk).update(
        state=OperationState.RUNNING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.run_due() == 1
    assert calls == [operation.pk]


def test_an_attempt_that_outlived_its_claim_leaves_the_next_attempt_alone() -> None:
    operation = outbox.enqueue("test.overtaken", key="late")
    assert outbox.run_operation(operation.pk) == OperationState.RUNNING
    operation.refresh_from_db()
    assert (operation.state, operation.attempts, operation.result) == (
        OperationState.RUNNING,
        2,
        {},
    )


def test_it_leaves_a_live_claim_alone() -> None:
    operation = outbox.enqueue("test.ok", key="busy")
    Operation.objects.filter(pk=operation.pk).update(
        state=OperationState.RUNNING, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert outbox.run_due() == 0


def test_it_keeps_the_backlog_of_a_paused_flow() -> None:
    FlowState.objects.create(flow=Flow.PUSH, paused=True)
    operation = outbox.enqueue("test.ok", key="p")
    assert outbox.run_due() == 0
    FlowState.objects.filter(flow=Flow.PUSH).update(paused=False)
    assert outbox.run_due() == 1
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE


def test_it_queues_a_task_only_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        outbox.enqueue("test.ok", key="oc")
        outbox.enqueue("test.ok", key="oc")
    assert len(callbacks) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings) -> None:
    settings.OUTBOX_MAX_BACKOFF_SECONDS = 100
    assert 2.5 <= outbox.backoff_seconds(1) <= 7.5
    assert 20 <= outbox.backoff_seconds(4) <= 60
    assert outbox.backoff_seconds(30) <= 150
    assert outbox.backoff_seconds(10_000) <= 150  # no overflow however many attempts


def test_the_first_backoff_is_a_setting(settings) -> None:
    settings.OUTBOX_BASE_BACKOFF_SECONDS = 0.2
    settings.OUTBOX_MAX_BACKOFF_SECONDS = 1
    assert 0.1 <= outbox.backoff_seconds(1) <= 0.3
    assert 0.5 <= outbox.backoff_seconds(5) <= 1.5


def queued_tasks() -> list[tuple[str, tuple]]:
    """The outbox tasks waiting in django-q's ORM queue: (function, arguments)."""
    from django_q.models import OrmQ

    return [(row.task["func"], row.task["args"]) for row in OrmQ.objects.order_by("id")]


def test_operations_made_together_go_to_the_workers_in_chunks(settings) -> None:
    settings.OUTBOX_TASK_CHUNK = 2
    outbox.schedule_runs([11, 12, 13, 14, 15])
    assert queued_tasks() == [
        ("channel.tasks.run_operations", ([11, 12],)),
        ("channel.tasks.run_operations", ([13, 14],)),
        ("channel.tasks.run_operations", ([15],)),
    ]


def test_a_chunk_runs_each_due_operation_once_and_leaves_the_others() -> None:
    ready = [outbox.enqueue("test.ok", key=f"k{n}", payload={"n": n}) for n in range(3)]
    later = outbox.enqueue("test.ok", key="later")
    Operation.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    paused = outbox.enqueue("test.write", key="paused")
    FlowState.objects.create(flow=Flow.INVENTORY, paused=True)
    outbox.run_operation(ready[0].pk)  # already done: not run again
    calls.clear()
    ids = [op.pk for op in (*ready, later, paused)]
    assert outbox.run_operations(ids) == 2
    assert calls == [ready[1].pk, ready[2].pk]
    states = dict(Operation.objects.values_list("pk", "state"))
    assert [states[pk] for pk in ids] == ["done", "done", "done", "pending", "pending"]
    assert [Operation.objects.get(pk=pk).attempts for pk in ids] == [1, 1, 1, 0, 0]


def test_a_chunk_out_of_time_gives_back_what_it_did_not_start() -> None:
    import time

    from django_q.models import OrmQ

    ops = [outbox.enqueue("test.ok", key=f"k{n}") for n in range(3)]
    OrmQ.objects.all().delete()
    ids = [op.pk for op in ops]
    assert outbox.run_operations(ids, until=time.monotonic() - 1) == 0
    assert calls == []
    assert list(Operation.objects.values_list("state", "attempts", "claimed_by").distinct()) == [
        ("pending", 0, "")
    ]
    assert queued_tasks() == [("channel.tasks.run_operations", (ids,))]
    assert outbox.run_operations(ids) == 3 and calls == ids


@outbox.register("test.piped", flow=Flow.PUSH, pipelined=True)
def piped_handler(operation: Operation) -> outbox.Done:
    """Only calls out; its write (a log line here) goes in the outcome's transaction."""
    if operation.payload.get("refuse"):
        raise MagentoError("refused", status=400)
    calls.append(operation.pk)
    return outbox.Done({"n": operation.payload.get("n")}, record=lambda: effects.add(operation.pk))


@outbox.register("test.piped_reads", flow=Flow.PUSH, pipelined=True)
def piped_reading_handler(operation: Operation) -> dict:
    return {"count": Operation.objects.count()}  # a bug: pipelined handlers must not query


def test_a_chunk_of_pipelined_operations_settles_each_on_its_own() -> None:
    ops = [
        outbox.enqueue("test.piped", key="a", payload={"n": 1}),
        outbox.enqueue("test.piped", key="b", payload={"refuse": True}),
        outbox.enqueue("test.ok", key="c", payload={"n": 3}),  # not pipelined, in between
        outbox.enqueue("test.piped", key="d", payload={"n": 4}),
    ]
    assert outbox.run_operations([op.pk for op in ops]) == 4
    assert calls == [ops[0].pk, ops[2].pk, ops[3].pk]
    assert effects == {ops[0].pk, ops[3].pk}  # each Done's record, in its own commit
    rows = {op.pk: op for op in Operation.objects.all()}
    assert [(rows[op.pk].state, rows[op.pk].attempts) for op in ops] == [
        ("done", 1),
        ("failed", 1),
        ("done", 1),
        ("done", 1),
    ]
    assert rows[ops[1].pk].last_error == "refused"
    assert rows[ops[3].pk].result == {"n": 4}
    assert [
        (a.number, a.outcome) for op in ops for a in rows[op.pk].attempt_log.order_by("pk")
    ] == [(1, "done"), (1, "permanent"), (1, "done"), (1, "done")]


def test_a_pipelined_handler_that_queries_the_database_fails_loudly() -> None:
    operation = outbox.enqueue("test.piped_reads", key="r")
    assert outbox.run_operations([operation.pk]) == 1
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING  # transient: it is a bug, not Omni's answer
    assert "queried the database" in operation.last_error


@pytest.mark.parametrize(
    ("kind", "state"), [("test.ok", OperationState.DONE), ("test.refused", OperationState.FAILED)]
)
def test_updated_at_says_when_the_operation_last_changed(kind: str, state: str) -> None:
    """The dashboard's outbox chart reads it: a state change through `.update()` sets it too."""
    operation = outbox.enqueue(kind, key="k-updated", payload={"n": 1})
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Operation.objects.filter(pk=operation.pk).update(updated_at=an_hour_ago)
    assert outbox.run_operation(operation.pk) == state
    operation.refresh_from_db()
    assert operation.updated_at > an_hour_ago + timedelta(minutes=59)
    if state == OperationState.FAILED:  # support replays it
        Operation.objects.filter(pk=operation.pk).update(updated_at=an_hour_ago)
        assert outbox.replay(operation)
        operation.refresh_from_db()
        assert operation.updated_at > an_hour_ago + timedelta(minutes=59)
