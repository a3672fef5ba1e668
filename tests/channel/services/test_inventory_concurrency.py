"""Concurrent pushes on PostgreSQL: the newest quantity wins in the ledger and in Magento."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from channel import outbox
from channel.models import ApiKeyScope, StockLevel
from channel.services import inventory
from channel.services.apikeys import api_key_create
from channel.services.inventory import StockLine
from tests.support.inventory import (
    at,
    location_body,
    magento_sim,
    put_inventory,
    stock_of,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
__all__ = ["magento_sim"]


def run_together(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Start every job at once on its own thread (own connection, closed after)."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_ledger_writes_keep_the_newest_quantity_of_every_row() -> None:
    versions = list(range(1, 25))
    random.Random(7).shuffle(versions)
    skus = [f"SKU-{n}" for n in range(40)]

    def record(version: int) -> Callable[[], None]:
        lines = [StockLine(sku, version) for sku in random.Random(version).sample(skus, 40)]
        return lambda: inventory.stock_record(
            location_code="WH1", lines=lines, received_at=at(version)
        )

    assert run_together([record(v) for v in versions]) == []
    rows = StockLevel.objects.filter(location_code="WH1")
    assert rows.count() == 40
    assert set(rows.values_list("quantity", flat=True)) == {24}
    assert {r.received_at for r in rows} == {at(24)}


def test_concurrent_pushes_end_with_the_newest_quantity_in_magento(magento_sim) -> None:
    magento_sim.latency_seconds = 0.01  # lets writes of different pushes overtake each other
    versions = list(range(1, 17))
    random.Random(3).shuffle(versions)

    def push(version: int) -> Callable[[], None]:
        lines = [StockLine("SKU-1", version), StockLine("SKU-2", 100 + version)]
        return lambda: inventory.inventory_update(
            location_code="WH1",
            lines=lines,
            received_at=at(version),
            deadline=time.monotonic() + 5,
        )

    assert run_together([push(v) for v in versions]) == []
    outbox.run_due()  # writes queued where an older write may have landed after a newer one
    assert stock_of(magento_sim, "SKU-1") == (16, True)
    assert stock_of(magento_sim, "SKU-2") == (116, True)
    one = StockLevel.objects.get(sku="SKU-1")
    assert (one.quantity, one.magento_quantity, one.magento_version) == (16, 16, at(16))


def test_concurrent_api_requests_leave_magento_equal_to_the_ledger(magento_sim) -> None:
    key = api_key_create(name="omni", scope=ApiKeyScope.OMNI)[1]
    magento_sim.latency_seconds = 0.01

    def request(quantity: int) -> Callable[[], None]:
        def call() -> None:
            client = APIClient()
            client.credentials(HTTP_X_API_KEY=key)
            response = put_inventory(client, location_body("WH1", ("SKU-1", quantity)))
            assert response.status_code == 200, response.content

        return call

    assert run_together([request(q) for q in range(10, 22)]) == []
    outbox.run_due()
    row = StockLevel.objects.get(sku="SKU-1")
    assert stock_of(magento_sim, "SKU-1")[0] == row.quantity == row.magento_quantity
