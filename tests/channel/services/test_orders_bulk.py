"""Mirroring many new orders at once, and refreshing unchanged ones without writes (bench/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from channel.models import AuditEvent, Operation, Order, OrderLine
from channel.services import orders, sync
from channel.services.orders import order_upsert, orders_create
from simulators.magento import MagentoSimulator
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db


def mirrored_rows(entity_id: int) -> dict:
    order = Order.objects.get(entity_id=entity_id)
    return {
        "order": {
            k: v
            for k, v in Order.objects.filter(pk=order.pk).values()[0].items()
            if k not in ("id", "fetched_at", "created_at", "updated_at")
        },
        "lines": [
            {k: v for k, v in line.items() if k not in ("id", "order_id")}
            for line in OrderLine.objects.filter(order=order).values()
        ],
        "history": list(order.history.values_list("history_type", "magento_status")),
        "events": list(order.events.values_list("action", "actor", "message")),
        "operations": list(order.operations.values_list("kind", "idempotency_key", "state")),
    }


def test_it_mirrors_new_orders_in_bulk_exactly_as_one_by_one(django_capture_on_commit_callbacks):
    raws = [
        mo.order(1, items=[mo.item(11, "KURTA-M", 2), mo.item(12, "MUG")], method="cashondelivery"),
        mo.order(2, items=[mo.item(21, "SAREE")], status="processing", state="processing"),
        mo.order(3, items=[mo.item(31, "TEE")], status="holded", state="holded"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        results = orders_create(raws=raws)
    assert [(r.order.entity_id, r.created, r.changed) for r in results] == [
        (1, True, True),
        (2, True, True),
        (3, True, True),
    ]
    assert len(callbacks) == 1  # the pushes are handed to the workers after the commit, together
    bulk = [mirrored_rows(n) for n in (1, 2, 3)]
    Operation.objects.all().delete()
    AuditEvent.objects.all().delete()
    Order.history.all().delete()
    Order.objects.all().delete()
    for raw in raws:
        order_upsert(raw=raw)
    assert [mirrored_rows(n) for n in (1, 2, 3)] == bulk


def test_it_takes_an_order_with_a_cancelled_line_one_by_one(django_capture_on_commit_callbacks):
    cancelled = mo.order(
        5, items=[mo.item(51, "A", 2, qty_canceled=1)], status="processing", state="processing"
    )
    with django_capture_on_commit_callbacks():
        orders_create(raws=[cancelled, mo.order(6)])
    kinds = set(Operation.objects.filter(order__entity_id=5).values_list("kind", flat=True))
    assert kinds == {"omni.push_order", "omni.customer_cancel"}
    assert Operation.objects.filter(order__entity_id=6).count() == 1


def test_it_refuses_an_order_already_mirrored() -> None:
    order_upsert(raw=mo.order(7))
    with pytest.raises(IntegrityError):
        orders_create(raws=[mo.order(7)])


def test_refreshing_an_unchanged_order_writes_nothing_and_fetched_at_once_a_minute() -> None:
    raw = mo.order(8, items=[mo.item(81, "A"), mo.item(82, "B")])
    order = order_upsert(raw=raw).order
    with CaptureQueriesContext(connection) as captured:
        result = order_upsert(raw=raw)  # Omni reads it again at once: nothing is written
    assert (result.changed, _writes(captured)) == (False, [])
    a_minute_ago = order.fetched_at - timedelta(seconds=61)
    Order.objects.filter(pk=order.pk).update(fetched_at=a_minute_ago)
    with CaptureQueriesContext(connection) as captured:
        result = order_upsert(raw=raw)
    assert (result.changed, _writes(captured)) == (False, ["UPDATE"])
    assert order.history.count() == 1
    assert Order.objects.get(pk=order.pk).fetched_at > a_minute_ago + timedelta(seconds=60)


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split()[0] for q in captured if q["sql"].split()[0] in ("INSERT", "UPDATE")]


def test_refreshing_a_changed_order_writes_only_the_changed_line() -> None:
    order_upsert(raw=mo.order(9, items=[mo.item(91, "A"), mo.item(92, "B")]))
    later = mo.order(
        9,
        items=[mo.item(91, "A"), mo.item(92, "B", qty_canceled=1)],
        updated_at="2026-01-31 10:00:00",
    )
    with CaptureQueriesContext(connection) as captured:
        result = order_upsert(raw=later)
    line_updates = [q for q in captured if q["sql"].startswith('UPDATE "channel_orderline"')]
    assert result.changed and len(line_updates) == 1
    assert Order.objects.get(entity_id=9).history.count() == 2


def test_the_sync_stores_a_new_order_once_per_run(magento: MagentoSimulator, monkeypatch) -> None:
    for _ in range(3):
        magento.add_order([{"sku": "TS-1", "qty": 1, "price": 500}])
    calls = []
    monkeypatch.setattr(orders, "order_upsert", lambda **kw: calls.append(kw))
    report = sync.sync_magento()
    assert (report.created, report.seen, calls) == (3, 6, [])  # seen by both pulls, stored once
    assert all(o.history.count() == 1 for o in Order.objects.all())


def test_the_sync_falls_back_to_one_by_one_when_someone_else_was_first(
    magento: MagentoSimulator, monkeypatch
) -> None:
    for _ in range(2):
        magento.add_order([{"sku": "TS-1", "qty": 1, "price": 500}])

    def clash(**kwargs: object) -> None:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(orders, "orders_create", clash)
    assert sync.sync_magento().created == 2
    assert Operation.objects.filter(kind="omni.push_order").count() == 2
