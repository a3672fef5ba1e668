"""Order intake: pull new and changed orders from Magento, page by page (contract 2, 8.4).

New orders: `created_at` from the cursor; changes: `updated_at` from the cursor, any status. Pages
follow a moving cursor, never a page number: each asks for the orders after the last one stored,
`(field, entity_id) > (T, X)`, as the filter groups `field >= T` AND (`field > T` OR
`entity_id > X`), sorted by both ascending. An order that changes between two page requests moves
behind the cursor and is read again later; nothing shifts under the pager, so nothing is skipped.
The cursor moves only after its page is stored; every run first reads the overlap
(`SYNC_OVERLAP_MINUTES`) again, and upserts are keyed on entity_id, so that never duplicates.

Orders Magento created before the intake start (`SYNC_START`, else the go-live moment) are never
adopted, however often they change; `backfill` takes them on purpose.
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
from channel.services import audit, golive, orders

log = logging.getLogger(__name__)
NEW_ORDERS = "new_orders"
CHANGED_ORDERS = "changed_orders"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CLOSED_STATES = ("complete", "closed", "canceled")  # an unknown order in these is not adopted
Key = tuple[datetime, int]  # the page cursor: (created_at or updated_at, entity_id)


@dataclass
class SyncReport:
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    before_go_live: int = 0  # unknown orders created before the intake start, left alone
    errors: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=timezone.now)
    stopped: list[str] = field(default_factory=list)  # streams left for the next run (time)

    def __str__(self) -> str:
        text = (
            f"{self.pages} pages, {self.seen} orders seen, "
            f"{self.created} new, {self.updated} changed"
        )
        if self.before_go_live:
            text += f", {self.before_go_live} created before go-live left alone"
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
    start = golive.intake_start()
    try:
        pull(NEW_ORDERS, "created_at", client, report, start, halfway)
        pull(CHANGED_ORDERS, "updated_at", client, report, start, end)
    except MagentoError as exc:
        report.errors.append(exc.message)
        outbox.touch_flow(Flow.INTAKE, success=False, error=exc.message)
        log.warning("sync stopped: %s", exc.message)
        return report
    outbox.touch_flow(Flow.INTAKE, success=True)
    return report


def _first_key(cursor: SyncCursor | None, start: datetime) -> Key:
    if cursor is None:
        return start, 0
    if settings.SYNC_OVERLAP_MINUTES:
        return cursor.value - timedelta(minutes=settings.SYNC_OVERLAP_MINUTES), 0
    return cursor.value, cursor.entity_id


def store_filter() -> list[list[SearchFilter]]:
    """The store ids intake is restricted to (MAGENTO_STORE_IDS), as a filter group."""
    ids = settings.MAGENTO_STORE_IDS
    return [[SearchFilter("store_id", ",".join(ids), "in")]] if ids else []


def after_key(cursor_field: str, key: Key) -> list[list[SearchFilter]]:
    """Orders after `key`: `field >= T` AND (`field > T` OR `entity_id > X`)."""
    since, last_id = key
    groups = [[SearchFilter(cursor_field, to_magento(since), "gteq")]]
    if last_id:
        groups.append(
            [
                SearchFilter(cursor_field, to_magento(since), "gt"),
                SearchFilter("entity_id", last_id, "gt"),
            ]
        )
    return groups


def page_params(
    cursor_field: str, key: Key, extra: list[list[SearchFilter]]
) -> list[tuple[str, str]]:
    """One page after `key`, sorted by the cursor field then entity_id (both explicitly)."""
    return search_params(
        after_key(cursor_field, key) + extra + store_filter(),
        sort=[(cursor_field, "ASC"), ("entity_id", "ASC")],
        page_size=settings.MAGENTO_PAGE_SIZE,
        page=1,
    )


def last_key(items: list[dict], cursor_field: str) -> Key:
    """The greatest (field, entity_id) of a page (every item has the field: the search filters
    on it)."""
    return max(
        (cast(datetime, parse_magento(item[cursor_field])), int(item["entity_id"]))
        for item in items
    )


def is_last_page(items: list[dict], result: dict) -> bool:
    """A short page, or one holding every order left after the cursor (total_count counts what
    matches this page's filter: the rest of the stream)."""
    total = int(result.get("total_count") or 0)
    return len(items) < settings.MAGENTO_PAGE_SIZE or total <= len(items)


def pull(
    name: str,
    cursor_field: str,
    client: MagentoClient,
    report: SyncReport,
    start: datetime,
    until: float | None = None,
) -> None:
    """Page through one stream. Out of time (`until`), it stops between pages, but only once its
    cursor has moved past where it started: the overlap is read again by every run, so a run
    that stopped inside it would never get further."""
    cursor = SyncCursor.objects.filter(name=name).first()
    floor = cursor.value if cursor else None
    key = _first_key(cursor, start)
    moved = False
    while True:
        if moved and until is not None and time.monotonic() >= until:
            report.stopped.append(name)  # the next run continues from the cursor
            return
        result = client.search_orders(page_params(cursor_field, key, []))
        items = result.get("items") or []
        if not items:
            return
        newest = last_key(items, cursor_field)
        if newest <= key:
            return  # Magento ignored the cursor (an old version repeating a page): stop
        report.pages += 1
        _store_page(items, start, report=report)
        _advance(name, newest)
        key = newest
        moved = moved or floor is None or newest[0] > floor
        if is_last_page(items, result):
            return


def adoptable(raw: dict, start: datetime) -> bool:
    """An order not mirrored yet is taken when created since the intake start and still open."""
    created = parse_magento(raw.get("created_at"))
    return created is not None and created >= start and raw.get("state") not in CLOSED_STATES


def _store_page(items: list[dict], start: datetime, *, report: SyncReport) -> None:
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
        if entity_id in known:
            if not _stored_this_run(known[entity_id], raw, report):
                changed.append(raw)
        elif adoptable(raw, start):
            new.append(raw)
        elif raw.get("state") not in CLOSED_STATES:
            report.before_go_live += 1
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


def _advance(name: str, key: Key) -> None:
    value, entity_id = key
    cursor, created = SyncCursor.objects.get_or_create(
        name=name, defaults={"value": value, "entity_id": entity_id}
    )
    if not created and key > (cursor.value, cursor.entity_id):
        cursor.value, cursor.entity_id = key
        cursor.save(update_fields=["value", "entity_id", "updated_at"])


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
