"""The sweep task: one pass per schedule tick, or sweeping every OUTBOX_SWEEP_SECONDS until the
next tick, surviving a database that goes away."""

from __future__ import annotations

import itertools
import time

import pytest
from django.db import OperationalError

from channel import outbox, tasks
from channel.models import Flow, Heartbeat, Operation, OperationState

pytestmark = pytest.mark.django_db
_next = itertools.count(1)


@outbox.register("test.endless", flow=Flow.PUSH)
def endless(operation: Operation) -> dict:
    """Steady load: every operation done makes another one due."""
    time.sleep(0.02)
    number = next(_next)
    if number < 200:  # (a bound, so that without one in the sweep this test fails, not hangs)
        outbox.enqueue("test.endless", key=f"endless-{number}")
    return {}


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    ran: list[int] = []

    def run_due(*, until: float) -> int:
        ran.append(1)
        return 2

    monkeypatch.setattr(outbox.runner, "run_due", run_due)
    return ran


def test_it_sweeps_once_per_tick_by_default(settings, passes: list[int]) -> None:
    settings.OUTBOX_SWEEP_SECONDS = 60
    assert tasks.sweep_outbox() == 2
    assert passes == [1]
    assert Heartbeat.objects.filter(name="worker").exists()


def test_it_keeps_sweeping_until_the_next_tick(
    settings, monkeypatch: pytest.MonkeyPatch, passes: list[int]
) -> None:
    settings.OUTBOX_SWEEP_SECONDS = 0.05
    monkeypatch.setattr(tasks, "SCHEDULE_PERIOD_SECONDS", 0.3)
    assert tasks.sweep_outbox() == 2 * len(passes)
    assert 2 <= len(passes) <= 6  # (at least 2: a loaded machine may fit fewer than 6)


def test_a_sweep_ends_in_time_however_much_keeps_coming(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OUTBOX_SWEEP_SECONDS = 60
    monkeypatch.setattr(tasks, "SCHEDULE_PERIOD_SECONDS", 0.3)
    outbox.enqueue("test.endless", key="endless-0")
    started = time.monotonic()
    ran = tasks.sweep_outbox()
    assert time.monotonic() - started < 1.5
    assert ran >= 2 and Operation.objects.filter(state=OperationState.PENDING).count() == 1


def test_a_database_error_costs_one_pass_not_the_sweep(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = iter([OperationalError("server closed the connection unexpectedly"), 3, 3])

    def run_due(*, until: float) -> int:
        result = next(results, 0)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(outbox.runner, "run_due", run_due)
    settings.OUTBOX_SWEEP_SECONDS = 0.05
    monkeypatch.setattr(tasks, "SCHEDULE_PERIOD_SECONDS", 0.2)
    assert tasks.sweep_outbox() == 6


def test_the_scheduled_sync_has_a_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    budgets: list[float | None] = []

    def sync_magento(*, seconds: float | None = None) -> str:
        budgets.append(seconds)
        return "0 pages"

    monkeypatch.setattr(tasks.sync, "sync_magento", sync_magento)
    assert tasks.sync_magento() == "0 pages"
    assert budgets == [60]  # the schedule's period; the task timeout (120 s) is twice that
