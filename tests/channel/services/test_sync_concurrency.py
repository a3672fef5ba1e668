"""Two syncs at once (the schedule and `manage.py sync_magento`) mirror a new order once
(PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from channel.models import Operation, Order
from channel.services import orders
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_upserts_of_the_same_new_order_at_once_store_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    both_looked = threading.Barrier(2, timeout=10)
    snapshot = orders._snapshot

    def after_looking(order: Order | None, lines: list[Any]) -> dict[str, Any]:
        if order is None:  # each has seen no order: both will insert it
            both_looked.wait()
        return snapshot(order, lines)

    monkeypatch.setattr(orders, "_snapshot", after_looking)
    raw = mo.order(321, items=[mo.item(1, "SKU-1", 1)])
    results: list[Any] = []

    def upsert() -> None:
        try:
            results.append(order_upsert(raw=raw))
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upsert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(type(r).__name__ for r in results) == ["UpsertResult", "UpsertResult"]
    assert sorted(r.created for r in results) == [False, True]
    assert Order.objects.filter(entity_id=321).count() == 1
    assert Operation.objects.filter(kind="omni.push_order").count() == 1
