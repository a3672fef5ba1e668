"""Go-live and what is sent to Omni: the moment intake starts from, and why an order is not sent.

Contract 8.4. Orders created before the go-live moment (or `SYNC_START`) are never pushed unless a
backfill takes them; an order mirrored but not pushed carries one `NotSentReason`.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from channel.lib.timefmt import parse_magento
from channel.models import GoLive, NotSentReason, Order


def go_live_moment() -> datetime:
    """When the proxy went live (stored by the first migrate; now, if the row is missing)."""
    row = GoLive.objects.order_by("pk").first()
    if row is None:
        row = GoLive.objects.create(at=timezone.now())
    return row.at


def intake_start() -> datetime:
    """The oldest Magento created_at the intake takes by itself: `SYNC_START`, else go-live."""
    moment = parse_magento(settings.SYNC_START) or go_live_moment()
    return moment.replace(microsecond=0)  # Magento's times have whole seconds


def payment_configured(method: str) -> bool:
    """Whether the proxy knows how Omni should treat this payment method (COD or prepaid)."""
    if not settings.MAGENTO_PREPAID_METHODS:
        return True  # every method that is not COD is prepaid
    known = (
        settings.MAGENTO_COD_METHODS
        + settings.MAGENTO_PREPAID_METHODS
        + settings.MAGENTO_OFFLINE_PAYMENT_METHODS
    )
    return method in known


def currency_ok(store_id: int | None, currency: str) -> bool:
    wanted = settings.MAGENTO_STORE_CURRENCIES.get(str(store_id))
    return wanted is None or wanted.upper() == currency.upper()


def not_sent_reason(order: Order, *, has_lines: bool, start: datetime | None = None) -> str:
    """Why this order may not be pushed to Omni ("" when it may). `start`: `intake_start()`,
    when the caller already has it."""
    if not settings.OMNI_PUSH_ORDERS:
        return NotSentReason.PUSH_OFF
    if order.backfill_run_id is None and order.magento_created_at < (start or intake_start()):
        return NotSentReason.BEFORE_GO_LIVE
    if order.magento_status not in settings.MAGENTO_NEW_ORDER_STATUSES:
        return NotSentReason.STATUS
    if not has_lines:
        return NotSentReason.VIRTUAL_ONLY
    if order.data_errors:
        return NotSentReason.MAPPING_ERROR
    if not payment_configured(order.payment_method):
        return NotSentReason.PAYMENT
    if not currency_ok(order.store_id, order.currency):
        return NotSentReason.CURRENCY
    return ""


def location_of(order: Order) -> str:
    """The Omni location of an order's store (MAGENTO_STORE_LOCATIONS), else OMNI_LOCATION_CODE."""
    return settings.MAGENTO_STORE_LOCATIONS.get(str(order.store_id), settings.OMNI_LOCATION_CODE)
