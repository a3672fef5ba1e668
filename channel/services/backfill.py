"""Backfill: take orders created before go-live on purpose (`sync_magento --backfill`).

Reads Magento's orders in `MAGENTO_NEW_ORDER_STATUSES` created in [since, until] by the same moving
cursor as the intake (created_at, entity_id), and pushes to Omni each one that may be sent and was
not sent yet. The dry run decides the same way and pushes nothing: it lists what would be pushed.
Progress (read / pushed / skipped, rate, time left) is kept on a `BackfillRun` after every page.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channel.integrations.magento import MagentoClient, MagentoError, SearchFilter
from channel.lib.timefmt import parse_magento, to_magento
from channel.models import BackfillRun, BackfillState, Operation, Order
from channel.services import golive, mapping, orders, sync

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CODES_IN_SUMMARY = 200  # the admin's summary lists this many codes; the terminal lists them all


@dataclass
class BackfillResult:
    run: BackfillRun
    codes: list[str] = field(default_factory=list)  # pushed (or, in a dry run, would be)
    statuses: Counter[str] = field(default_factory=Counter)
    oldest: datetime | None = None
    newest: datetime | None = None

    def summary(self, limit: int | None = None) -> str:
        """Count, statuses, oldest, newest and the codes (the first `limit`)."""
        verb = "would push" if self.run.dry_run else "pushed"
        if not self.codes:
            return f"{verb} no order"
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        shown = self.codes if limit is None else self.codes[:limit]
        more = len(self.codes) - len(shown)
        codes = " ".join(shown) + (f" … and {more} more" if more else "")
        return (
            f"{verb} {len(self.codes)} orders ({statuses}); oldest {_when(self.oldest)}, "
            f"newest {_when(self.newest)}\ncodes: {codes}"
        )


def _when(value: datetime | None) -> str:
    return to_magento(value) if value else "-"


Progress = Callable[[BackfillRun], None]


def backfill(
    *,
    since: datetime,
    until: datetime | None = None,
    dry_run: bool = False,
    client: MagentoClient | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Take the orders Magento created in [since, until] (see the module). A Magento failure
    stops the run (state failed, its error kept); running it again is safe: what was pushed is
    not pushed twice."""
    run = BackfillRun.objects.create(since=since, until=until, dry_run=dry_run)
    result = BackfillResult(run)
    client = client or MagentoClient()
    started = time.monotonic()
    try:
        _pages(result, client, started, progress)
    except MagentoError as exc:
        run.state, run.error = BackfillState.FAILED, exc.message
    else:
        run.state = BackfillState.DONE
    run.finished_at = timezone.now()
    run.seconds_left = 0 if run.state == BackfillState.DONE else run.seconds_left
    run.summary = result.summary(CODES_IN_SUMMARY)
    run.save()
    return result


def _window(run: BackfillRun) -> list[list[SearchFilter]]:
    groups = [[SearchFilter("status", ",".join(settings.MAGENTO_NEW_ORDER_STATUSES), "in")]]
    if run.until:
        groups.append([SearchFilter("created_at", to_magento(run.until), "lteq")])
    return groups


def _pages(
    result: BackfillResult, client: MagentoClient, started: float, progress: Progress | None
) -> None:
    run = result.run
    key: sync.Key = (run.since, 0)
    first = True
    while True:
        answer = client.search_orders(sync.page_params("created_at", key, _window(run)))
        items = answer.get("items") or []
        if first:
            run.total, first = int(answer.get("total_count") or 0), False
        if not items or sync.last_key(items, "created_at") <= key:
            return
        _take_page(result, items)
        key = sync.last_key(items, "created_at")
        _note_progress(run, started)
        if progress is not None:
            progress(run)
        if sync.is_last_page(items, answer):
            return


def _take_page(result: BackfillResult, items: list[dict]) -> None:
    run = result.run
    ids = [int(raw["entity_id"]) for raw in items]
    mirrored = {o.entity_id: o for o in Order.objects.filter(entity_id__in=ids)}
    sent = _sent(ids)
    attempted = []
    for raw in items:
        run.read += 1
        entity_id = int(raw["entity_id"])
        if entity_id in sent or not _would_push(raw, mirrored.get(entity_id)):
            run.skipped += 1
        else:
            attempted.append(raw)
    taken = attempted
    if not run.dry_run:
        _take(run, attempted, mirrored)
        # What was really queued (Magento may have changed an order since it was read).
        now_sent = _sent(ids) - sent
        taken = [raw for raw in attempted if int(raw["entity_id"]) in now_sent]
        run.skipped += len(attempted) - len(taken)
    for raw in taken:
        _count(result, raw)


def _take(run: BackfillRun, raws: list[dict], mirrored: dict[int, Order]) -> None:
    """Mirror (new ones in bulk) and push; a concurrent sync that got first: one at a time."""
    new = [raw for raw in raws if int(raw["entity_id"]) not in mirrored]
    with transaction.atomic():
        for raw in raws:
            known = mirrored.get(int(raw["entity_id"]))
            if known is not None:
                orders.order_upsert(raw=raw, backfill=run, known=known)
        try:
            with transaction.atomic():
                orders.orders_create(raws=new, backfill=run)
        except IntegrityError:
            for raw in new:
                orders.order_upsert(raw=raw, backfill=run)


def _sent(ids: list[int]) -> set[int]:
    """Orders (by entity_id) already on their way to Omni."""
    return set(
        Operation.objects.filter(kind=orders.PUSH_ORDER, order__entity_id__in=ids).values_list(
            "order__entity_id", flat=True
        )
    )


def _would_push(raw: dict, mirrored: Order | None) -> bool:
    """Whether this Magento order may be sent to Omni (the go-live rule aside: a backfill takes
    it on purpose). Decided on Magento's version, as the upsert that follows will."""
    data = mapping.map_order(raw)
    order = Order(**{k: v for k, v in data.fields.items() if k != "raw"})
    order.data_errors = "\n".join(data.errors)
    if mirrored is not None and mirrored.pushed_to_omni_at:
        return False
    return not golive.not_sent_reason(order, has_lines=bool(data.lines), start=EPOCH)


def _count(result: BackfillResult, raw: dict) -> None:
    result.run.pushed += 1
    result.codes.append(mapping.order_code_of(raw))
    result.statuses[str(raw.get("status"))] += 1
    created = parse_magento(raw.get("created_at"))
    if created is not None:
        result.oldest = min(result.oldest or created, created)
        result.newest = max(result.newest or created, created)


def _note_progress(run: BackfillRun, started: float) -> None:
    elapsed = max(time.monotonic() - started, 1e-6)
    run.rate_per_minute = round(run.read / elapsed * 60, 1)
    left = max(run.total - run.read, 0)
    run.seconds_left = int(left / (run.read / elapsed)) if run.read else None
    run.save()


def describe_progress(run: BackfillRun) -> str:
    """One terminal line: read / pushed / skipped, rate, time left."""
    seconds = run.seconds_left
    left = "-" if seconds is None else f"{seconds // 60}m{seconds % 60:02d}s"
    verb = "would push" if run.dry_run else "pushed"
    return (
        f"read {run.read}/{run.total}, {verb} {run.pushed}, skipped {run.skipped}, "
        f"{run.rate_per_minute:.0f} orders/min, {left} left"
    )
