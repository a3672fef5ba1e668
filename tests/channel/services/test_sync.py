"""Order intake from Magento: paging, cursors, overlap, faults (contract 2, architecture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command

from channel.models import Operation, Order, OrderLine, SyncCursor
from channel.services.sync import sync_magento
from simulators.base import serve
from simulators.magento import MagentoSimulator
from simulators.samples import seed_magento
from tests.support.settings import MAGENTO_TOKEN

pytestmark = pytest.mark.django_db
STATUSES = ["pending", "processing", "holded"]


@pytest.fixture
def loopback_magento(settings) -> Iterator[MagentoSimulator]:
    """The fake Magento as a real HTTP server on 127.0.0.1."""
    sim = MagentoSimulator()
    sim.integration_tokens.add(MAGENTO_TOKEN)
    with serve(sim) as server:
        settings.MAGENTO_BASE_URL = f"{server.base_url}/rest/default"
        yield sim


def expected_ids(sim: MagentoSimulator) -> set[int]:
    return {o["entity_id"] for o in sim.orders.values() if o["status"] in STATUSES}


def simple(sim: MagentoSimulator, sku: str = "TS-1", **kwargs: object) -> dict:
    return sim.add_order([{"sku": sku, "qty": 1, "price": 500}], **kwargs)


def test_it_mirrors_1000_orders_across_pages_and_twice_adds_nothing(
    loopback_magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 100
    seed_magento(loopback_magento, 1000, seed=7)
    report = sync_magento()
    assert report.errors == [] and report.pages >= 5
    mirrored = set(Order.objects.values_list("entity_id", flat=True))
    assert mirrored == expected_ids(loopback_magento)
    assert OrderLine.objects.filter(product_type="configurable").exists()
    assert OrderLine.objects.filter(parent_item_id__isnull=False, product_type="simple").exists()
    lines, events = OrderLine.objects.count(), Order.objects.count()
    sync_magento()
    assert (OrderLine.objects.count(), Order.objects.count()) == (lines, events)


def test_it_misses_no_order_created_later_with_an_equal_timestamp(
    magento: MagentoSimulator,
) -> None:
    first = simple(magento)
    sync_magento()
    second = simple(magento)  # same created_at as the cursor (clock did not move)
    magento.advance_clock(-30)
    third = simple(magento)  # a little older than the cursor, within the overlap
    sync_magento()
    assert set(Order.objects.values_list("entity_id", flat=True)) == {
        first["entity_id"],
        second["entity_id"],
        third["entity_id"],
    }


def test_it_stops_on_a_repeated_last_page_of_an_old_magento(
    magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    magento.paging_last_page_repeat = True
    for _ in range(4):
        simple(magento)
        magento.advance_clock(60)
    sync_magento()
    assert Order.objects.count() == 4
    assert len(magento.calls("GET", r"/V1/orders$")) == 4  # two pages for each stream, no loop


def test_a_5xx_during_sync_leaves_the_cursor_and_the_next_run_completes(
    magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    for _ in range(5):
        simple(magento)
        magento.advance_clock(60)
    magento.inject("GET", r"entity_id&.*condition_type\]=gt", "status", status=503)
    report = sync_magento()
    assert report.errors and Order.objects.count() == 2
    cursor = SyncCursor.objects.get(name="new_orders").value
    assert cursor.strftime("%H:%M") == "09:01"  # the second order: the page that was stored
    assert sync_magento().errors == []
    assert Order.objects.count() == 5


def test_token_expiry_mid_sync_reauthenticates_once(magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_AUTH_MODE = "admin"
    settings.MAGENTO_USERNAME, settings.MAGENTO_PASSWORD = "admin", "admin123"
    settings.MAGENTO_PAGE_SIZE = 2
    for _ in range(4):
        simple(magento)
        magento.advance_clock(60)
    magento.inject("GET", r"entity_id&.*condition_type\]=gt", "status", status=401)
    assert sync_magento().errors == []
    assert Order.objects.count() == 4
    assert len(magento.calls("POST", "integration/admin/token")) == 2


def test_it_takes_only_the_configured_statuses_as_new_orders(magento: MagentoSimulator) -> None:
    simple(magento)
    complete = simple(magento)
    magento.invoice(complete["entity_id"])
    magento.ship(
        complete["entity_id"],
        tracks=[{"track_number": "T", "title": "X", "carrier_code": "custom"}],
    )
    assert magento.get_order(complete["entity_id"])["status"] == "complete"
    sync_magento()
    assert Order.objects.count() == 1


def test_it_notices_changes_to_known_orders_in_any_status(magento: MagentoSimulator) -> None:
    order = simple(magento)
    sync_magento()
    magento.advance_clock(120)
    magento.cancel(order["entity_id"])
    sync_magento()
    mirrored = Order.objects.get(entity_id=order["entity_id"])
    assert (mirrored.magento_state, mirrored.lifecycle) == ("canceled", "cancelled")
    assert mirrored.lines.get().qty_canceled == 1
    assert mirrored.events.filter(action="order.magento_changed").exists()


def test_a_paused_intake_pulls_nothing(magento: MagentoSimulator) -> None:
    from channel.models import Flow, FlowState

    FlowState.objects.create(flow=Flow.INTAKE, paused=True)
    simple(magento)
    assert sync_magento().errors == ["order intake is paused"]
    assert Order.objects.count() == 0


def test_the_sync_command_reports_what_it_did(magento: MagentoSimulator, capsys) -> None:
    simple(magento)
    call_command("sync_magento")
    assert "1 new" in capsys.readouterr().out


def test_new_orders_are_queued_for_omni_once(magento: MagentoSimulator) -> None:
    simple(magento)
    sync_magento()
    magento.advance_clock(60)
    sync_magento()
    assert Operation.objects.filter(kind="omni.push_order").count() == 1


def test_a_sync_with_a_time_budget_stops_between_pages_and_the_next_one_continues(
    magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    for _ in range(7):
        simple(magento)
        magento.advance_clock(60)
    report = sync_magento(seconds=0)  # out of time at once: each stream stops after a page
    assert report.pages == 2 and report.stopped == ["new_orders", "changed_orders"]
    assert str(report).endswith(
        "out of time in new_orders, changed_orders (the next run continues)"
    )
    assert Order.objects.count() == 2
    # Each next run reads the 5-minute overlap again, then goes past the cursor before stopping.
    cursors = []
    for _ in range(3):
        sync_magento(seconds=0)
        cursors.append(SyncCursor.objects.get(name="new_orders").value.strftime("%H:%M"))
    assert cursors == ["09:03", "09:05", "09:06"]
    assert set(Order.objects.values_list("entity_id", flat=True)) == expected_ids(magento)
