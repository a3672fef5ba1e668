"""Go-live, backfill and the reasons an order is not sent to Omni (contract 8.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from channel import outbox
from channel.models import BackfillRun, GoLive, NotSentReason, Operation, Order
from channel.services import backfill, dashboard, order_reads, orders
from channel.services.sync import sync_magento
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator

pytestmark = pytest.mark.django_db
GO_LIVE = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)  # the fake Magento's clock
EVERY_STATUS = [
    ("new", "pending"),
    ("processing", "processing"),
    ("holded", "holded"),
    ("pending_payment", "pending_payment"),
    ("payment_review", "payment_review"),
    ("complete", "complete"),
    ("canceled", "canceled"),
    ("closed", "closed"),
]


@pytest.fixture
def live(settings) -> datetime:
    """The proxy went live at the fake Magento's clock, without SYNC_START."""
    settings.SYNC_START = ""
    GoLive.objects.all().delete()
    GoLive.objects.create(at=GO_LIVE)
    return GO_LIVE


def two_years_of_orders(sim: MagentoSimulator) -> list[dict]:
    """An order in every status every 30 days for two years before go-live."""
    made = []
    for month in range(24):
        when = GO_LIVE - timedelta(days=730 - 30 * month, hours=month % 5)
        for state, status in EVERY_STATUS:
            made.append(sim.add_order(state=state, status=status, created_at=when))
    return made


def intake_and_push() -> None:
    sync_magento()
    outbox.run_due()


def codes_at_omni(omni: OmniSimulator) -> set[str]:
    return set(omni.orders)


def test_the_first_migrate_stores_the_go_live_moment() -> None:
    assert GoLive.objects.count() == 1  # the test database was migrated
    assert GoLive.objects.get().at <= datetime.now(UTC)


def test_a_shop_with_two_years_of_orders_goes_live_and_nothing_older_reaches_omni(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    old = two_years_of_orders(magento)
    magento.advance_clock(60)
    new = [magento.add_order(), magento.add_order(state="processing", status="processing")]
    intake_and_push()
    assert codes_at_omni(omni) == {o["increment_id"] for o in new}
    assert set(Order.objects.values_list("entity_id", flat=True)) == {o["entity_id"] for o in new}
    # Old orders are edited after go-live while in a "new" status: still not adopted.
    magento.advance_clock(60)
    for order in old:
        if order["state"] in ("new", "processing"):
            magento.add_comment(order["entity_id"], "customer called")
    pending = [o for o in old if o["status"] == "pending"]
    magento.hold(pending[0]["entity_id"])
    magento.unhold(next(o for o in old if o["state"] == "holded")["entity_id"])
    magento.advance_clock(60)
    report = sync_magento()
    outbox.run_due()
    assert report.before_go_live >= 48 and "before go-live left alone" in str(report)
    assert codes_at_omni(omni) == {o["increment_id"] for o in new}
    assert Order.objects.count() == 2


def test_an_old_order_omni_asks_for_is_mirrored_but_not_sent(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    old = magento.add_order(created_at=GO_LIVE - timedelta(days=3))
    order, _ = order_reads.order_fresh(old["increment_id"])
    outbox.run_due()
    assert order.not_sent_reason == NotSentReason.BEFORE_GO_LIVE and omni.orders == {}
    assert order.events.filter(action="order.not_pushed").exists()


def test_sync_start_overrides_the_go_live_moment(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    settings.SYNC_START = "2026-01-01 00:00:00"
    older = magento.add_order(created_at="2025-12-31 23:59:59")
    taken = magento.add_order(created_at="2026-01-01 00:00:00")
    intake_and_push()
    assert codes_at_omni(omni) == {taken["increment_id"]}
    assert not Order.objects.filter(entity_id=older["entity_id"]).exists()


def test_the_backfill_dry_run_lists_exactly_what_the_backfill_then_pushes(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    old = two_years_of_orders(magento)
    virtual = magento.add_order(
        [{"type": "virtual", "sku": "GIFT", "price": 5}], created_at="2025-09-01 10:00:00"
    )
    intake_and_push()
    assert omni.orders == {}
    since = datetime(2025, 6, 1, tzinfo=UTC)
    dry = backfill.backfill(since=since, dry_run=True)
    outbox.run_due()
    assert omni.orders == {} and not Operation.objects.exists() and not Order.objects.exists()
    wanted = {
        o["increment_id"]
        for o in old
        if o["status"] in ("pending", "processing", "holded") and o["created_at"] >= "2025-06-01"
    }
    assert set(dry.codes) == wanted and len(dry.codes) == len(wanted) > 0
    assert virtual["increment_id"] not in dry.codes
    assert dry.statuses == {
        "pending": len(wanted) // 3,
        "processing": len(wanted) // 3,
        "holded": len(wanted) // 3,
    }
    assert dry.oldest is not None and dry.oldest >= since
    real = backfill.backfill(since=since)
    outbox.run_due()
    assert set(real.codes) == set(dry.codes) == codes_at_omni(omni)
    run = BackfillRun.objects.get(pk=real.run.pk)
    assert (run.state, run.pushed, run.read) == ("done", len(wanted), real.run.read)
    assert run.skipped == run.read - run.pushed and run.read == dry.run.read
    # Taken on purpose: later changes are followed; a second backfill pushes nothing again.
    assert backfill.backfill(since=since).codes == []
    assert Operation.objects.filter(kind=orders.PUSH_ORDER).count() == len(wanted)


def test_the_backfill_command_shows_progress_and_the_dry_run_list(
    live: datetime, magento: MagentoSimulator, capsys, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 5
    made = [magento.add_order(created_at=f"2025-11-{day:02d} 10:00:00") for day in range(1, 13)]
    call_command(
        "sync_magento",
        "--backfill",
        "--since",
        "2025-11-02",
        "--until",
        "2025-11-11 23:00:00",
        "--dry-run",
    )
    out = capsys.readouterr().out
    assert "read 5/10, would push 5, skipped 0" in out and "orders/min" in out
    assert (
        "would push 10 orders (pending: 10); oldest 2025-11-02 10:00:00, newest 2025-11-11" in out
    )
    assert all(o["increment_id"] in out for o in made[1:11]) and made[0]["increment_id"] not in out
    assert not Operation.objects.exists()
    run = BackfillRun.objects.get()
    assert (run.dry_run, run.total, run.read, run.pushed, run.seconds_left) == (True, 10, 10, 10, 0)
    assert made[1]["increment_id"] in run.summary


def test_the_backfill_command_refuses_bad_dates() -> None:
    with pytest.raises(CommandError, match="--since"):
        call_command("sync_magento", "--backfill")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("sync_magento", "--backfill", "--since", "yesterday")
    with pytest.raises(CommandError, match="go with --backfill"):
        call_command("sync_magento", "--dry-run")


def test_a_backfill_takes_an_old_order_already_mirrored_for_omni(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    old = magento.add_order(created_at=GO_LIVE - timedelta(days=3))
    order_reads.order_fresh(old["increment_id"])
    result = backfill.backfill(since=GO_LIVE - timedelta(days=10))
    outbox.run_due()
    assert result.codes == [old["increment_id"]] and codes_at_omni(omni) == {old["increment_id"]}
    order = Order.objects.get(entity_id=old["entity_id"])
    assert order.not_sent_reason == "" and order.backfill_run_id == result.run.pk


def test_a_missing_cod_method_gives_the_reason_and_the_dashboard_count(
    magento: MagentoSimulator, omni: OmniSimulator, settings, admin_client
) -> None:
    settings.MAGENTO_PREPAID_METHODS = ["checkmo", "razorpay"]
    cod = magento.add_order(payment_method="msp_cashondelivery")
    magento.add_order(payment_method="razorpay")
    intake_and_push()
    order = Order.objects.get(entity_id=cod["entity_id"])
    assert order.not_sent_reason == NotSentReason.PAYMENT and len(omni.orders) == 1
    assert order.events.get(action="order.not_pushed").message == (
        "Not sent to Omni: Payment method not configured (COD or prepaid)"
    )
    rows = dashboard.not_sent()
    assert [(r.label, r.count) for r in rows] == [(NotSentReason.PAYMENT.label, 1)]
    assert "not_sent_reason__exact=payment" in rows[0].url
    new = {r.label: r.count for r in dashboard.lifecycle() if r.label.startswith("New")}
    assert new["New: not sent to Omni, with a reason (table above)"] == 1
    assert new["New: sent to Omni, waiting for acknowledgement"] == 1
    page = admin_client.get("/admin/").content.decode()
    assert "Not sent to Omni" in page and rows[0].url.replace("&", "&amp;") in page
    listed = admin_client.get(rows[0].url).content.decode()
    assert cod["increment_id"] in listed
    # The merchant adds the method; support asks for the order to be decided again.
    settings.MAGENTO_COD_METHODS = ["cashondelivery", "msp_cashondelivery"]
    assert orders.order_reconsider(order) is True
    outbox.run_due()
    assert omni.orders[cod["increment_id"]]["paymentMethod"] == "COD"
    assert Order.objects.get(pk=order.pk).not_sent_reason == ""
    assert dashboard.not_sent() == []


@pytest.mark.parametrize(
    ("kwargs", "setup", "reason"),
    [
        ({"state": "pending_payment", "status": "pending_payment"}, {}, NotSentReason.STATUS),
        ({"lines": [{"type": "virtual", "sku": "V", "price": 1}]}, {}, NotSentReason.VIRTUAL_ONLY),
        ({"currency": "USD"}, {"MAGENTO_STORE_CURRENCIES": {"1": "INR"}}, NotSentReason.CURRENCY),
        ({}, {"OMNI_PUSH_ORDERS": False}, NotSentReason.PUSH_OFF),
    ],
)
def test_every_order_not_sent_carries_its_reason(
    magento: MagentoSimulator, omni: OmniSimulator, settings, kwargs, setup, reason
) -> None:
    for name, value in setup.items():
        setattr(settings, name, value)
    made = magento.add_order(**kwargs)
    intake_and_push()
    assert Order.objects.get(entity_id=made["entity_id"]).not_sent_reason == reason
    assert omni.orders == {}


def test_a_mapping_error_is_a_reason(magento: MagentoSimulator, omni: OmniSimulator) -> None:
    made = magento.add_order()
    magento.orders[made["entity_id"]]["items"][0]["qty_ordered"] = 1.5
    intake_and_push()
    assert Order.objects.get().not_sent_reason == NotSentReason.MAPPING_ERROR
    assert omni.orders == {}


def test_an_order_waiting_for_payment_is_sent_once_paid(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    made = magento.add_order(state="pending_payment", status="pending_payment")
    intake_and_push()
    assert Order.objects.get().not_sent_reason == NotSentReason.STATUS
    magento.advance_clock(60)
    magento.orders[made["entity_id"]].update(
        state="processing", status="processing", updated_at=magento.stamp()
    )
    intake_and_push()
    assert Order.objects.get().not_sent_reason == "" and set(omni.orders) == {made["increment_id"]}


def test_per_store_location_and_store_filter(
    magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    settings.MAGENTO_STORE_IDS = ["2", "3"]
    settings.MAGENTO_STORE_LOCATIONS = {"2": "WH-NORTH"}
    settings.OMNI_LOCATION_CODE = "WH1"
    magento.add_order(store_id=1)
    north = magento.add_order(store_id=2)
    other = magento.add_order(store_id=3)
    intake_and_push()
    assert set(omni.orders) == {north["increment_id"], other["increment_id"]}
    assert omni.orders[north["increment_id"]]["locationCode"] == "WH-NORTH"
    assert omni.orders[other["increment_id"]]["locationCode"] == "WH1"
    for search in magento.calls("GET", r"/V1/orders$"):
        fields = {k[: -len("[field]")]: v for k, v in search.query.items() if k.endswith("[field]")}
        group = next(k for k, v in fields.items() if v == "store_id")
        assert search.query[f"{group}[value]"] == "2,3"
        assert search.query[f"{group}[condition_type]"] == "in"


def test_the_store_code_all_is_used_on_every_call(
    magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    from channel.integrations import http
    from simulators.base import SimulatorAdapter

    settings.MAGENTO_BASE_URL = "http://magento-all.test/rest/all"
    http.mount("http://magento-all.test", SimulatorAdapter(magento))
    magento.add_order()
    intake_and_push()
    assert len(omni.orders) == 1
    assert magento.requests and all(r.path.startswith("/rest/all/V1/") for r in magento.requests)


def test_healthz_reports_missing_settings_and_a_stale_intake(settings) -> None:
    from channel.services import health

    health.beat()
    settings.MAGENTO_BASE_URL = ""
    settings.OMNI_AUTH_PASSWORD = ""
    body = Client().get("/healthz").json()
    assert body["healthy"] is False
    assert body["reasons"] == [
        "Magento is not configured: MAGENTO_BASE_URL is empty",
        "Omni is not configured: OMNI_AUTH_PASSWORD",
    ]
    settings.MAGENTO_BASE_URL = "http://shop.test/rest/default"
    settings.OMNI_AUTH_PASSWORD = "x"
    settings.MAGENTO_AUTH_MODE = "ims"
    assert "IMS_CLIENT_ID, IMS_CLIENT_SECRET, IMS_ORG_ID" in health.settings_problems()[0]
    settings.MAGENTO_AUTH_MODE = "bearer"
    settings.MAGENTO_BASE_URL = "http://shop.test/index.php"
    assert "must end in /rest/<store code>" in health.settings_problems()[0]
    settings.MAGENTO_BASE_URL = "http://shop.test/rest/all"
    assert health.settings_problems() == []
    GoLive.objects.update(at=datetime.now(UTC) - timedelta(hours=2))
    settings.HEALTH_SYNC_MAX_AGE_MINUTES = 30
    assert (
        health.intake_stale() == "order intake has not succeeded since go-live (30 minutes allowed)"
    )
    outbox.touch_flow("intake", success=True)
    assert health.intake_stale() == ""
    assert Client().get("/healthz").json()["healthy"] is True


def test_omni_asking_for_an_order_of_another_store_finds_none(
    magento: MagentoSimulator, settings
) -> None:
    from channel.services.errors import NotFound

    settings.MAGENTO_STORE_IDS = ["2"]
    other = magento.add_order(store_id=1)
    with pytest.raises(NotFound):
        order_reads.order_fresh(other["increment_id"])
    mine = magento.add_order(store_id=2)
    assert order_reads.order_fresh(mine["increment_id"])[0].store_id == 2


def test_a_backfill_stopped_by_magento_is_run_again_and_pushes_nothing_twice(
    live: datetime, magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    made = [magento.add_order(created_at=f"2025-12-{day:02d} 08:00:00") for day in range(1, 6)]
    magento.inject("GET", r"entity_id&.*condition_type\]=gt", "status", status=503)
    first = backfill.backfill(since=datetime(2025, 12, 1, tzinfo=UTC))
    assert (first.run.state, first.run.pushed, first.run.read) == ("failed", 2, 2)
    assert first.run.error and first.run.finished_at is not None
    second = backfill.backfill(since=datetime(2025, 12, 1, tzinfo=UTC))
    outbox.run_due()
    assert second.run.state == "done" and second.run.skipped == 2 and second.run.pushed == 3
    assert codes_at_omni(omni) == {o["increment_id"] for o in made}
    assert Operation.objects.filter(kind=orders.PUSH_ORDER).count() == 5
