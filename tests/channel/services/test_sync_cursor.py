"""Intake pages by a moving cursor (contract 8.4): orders that change, or arrive with the same
timestamp, while the pages are read are each taken once."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from channel.integrations import http
from channel.models import Operation, Order
from channel.services.sync import sync_magento
from simulators.base import RecordedRequest, Route, SimResponse, SimulatorAdapter
from simulators.magento import MagentoSimulator
from tests.support.settings import MAGENTO_TOKEN

pytestmark = pytest.mark.django_db


class ChangingMagento(MagentoSimulator):
    """Runs `change` before answering each order search: Magento changing under the pager."""

    def __init__(self) -> None:
        super().__init__()
        self.change: Callable[[ChangingMagento], None] = lambda sim: None
        self.searches = 0

    def before(self, req: RecordedRequest, route: Route) -> SimResponse | None:
        if req.method == "GET" and req.path.endswith("/V1/orders"):
            self.searches += 1
            self.change(self)
        return super().before(req, route)


@pytest.fixture
def changing() -> ChangingMagento:
    sim = ChangingMagento()
    sim.set_clock("2026-01-31 09:00:00")
    sim.integration_tokens.add(MAGENTO_TOKEN)
    http.mount("http://magento.test", SimulatorAdapter(sim))
    return sim


def mirror_matches_magento(sim: MagentoSimulator) -> None:
    mirrored = dict(Order.objects.values_list("entity_id", "magento_updated_at"))
    assert mirrored.keys() == sim.orders.keys()
    stale = [
        entity_id
        for entity_id, order in sim.orders.items()
        if mirrored[entity_id].strftime("%Y-%m-%d %H:%M:%S") != order["updated_at"]
    ]
    assert stale == []


def test_1000_orders_changing_while_10_pages_are_read_are_each_taken_once(
    changing: ChangingMagento, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 100
    for n in range(1000):
        changing.add_order([{"sku": f"SKU-{n % 7}", "qty": 1, "price": 100}])
        changing.advance_clock(7)
    rng = random.Random(17)

    def touch_some(sim: ChangingMagento) -> None:
        sim.advance_clock(1)
        for entity_id in rng.sample(sorted(sim.orders), 15):
            sim.add_comment(entity_id, "changed while the proxy pages")

    changing.change = touch_some
    report = sync_magento()
    assert report.errors == [] and report.pages >= 20  # >= 10 pages in each stream
    changing.change = lambda sim: None
    mirror_matches_magento(changing)  # every change made between pages was read: none skipped
    pushes = Operation.objects.filter(kind="omni.push_order")
    assert pushes.count() == 1000  # each order queued for Omni once
    assert set(pushes.values_list("order__entity_id", flat=True)) == set(changing.orders)


def test_orders_with_the_cursors_timestamp_inserted_across_a_page_boundary_are_taken(
    changing: ChangingMagento, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    first = [changing.add_order() for _ in range(3)]  # the clock is frozen: one timestamp

    def insert_twice(sim: ChangingMagento) -> None:
        if sim.searches in (2, 3):  # after the first page, before the second
            first.append(sim.add_order())

    changing.change = insert_twice
    report = sync_magento()
    assert report.errors == []
    assert sorted(Order.objects.values_list("entity_id", flat=True)) == sorted(
        o["entity_id"] for o in first
    )
    assert len(first) == 5
    assert Operation.objects.filter(kind="omni.push_order").count() == 5


def test_the_cursor_keeps_its_entity_id_and_the_next_run_starts_after_it(
    changing: ChangingMagento, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    settings.SYNC_OVERLAP_MINUTES = 0
    made = [changing.add_order() for _ in range(3)]
    sync_magento()
    from channel.models import SyncCursor

    cursor = SyncCursor.objects.get(name="changed_orders")
    assert cursor.entity_id == made[-1]["entity_id"]
    changing.requests.clear()
    later = changing.add_order()  # same second, a greater entity_id
    sync_magento()
    assert Order.objects.filter(entity_id=later["entity_id"]).exists()
    first_search = changing.calls("GET", r"/V1/orders$")[0]
    assert f"[value]={made[-1]['entity_id']}" in first_search.path + "?" + _unquoted(first_search)


def _unquoted(req: RecordedRequest) -> str:
    from urllib.parse import unquote

    return unquote(req.query_string)
