"""Retention: old records are anonymised or deleted in batches, never those of open orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from channel import tasks
from channel.models import (
    AuditEvent,
    CallDirection,
    CallRecord,
    IdempotencyRecord,
    Order,
    OrderLifecycle,
)
from channel.services.orders import order_upsert
from channel.services.retention import retention_run
from channel.services.schedules import ensure_schedules
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db


def order(number: int, lifecycle: str) -> Order:
    created = order_upsert(raw=mo.order(number)).order
    Order.objects.filter(pk=created.pk).update(lifecycle=lifecycle)
    return created


def call(days: int, of: Order | None = None) -> CallRecord:
    return CallRecord.objects.create(
        direction=CallDirection.INBOUND,
        system="omni",
        method="GET",
        path=f"/api/omni/orders/{days}",
        request_body='{"customer": "Asha Rao, 12 MG Road"}',
        response_body='{"phone": "+91 98765 43210"}',
        order=of,
        created_at=timezone.now() - timedelta(days=days),
    )


def event(days: int, of: Order | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        action="order.test",
        actor="system",
        order=of,
        created_at=timezone.now() - timedelta(days=days),
    )


def test_a_run_removes_what_is_old_and_keeps_open_orders_and_recent_records() -> None:
    closed, open_ = order(100, OrderLifecycle.FULFILLED), order(101, OrderLifecycle.ACKNOWLEDGED)
    old_calls = [call(100), call(100, closed)]
    kept_calls = [call(100, open_), call(1)]
    blanked = call(40, closed)
    old_events = [event(400), event(400, closed)]
    kept_events = [event(400, open_), event(10)]
    IdempotencyRecord.objects.create(
        scope="ack", key="old", request_hash="x", created_at=timezone.now() - timedelta(days=31)
    )
    IdempotencyRecord.objects.create(scope="ack", key="new", request_hash="x")

    report = retention_run()

    assert report.counts == {
        "call records deleted": 2,
        "audit events deleted": 2,
        "idempotency records deleted": 1,
        "call record bodies blanked": 1,  # not those deleted: deletions come first
    }
    remaining = set(CallRecord.objects.values_list("pk", flat=True))
    assert remaining == {c.pk for c in [*kept_calls, blanked]}
    assert not {c.pk for c in old_calls} & remaining
    blanked.refresh_from_db()
    assert (blanked.request_body, blanked.response_body) == ("", "")
    open_call = CallRecord.objects.get(pk=kept_calls[0].pk)
    assert "Asha" in open_call.request_body
    events = set(AuditEvent.objects.filter(action="order.test").values_list("pk", flat=True))
    assert events == {e.pk for e in kept_events}
    assert not {e.pk for e in old_events} & events
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    said = AuditEvent.objects.get(action="retention.run")
    assert said.data["call records deleted"] == 2 and "call records deleted 2" in said.message


def test_it_works_in_batches(settings: object) -> None:
    settings.RETENTION_BATCH_SIZE = 2
    for _ in range(5):
        call(100)
    assert retention_run().counts["call records deleted"] == 5
    assert CallRecord.objects.count() == 0


def test_zero_days_keeps_forever(settings: object) -> None:
    settings.RETENTION_CALL_RECORDS_DAYS = 0
    settings.RETENTION_CALL_BODIES_DAYS = 0
    call(5000)
    assert "call records deleted" not in retention_run().counts
    assert CallRecord.objects.count() == 1


def test_a_run_with_nothing_to_do_writes_no_event() -> None:
    assert str(tasks.retention_run()) == (
        "retention: call records deleted 0, audit events deleted 0, "
        "idempotency records deleted 0, call record bodies blanked 0"
    )
    assert not AuditEvent.objects.filter(action="retention.run").exists()


def test_the_retention_schedule_runs_daily() -> None:
    ensure_schedules()
    schedule = Schedule.objects.get(name="retention")
    assert (schedule.func, schedule.minutes) == ("channel.tasks.retention_run", 24 * 60)
