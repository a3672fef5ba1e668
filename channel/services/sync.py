"""Order intake: pull new and changed orders from Magento, page by page.

New orders: `created_at >= cursor - overlap` in the configured statuses; changes: `updated_at >=
cursor - overlap` in any status. Pages are sorted by the cursor field then entity_id; paging stops
on a short page, past `total_count`, or on a page that repeats the previous one (Magento <= 2.3
repeats the last page). A cursor moves only after its page is stored; upserts are keyed on
entity_id, so the overlap never duplicates an order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channel import outbox
from channel.integrations.magento import MagentoClient, MagentoError, SearchFilter, search_params
from channel.lib.timefmt import parse_magento, to_magento
from channel.models import Flow, FlowState, Order, SyncCursor
from channel.services import audit, orders

log = logging.getLogger(__name__)
NEW_ORDERS = "new_orders"
CHANGED_ORDERS = "changed_orders"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class SyncReport:
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=timezone.now)
    stopped: list[str] = field(default_factory=list)  # streams left for the next run (time)

    def __str__(self) -> str:
        text = (
            f"{self.pages} pages, {self.seen} orders seen, "
            f"{self.created} new, {self.updated} changed"
        )
        if self.stopped:
            text += f", out of time in {', '.join(self.stopped)} (the next run continues)"
        return text + (f", errors: {'; '.join(self.errors)}" if self.errors else "")


def sync_magento(
    *, client: MagentoClient | None = None, seconds: float | None = None
) -> SyncReport:
    """Pull new orders, then changes. A Magento failure leaves the cursor where it was.

    `seconds` bounds the run (the schedule's task must end before its timeout kills it mid-page):
    new orders get the first half, changes the rest; each stream still gets past its cursor, and
    the next run continues from there."""
    report = SyncReport()
    if FlowState.objects.filter(flow=Flow.INTAKE, paused=True).exists():
        report.errors.append("order intake is paused")
        return report
    client = client or MagentoClient()
    started = time.monotonic()
    halfway = None if seconds is None else started + seconds / 2
    end = None if seconds is None else started + seconds
    try:
        pull(NEW_ORDERS, "created_at", settings.MAGENTO_NEW_ORDER_STATUSES, client, report, halfway)
        pull(CHANGED_ORDERS, "updated_at", None, client, report, end)
    except MagentoError as exc:
        report.errors.append(exc.message)
        outbox.touch_flow(Flow.INTAKE, success=False, error=exc.message)
        log.warning("sync stopped: %s", exc.message)
        return report
    outbox.touch_flow(Flow.INTAKE, success=True)
    return report


def _start(cursor: SyncCursor | None) -> datetime:
    if cursor:
        return cursor.value - timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
    return parse_magento(settings.SYNC_START) or EPOCH


def _filters(cursor_field: str, since: datetime, statuses: list[str] | None) -> list:
    groups = [[SearchFilter(cursor_field, to_magento(since), "gteq")]]
    if statuses:
        groups.append([SearchFilter("status", ",".join(statuses), "in")])
    if settings.MAGENTO_STORE_ID:
        groups.append([SearchFilter("store_id", settings.MAGENTO_STORE_ID)])
    return groups


def pull(
    name: str,
    cursor_field: str,
    statuses: list[str] | None,
    client: MagentoClient,
    report: SyncReport,
    until: float | None = None,
) -> None:
    """Page through one stream. Out of time (`until`), it stops between pages, but only once its
    cursor has moved past where it started: the overlap is read again by every run, so a run
    that stopped inside it would never get further."""
    cursor = SyncCursor.objects.filter(name=name).first()
    floor = cursor.value if cursor else None
    groups = _filters(cursor_field, _start(cursor), statuses)
    size = settings.MAGENTO_PAGE_SIZE
    previous_ids: list[int] = []
    page = 1
    moved = False
    while True:
        if moved and until is not None and time.monotonic() >= until:
            report.stopped.append(name)  # the next run continues from the cursor
            return
        params = search_params(
            groups, sort=[(cursor_field, "ASC"), ("entity_id", "ASC")], page_size=size, page=page
        )
        result = client.search_orders(params)
        items = result.get("items") or []
        ids = [int(item["entity_id"]) for item in items]
        if not items or ids == previous_ids:
            return
        report.pages += 1
        _store_page(items, cursor_field, only_known=statuses is None, report=report)
        # Every item has the cursor field: the search filters on it.
        newest = max(cast(datetime, parse_magento(item[cursor_field])) for item in items)
        _advance(name, newest)
        moved = moved or floor is None or newest > floor
        total = int(result.get("total_count") or 0)
        if len(items) < size or page * size >= total:
            return
        previous_ids = ids
        page += 1


def _store_page(
    items: list[dict], cursor_field: str, *, only_known: bool, report: SyncReport
) -> None:
    """Upsert a page in one transaction (one commit, not one per order)."""
    known = {
        entity_id: (updated_at, fetched_at)
        for entity_id, updated_at, fetched_at in Order.objects.filter(
            entity_id__in=[int(i["entity_id"]) for i in items]
        ).values_list("entity_id", "magento_updated_at", "fetched_at")
    }
    new, changed = [], []
    for raw in items:
        report.seen += 1
        entity_id = int(raw["entity_id"])
        is_new_status = raw.get("status") in settings.MAGENTO_NEW_ORDER_STATUSES
        if only_known and entity_id not in known and not is_new_status:
            continue
        if entity_id not in known:
            new.append(raw)
        elif not _stored_this_run(known[entity_id], raw, report):
            changed.append(raw)
    with transaction.atomic():
        results = [orders.order_upsert(raw=raw) for raw in changed] + _create(new)
    for result in results:
        report.created += int(result.created)
        report.updated += int(result.changed and not result.created)


def _create(raws: list[dict]) -> list[orders.UpsertResult]:
    """New orders in bulk; one way or another a concurrent writer got first: one at a time."""
    if not raws:
        return []
    try:
        with transaction.atomic():
            return orders.orders_create(raws=raws)
    except IntegrityError:
        return [orders.order_upsert(raw=raw) for raw in raws]


def _stored_this_run(stored: tuple[datetime, datetime], raw: dict, report: SyncReport) -> bool:
    """This run already stored this version (new orders also show up as changed ones)."""
    updated_at, fetched_at = stored
    version = parse_magento(raw.get("updated_at") or raw.get("created_at"))
    return fetched_at >= report.started_at and updated_at == version


def _advance(name: str, value: datetime) -> None:
    cursor, created = SyncCursor.objects.get_or_create(name=name, defaults={"value": value})
    if not created and value > cursor.value:
        cursor.value = value
        cursor.save(update_fields=["value", "updated_at"])


def refresh_order(order: Order, *, client: MagentoClient) -> Order:
    """Re-read one order from Magento into the mirror (raises MagentoError)."""
    raw = client.get_order(order.entity_id)
    return orders.order_upsert(raw=raw, known=order).order


@dataclass
class RepullReport:
    done: int = 0
    errors: list[str] = field(default_factory=list)  # "<order code>: <Magento's message>"


def orders_repull(*, selected: Iterable[Order], actor: str) -> RepullReport:
    """Re-read orders from Magento now (support's "re-pull"); one failure does not stop the rest."""
    report = RepullReport()
    for order in selected:
        try:
            refresh_order(order, client=MagentoClient(order_id=order.pk))
        except MagentoError as exc:
            report.errors.append(f"{order.order_code}: {exc.message}")
            continue
        audit.record(
            "order.repulled", order=order, actor=actor, message="Re-pulled from Magento by support"
        )
        report.done += 1
    return report
