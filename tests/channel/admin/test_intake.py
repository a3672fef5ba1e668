"""Admin: the go-live moment, backfill runs, orders not sent to Omni and deciding again."""

from __future__ import annotations

import pytest
from django.test import Client

from channel.models import BackfillRun, GoLive, NotSentReason, Order
from channel.services.sync import sync_magento
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
ORDERS = "/admin/channel/order/"


def test_admin_shows_the_go_live_moment_and_backfill_progress(support: Client, settings) -> None:
    settings.SYNC_START = ""
    GoLive.objects.update(at="2026-03-01T10:00:00Z")
    assert "2026-03-01 10:00:00 UTC" in support.get("/admin/").content.decode()
    assert "2026-03-01 10:00:00 UTC" in support.get("/admin/channel/golive/").content.decode()
    BackfillRun.objects.create(since="2025-01-01T00:00:00Z", read=300, pushed=280, skipped=20)
    page = support.get("/admin/channel/backfillrun/").content.decode()
    assert ">300<" in page and ">280<" in page and ">20<" in page


def test_support_decides_again_after_a_settings_fix_and_an_auditor_cannot(
    support: Client, auditor: Client, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PREPAID_METHODS = ["checkmo"]
    magento.add_order(payment_method="phonepe")
    sync_magento()
    order = Order.objects.get()
    assert order.not_sent_reason == NotSentReason.PAYMENT
    assert "reconsider_sending" not in auditor.get(ORDERS).content.decode()
    refused = auditor.post(
        ORDERS, {"action": "reconsider_sending", "_selected_action": [order.pk]}, follow=True
    )
    assert refused.status_code == 200 and not order.operations.exists()
    settings.MAGENTO_PREPAID_METHODS = ["checkmo", "phonepe"]
    answer = support.post(
        ORDERS, {"action": "reconsider_sending", "_selected_action": [order.pk]}, follow=True
    )
    assert "1 order(s) sent to Omni or on their way." in answer.content.decode()
    assert order.operations.filter(kind="omni.push_order").count() == 1
