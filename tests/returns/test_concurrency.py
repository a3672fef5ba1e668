"""Two returns that together ask for more units than were shipped: only one may succeed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from returns import services
from returns.models import ReturnItem, ReturnOrder
from returns.services import ItemInput, ReturnError
from tests.support.returns import shipped_order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_only_one_of_two_concurrent_returns_gets_the_last_units(monkeypatch) -> None:
    shipped_order(lines=[(5501, "SKU-1", 3, 3)])
    expand = services._expand

    def slow_expand(items: list[ItemInput]) -> list:
        time.sleep(0.3)  # widen the window between reading the counts and writing the items
        return expand(items)

    monkeypatch.setattr(services, "_expand", slow_expand)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def create(code: str) -> None:
        try:
            barrier.wait()
            services.return_create(
                forward_order_code="000000123",
                return_order_code=code,
                order_type="CUSTOMER_RETURN",
                items=[ItemInput("SKU-1", "Too small", quantity=2)],
                actor=code,
            )
            outcomes[code] = "created"
        except ReturnError as exc:
            outcomes[code] = exc.message
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(code,)) for code in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == [
        "Invalid return: orderItems[0].quantity: 2 unit(s) of SKU-1 asked but only 1 can be "
        "returned (3 shipped, 2 already in other returns).",
        "created",
    ]
    assert ReturnOrder.objects.count() == 1
    assert ReturnItem.objects.count() == 2


def test_the_same_new_code_sent_twice_at_once_creates_one_return(monkeypatch) -> None:
    shipped_order(lines=[(5501, "SKU-1", 3, 3)])
    barrier = threading.Barrier(2)
    created: list[bool] = []

    def create() -> None:
        try:
            barrier.wait()
            result = services.return_create(
                forward_order_code="000000123",
                return_order_code="SAME",
                order_type="CUSTOMER_RETURN",
                items=[ItemInput("SKU-1", "Too small", quantity=2)],
                actor="api",
            )
            created.append(result.created)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(created) == [False, True]
    assert ReturnItem.objects.count() == 2
