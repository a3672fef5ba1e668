"""The stock ledger after the push: reconciliation, stuck rows, the admin, push again."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from channel import outbox
from channel.models import AuditEvent, Operation, StockLevel, StockState
from channel.services import inventory
from channel.services.inventory import INVENTORY_PUSH, StockLine
from channel.services.roles import ensure_roles
from channel.services.schedules import ensure_schedules
from tests.support.inventory import magento_sim, source_qty, stock_of

pytestmark = pytest.mark.django_db
__all__ = ["magento_sim"]


def push(location: str, *lines: tuple[str, int], received_at=None) -> inventory.PushResult:
    return inventory.inventory_update(
        location_code=location,
        lines=[StockLine(sku, qty) for sku, qty in lines],
        received_at=received_at or timezone.now(),
        deadline=time.monotonic() + 5,
    )


def level(sku: str, location: str = "WH1") -> StockLevel:
    return StockLevel.objects.get(sku=sku, location_code=location)


# --- reconciliation -------------------------------------------------------------------------------
def test_it_stores_the_drift_between_omni_and_magento_on_the_ledger(magento_sim) -> None:
    push("WH1", ("SKU-1", 40), ("SKU-2", 5))
    magento_sim.add_order([{"sku": "SKU-1", "qty": 2}])  # reserved; Omni does not know it yet
    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted, report.missing, report.errors) == (2, ["SKU-1"], [], [])
    one, two = level("SKU-1"), level("SKU-2")
    assert (one.observed_quantity, one.drift) == (38, -2)
    assert (two.observed_quantity, two.drift) == (5, 0)
    assert one.observed_at is not None
    event = AuditEvent.objects.get(action="stock.reconciled")
    assert event.data == {"checked": 2, "drifted": ["SKU-1"], "missing": [], "errors": []}


def test_it_reads_magento_on_several_threads_and_records_every_read(
    magento_sim, settings, monkeypatch
) -> None:
    """A catalog of 50,000 SKUs is 1,000 salable-quantity reads of 50: they run
    INVENTORY_CONCURRENCY at a time, as the push's writes do, and each read has its record."""
    import threading

    from channel.integrations.magento import MagentoClient
    from channel.models import CallRecord

    settings.INVENTORY_CONCURRENCY = 4
    monkeypatch.setattr(inventory, "RECONCILE_BATCH", 3)  # 12 SKUs: 4 reads
    for n in range(4, 13):
        magento_sim.add_product(f"SKU-{n}", qty=0)
    push("WH1", *[(f"SKU-{n}", n) for n in range(1, 13)])
    threads: set[str] = set()
    original = MagentoClient.salable_quantities

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        time.sleep(0.01)  # so that the pool's threads overlap
        return original(*args, **kwargs)

    before = CallRecord.objects.count()
    monkeypatch.setattr(MagentoClient, "salable_quantities", spy)
    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted, report.errors) == (12, [], [])
    assert len(threads) > 1 and all(name.startswith("reconcile") for name in threads)
    assert CallRecord.objects.count() - before == 4


def test_it_only_checks_skus_pushed_recently(magento_sim) -> None:
    push("WH1", ("SKU-1", 40), received_at=timezone.now() - timedelta(hours=30))
    push("WH1", ("SKU-2", 5))
    StockLevel.objects.filter(sku="SKU-1").update(state=StockState.SYNCED)
    assert inventory.stock_reconcile(hours=24).checked == 1
    assert level("SKU-1").observed_at is None


def test_it_reports_a_sku_that_is_gone_from_magento(magento_sim) -> None:
    push("WH1", ("SKU-1", 4))
    del magento_sim.products["SKU-1"]
    report = inventory.stock_reconcile()
    assert report.missing == ["SKU-1"]
    assert (level("SKU-1").observed_quantity, level("SKU-1").drift) == (None, None)


def test_it_reconciles_msi_source_items_in_batches(magento_sim, settings) -> None:
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "wh1"}
    magento_sim.add_stock(1, ["default", "wh1"], website="base")
    magento_sim.input_limiting = True  # default pageSize 20: the client asks for a full page
    skus = [f"M-{n:02d}" for n in range(30)]
    for sku in skus:
        magento_sim.add_product(sku, qty=0)
    push("WH1", *[(sku, 10) for sku in skus])
    magento_sim.set_stock("M-07", 9, source_code="wh1")
    assert source_qty(magento_sim, "M-07", "wh1") == 9
    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted) == (30, ["M-07"])
    assert level("M-07", "WH1").drift == -1


def test_it_keeps_going_when_magento_fails_for_one_batch(magento_sim, monkeypatch) -> None:
    monkeypatch.setattr(inventory, "RECONCILE_BATCH", 1)
    push("WH1", ("SKU-1", 4), ("SKU-2", 5))
    magento_sim.inject("GET", r"export-stock-salable-qty", "status", times=1, status=503)
    report = inventory.stock_reconcile()
    assert report.checked == 1 and len(report.errors) == 1
    assert level("SKU-2").observed_quantity == 5 and level("SKU-1").observed_at is None


def test_it_requeues_rows_a_dead_request_left_unwritten(magento_sim) -> None:
    long_ago = timezone.now() - timedelta(minutes=11)
    inventory.stock_record(location_code="WH1", lines=[StockLine("SKU-1", 3)], received_at=long_ago)
    report = inventory.stock_reconcile()
    assert report.requeued == 1
    assert inventory.stock_requeue_stuck() == 0  # the waiting write is not queued twice
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (3, True)
    assert level("SKU-1").state == StockState.SYNCED


def test_the_command_prints_the_report(magento_sim) -> None:
    push("WH1", ("SKU-1", 40))
    magento_sim.set_stock("SKU-1", 41)
    out = StringIO()
    call_command("reconcile_inventory", "--hours", "1", stdout=out)
    assert out.getvalue().splitlines() == [
        "checked 1 SKU(s): 1 drift, 0 missing in Magento, 0 error(s); 0 requeued",
        "drift: SKU-1",
    ]


def test_the_reconciliation_is_scheduled(settings) -> None:
    ensure_schedules()
    schedule = Schedule.objects.get(name="reconcile-inventory")
    assert (schedule.func, schedule.minutes) == ("channel.tasks.reconcile_inventory", 30)
    assert ensure_schedules() == []


# --- admin ----------------------------------------------------------------------------------------
def login(username: str, group: str | None = None, superuser: bool = False) -> Client:
    ensure_roles()
    user = User.objects.create_user(username, is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_the_ledger_lists_failures_and_unknown_skus(magento_sim) -> None:
    push("WH1", ("SKU-1", 4), ("NOPE-1", 5))
    client = login("ada", "auditor")
    page = client.get("/admin/channel/stocklevel/?problem=unknown").content.decode()
    assert "NOPE-1" in page and "SKU-1</a>" not in page
    page = client.get("/admin/channel/stocklevel/").content.decode()
    assert "SKU-1" in page and "push_again" not in page  # an auditor only looks
    row = level("NOPE-1")
    assert client.get(f"/admin/channel/stocklevel/{row.pk}/change/").status_code == 200


def test_the_ledger_shows_drift_and_rows_where_magento_is_behind(magento_sim) -> None:
    magento_sim.inject("PUT", r"/products/SKU-2/stockItems", "status", times=1, status=503)
    push("WH1", ("SKU-1", 4), ("SKU-2", 5), ("SKU-3", 6))
    magento_sim.set_stock("SKU-1", 3)
    inventory.stock_reconcile()
    client = login("root", superuser=True)
    drift = client.get("/admin/channel/stocklevel/?problem=drift").content.decode()
    assert "SKU-1</a>" in drift and "SKU-3</a>" not in drift
    behind = client.get("/admin/channel/stocklevel/?problem=behind").content.decode()
    assert "SKU-2</a>" in behind and "SKU-1</a>" not in behind and "SKU-3</a>" not in behind


def test_support_pushes_a_row_again(magento_sim) -> None:
    push("WH1", ("SKU-1", 4))
    magento_sim.set_stock("SKU-1", 1)
    row = level("SKU-1")
    client = login("sam", "support")
    response = client.post(
        "/admin/channel/stocklevel/",
        {"action": "push_again", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "Queued 1 SKU(s) to be written to Magento again" in response.content.decode()
    operation = Operation.objects.get(kind=INVENTORY_PUSH)
    assert operation.target == f"stock:{row.pk}"
    assert AuditEvent.objects.filter(action="stock.push_again", actor="sam").exists()
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (4, True)


def test_support_edits_the_location_to_source_mapping() -> None:
    client = login("sam", "support")
    response = client.post(
        "/admin/channel/stocksource/add/", {"location_code": "WH1", "source_code": "wh1"}
    )
    assert response.status_code == 302
    assert inventory.source_for("WH1") == "wh1"
