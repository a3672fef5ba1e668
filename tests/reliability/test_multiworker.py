"""Several workers and web processes (several machines' worth) on PostgreSQL with Redis as broker.

Two `qcluster` processes and two gunicorn processes share one database and one Redis; Omni's
calls go to both web processes, eight at a time. Every order must reach Omni once, every
shipment be invoiced once and shipped once, every order end `complete` in Magento, no operation
fail. bench/multiworker.py runs the same with 1,000 orders and prints figures.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable

import pytest

from tests.reliability import flows
from tests.reliability.marks import needs_processes
from tests.reliability.stage import Stage, attempts_by_process

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = [*needs_processes, pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")]


def test_two_workers_and_two_web_processes_on_redis_do_everything_once(
    stage_factory: Callable[..., Stage],
) -> None:
    stage = stage_factory(
        webs=2, workers=2, redis_url=REDIS_URL, cluster_name=f"rel-{uuid.uuid4().hex[:8]}"
    )
    drive = flows.drive(stage, 100, rng=random.Random(9), threads=8, timeout=240)

    assert not drive.errors, drive.errors
    report = stage.check()
    assert not report.problems, str(report)
    assert (report.orders, report.invoices, report.magento_shipments) == (100, 100, 100)
    by_process = attempts_by_process(stage.proxy)
    assert by_process.get("worker1", 0) > 0 and by_process.get("worker2", 0) > 0, by_process
    assert stage.driver.slowest < 10
