"""Inventory: Omni's absolute stock pushes, the stock ledger, and the writes to Magento.

One push (`inventory_update`, behind `PUT /api/omni/inventory`) runs in three steps:

1. `stock_record` stores the quantities in the ledger (`StockLevel`) with one conditional upsert,
   the request's receive time being the row's version: a row only takes a quantity newer than the
   one it holds, so a late or concurrent older push changes nothing.
   `with_reservations` then adds to each quantity the units Magento still reserves for open orders
   Omni already has (contract 8.1; one grouped query from the mirror) and, in legacy mode, sums
   Omni's quantities over locations, so Magento's salable quantity ends equal to Omni's.
2. `stock_write` writes the rows this push now owns to Magento, outside any transaction, on a
   bounded thread pool inside a time budget: legacy `PUT /V1/products/{sku}/stockItems/1` per SKU,
   or MSI `POST /V1/inventory/source-items` in chunks (a rejected chunk is retried item by item so
   one bad SKU does not fail the rest). Worker threads never touch the database: their call records
   are kept in memory and saved by the request thread.
3. `stock_settle` stores each outcome. Transient failures (and SKUs not written in time) get an
   outbox operation that writes the ledger's newest quantity later, and nothing when Magento
   already has it. A SKU Magento does not know is marked in the ledger and answered as a failure.

`stock_reconcile` (schedule `reconcile-inventory`, command `reconcile_inventory`) reads Magento's
salable quantities of recently pushed SKUs and stores their drift from Omni's on the ledger.
`parent_in_stock` puts configurable parents back in stock (after a push or a background write that
restocks a child). See docs/inventory.md.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from channel import outbox
from channel.integrations import http
from channel.integrations.magento import (
    MagentoClient,
    MagentoError,
    MagentoNotFound,
    UnroutableSku,
    path_safe,
)
from channel.models import (
    CallRecord,
    ErrorClass,
    Flow,
    FlowState,
    Operation,
    OperationState,
    OrderLine,
    StockLevel,
    StockSource,
    StockState,
)
from channel.services import audit

log = logging.getLogger(__name__)
T = TypeVar("T")

INVENTORY_PUSH = "magento.stock_push"
MAX_SKUS = 200  # Omni sends at most 200 SKUs a call (contract 4.9)
CONSOLIDATED = "*"  # StockSource / MAGENTO_SOURCE_MAP key for consolidated pushes
DEFAULT_SOURCE = "default"
# A row still unwritten this long after its push: the request died between ledger and Magento.
STUCK_AFTER = timedelta(minutes=10)
_GRACE_SECONDS = 1.0  # how long past the budget we wait for calls already in flight
_MIN_CALL_TIMEOUT = 0.5


@dataclass(frozen=True)
class StockLine:
    """One well-formed line of Omni's push."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class StockTarget:
    """A ledger row this push owns, as worker threads see it (no ORM objects cross threads).

    `quantity` is Omni's; `write_quantity` the source quantity written to Magento (Omni's, summed
    over locations in legacy mode, plus the `reserved` units of open orders Omni already has)."""

    pk: int
    sku: str
    quantity: int
    reserved: int = 0
    write_quantity: int | None = None

    @property
    def written(self) -> int:
        return self.quantity if self.write_quantity is None else self.write_quantity


@dataclass(frozen=True)
class WriteOutcome:
    target: StockTarget
    state: str  # StockState
    error: str = ""
    retry: bool = False  # write it again in the background


@dataclass
class Recorded:
    location_code: str  # the ledger slot
    owned: list[StockTarget]
    superseded: list[str]


@dataclass
class PushResult:
    success: list[str]
    failure: list[str]


# --- where a quantity goes ------------------------------------------------------------------------
def msi_enabled() -> bool:
    return settings.MAGENTO_STOCK_MODE == "msi"


def ledger_location(location_code: str) -> str:
    """The ledger slot of a push: Omni's location (empty for a consolidated push).

    Legacy Magento keeps one quantity per SKU: the proxy writes the sum of the SKU's slots, so a
    push for WH2 never erases WH1's units (contract 8.1).
    """
    return location_code


def source_for(location_code: str) -> str | None:
    """The MSI source of a ledger slot: admin mapping, then MAGENTO_SOURCE_MAP; None if unmapped."""
    key = location_code or CONSOLIDATED
    row = StockSource.objects.filter(location_code=key).values_list("source_code", flat=True)
    mapped = row.first() or settings.MAGENTO_SOURCE_MAP.get(key)
    if mapped:
        return mapped
    return DEFAULT_SOURCE if key == CONSOLIDATED else None


def _target_of(level: StockLevel) -> StockTarget:
    return with_reservations(
        [StockTarget(level.pk, level.sku, level.quantity)], level.location_code
    )[0]


# --- what is written: Omni's quantity + the units Magento still reserves (contract 8.1) ----------
OPEN_ORDER_EXCLUDED_STATES = ("canceled", "closed", "complete")


def with_reservations(targets: list[StockTarget], slot: str) -> list[StockTarget]:
    """The targets with the quantity to write: one query for the reserved units of all their SKUs
    (from the mirror, no Magento read) and, in legacy mode, one for the sums over locations."""
    if not targets:
        return targets
    skus = sorted({t.sku for t in targets})
    reserved = reserved_units(skus, slot)
    totals: dict[str, int] = {}
    if not msi_enabled():
        totals = dict(
            StockLevel.objects.filter(sku__in=skus)
            .values("sku")
            .annotate(total=Sum("quantity"))
            .values_list("sku", "total")
        )
    return [
        replace(
            t,
            reserved=reserved.get(t.sku, 0),
            write_quantity=totals.get(t.sku, t.quantity) + reserved.get(t.sku, 0),
        )
        for t in targets
    ]


def reserved_units(skus: list[str], slot: str) -> dict[str, int]:
    """Units Magento still reserves per SKU for orders Omni already has (pushed or acknowledged,
    neither shipped nor cancelled), counted at `slot`: with MSI the order's location, orders
    without a mapped location at the first mapped one; a consolidated slot or legacy stock
    counts them all."""
    if not settings.MAGENTO_RESERVATIONS or not skus:
        return {}
    open_units = Greatest(
        F("qty_ordered") - Greatest(F("qty_shipped"), F("qty_handed_over")) - F("qty_canceled"),
        Value(0),
    )
    rows = (
        OrderLine.objects.filter(sku__in=skus)
        .filter(Q(order__pushed_to_omni_at__isnull=False) | Q(order__acknowledged_at__isnull=False))
        .exclude(order__magento_state__in=OPEN_ORDER_EXCLUDED_STATES)
        .values("sku", "order__location_code")
        .annotate(units=Sum(open_units))
        .values_list("sku", "order__location_code", "units")
    )
    every_location = not msi_enabled() or not slot
    mapped = set() if every_location else mapped_locations()
    fallback = min(mapped) if mapped else ""
    result: dict[str, int] = defaultdict(int)
    for sku, location, units in rows:
        if units and (every_location or (location if location in mapped else fallback) == slot):
            result[sku] += int(units)
    return dict(result)


def mapped_locations() -> set[str]:
    """Omni locations with a Magento source (admin rows and MAGENTO_SOURCE_MAP)."""
    rows = set(StockSource.objects.values_list("location_code", flat=True))
    return {
        code for code in rows | set(settings.MAGENTO_SOURCE_MAP) if code and code != CONSOLIDATED
    }


def _op_target(pk: int) -> str:
    return f"stock:{pk}"


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


# --- 1. the ledger --------------------------------------------------------------------------------
def stock_record(*, location_code: str, lines: list[StockLine], received_at: datetime) -> Recorded:
    """Store Omni's quantities unless a row already holds a newer one. Returns the rows now owned.

    One conditional upsert (`INSERT … ON CONFLICT DO UPDATE … WHERE received_at < new`), in SKU
    order: the database locks each row while it compares versions, so concurrent pushes queue up
    per row, never deadlock, and an older push changes nothing.
    """
    slot = ledger_location(location_code)
    by_sku = {line.sku: line.quantity for line in lines}
    skus = sorted(by_sku)
    owned = dict(_upsert_newer(slot, location_code, [(s, by_sku[s]) for s in skus], received_at))
    return Recorded(
        location_code=slot,
        owned=[StockTarget(owned[s], s, by_sku[s]) for s in skus if s in owned],
        superseded=[s for s in skus if s not in owned],
    )


_UPSERT_COLUMNS = (
    "sku",
    "location_code",
    "omni_location_code",
    "quantity",
    "received_at",
    "state",
    "source_code",
    "last_error",
    "reserved_units",
    "created_at",
    "updated_at",
)
_UPSERT_TAKES = (
    "quantity",
    "received_at",
    "omni_location_code",
    "state",
    "last_error",
    "updated_at",
)


def _upsert_newer(
    slot: str, location_code: str, rows: list[tuple[str, int]], received_at: datetime
) -> list[tuple[str, int]]:
    """(sku, pk) of the rows inserted or updated. Raw SQL because the ORM's upsert (bulk_create
    with update_conflicts) has no condition, and a version check in Python would need a second
    round trip per row; PostgreSQL and SQLite (≥ 3.35) both speak this dialect."""
    if not rows:
        return []
    connection = connections[StockLevel.objects.db]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    version = connection.ops.adapt_datetimefield_value(received_at)
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    columns = ", ".join(_UPSERT_COLUMNS)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(_UPSERT_COLUMNS)) + ")"] * len(rows))
    takes = ", ".join(f"{c} = excluded.{c}" for c in _UPSERT_TAKES)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {placeholders} "
        f"ON CONFLICT (sku, location_code) DO UPDATE SET {takes} "
        f"WHERE {table}.received_at < excluded.received_at RETURNING sku, id"
    )
    params: list[Any] = []
    for sku, quantity in rows:
        params += [sku, slot, location_code, quantity, version, StockState.PENDING]
        params += ["", "", 0, now, now]  # source_code, last_error, reserved, created, updated
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(sku, pk) for sku, pk in cursor.fetchall()]


# --- 2. writing to Magento ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    targets: tuple[StockTarget, ...]
    source: str | None  # None: legacy stock item


@dataclass
class _JobResult:
    outcomes: list[WriteOutcome]
    records: list[CallRecord] = field(default_factory=list)
    split: bool = False  # a rejected MSI chunk: write its items one by one


def source_item(target: StockTarget, source: str) -> dict[str, Any]:
    quantity = target.written
    status = 1 if quantity > 0 else 0
    return {"sku": target.sku, "source_code": source, "quantity": quantity, "status": status}


def _chunks(targets: list[StockTarget], size: int) -> Iterable[tuple[StockTarget, ...]]:
    for start in range(0, len(targets), size):
        yield tuple(targets[start : start + size])


def stock_write(
    *, targets: list[StockTarget], source: str | None, deadline: float
) -> tuple[list[WriteOutcome], list[CallRecord]]:
    """Write to Magento on a thread pool until `deadline` (time.monotonic()). No database access."""
    if source is None:
        jobs = [_Job((target,), None) for target in targets]
    else:
        jobs = [
            _Job(chunk, source)
            for chunk in _chunks(
                targets, min(settings.MAGENTO_SOURCE_ITEMS_CHUNK, settings.MAGENTO_INPUT_LIMIT)
            )
        ]
    return _run_jobs(jobs, deadline)


def _run_jobs(jobs: list[_Job], deadline: float) -> tuple[list[WriteOutcome], list[CallRecord]]:
    outcomes: list[WriteOutcome] = []
    records: list[CallRecord] = []
    if not jobs:
        return outcomes, records
    pool = ThreadPoolExecutor(settings.INVENTORY_CONCURRENCY, thread_name_prefix="inventory")
    pending: dict[Future[_JobResult], _Job] = {
        pool.submit(_run_job, job, deadline): job for job in jobs
    }
    try:
        while pending:
            budget = deadline + _GRACE_SECONDS - time.monotonic()
            done, _ = wait(pending, timeout=max(0.0, budget), return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                job = pending.pop(future)
                result = future.result()
                records += result.records
                outcomes += result.outcomes
                if result.split:
                    for target in job.targets:
                        single = _Job((target,), job.source)
                        pending[pool.submit(_run_job, single, deadline)] = single
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for job in pending.values():  # still running past the grace: its answer is lost to us
        log.warning("inventory write of %s still running after the time budget", job.targets)
        outcomes += [_late(target) for target in job.targets]
    return outcomes, records


def _run_job(job: _Job, deadline: float) -> _JobResult:
    """Runs in a worker thread: one Magento call, its call records kept in memory."""
    try:
        with http.deferred_records() as records:
            result = _attempt(job, deadline)
        result.records = records
        return result
    except Exception as exc:  # a bug must not lose the push: the background retry has it
        log.exception("inventory write crashed")
        error = f"unexpected error: {exc!r}"
        return _JobResult([WriteOutcome(t, StockState.RETRYING, error, True) for t in job.targets])
    finally:
        connections.close_all()  # a no-op unless something in this thread opened one


def _attempt(job: _Job, deadline: float) -> _JobResult:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return _JobResult([_late(target) for target in job.targets])
    timeout = max(_MIN_CALL_TIMEOUT, min(settings.MAGENTO_READ_TIMEOUT, remaining))
    client = MagentoClient(
        read_timeout=timeout, connect_timeout=min(settings.MAGENTO_CONNECT_TIMEOUT, timeout)
    )
    try:
        _write(client, job)
    except MagentoError as exc:
        if job.source is not None and len(job.targets) > 1 and _is_refusal(exc):
            return _JobResult([], split=True)
        return _JobResult([_failed(target, exc) for target in job.targets])
    return _JobResult([WriteOutcome(target, StockState.SYNCED) for target in job.targets])


def _write(client: MagentoClient, job: _Job) -> None:
    if job.source is None:
        (target,) = job.targets
        if path_safe(target.sku):
            client.update_stock_item(target.sku, target.written)
        else:
            _write_unroutable(client, target)
    else:
        client.save_source_items([source_item(target, job.source) for target in job.targets])


def _write_unroutable(client: MagentoClient, target: StockTarget) -> None:
    """Legacy stock of a SKU Magento cannot route in a path: the `default` source item carries it
    in the body (the legacy item is that source's mirror whenever the MSI modules are on)."""
    if not settings.MAGENTO_RESERVATIONS:
        raise UnroutableSku(
            f"SKU {target.sku!r} cannot be sent in a Magento URL path and the MSI modules are "
            "off (MAGENTO_RESERVATIONS=false), so no call carries it in the body"
        )
    client.save_source_items([source_item(target, DEFAULT_SOURCE)])


def _is_refusal(exc: MagentoError) -> bool:
    """Magento looked at the data and said no (4xx): writing it again unchanged will not help."""
    return not exc.transient and not exc.needs_config


def _late(target: StockTarget) -> WriteOutcome:
    return WriteOutcome(target, StockState.RETRYING, "not written within the time budget", True)


def _is_unknown_sku(exc: MagentoError, sku: str) -> bool:
    if isinstance(exc, MagentoNotFound):
        return True
    text = exc.message.lower()
    missing = any(w in text for w in ("does not exist", "doesn't exist", "not found"))
    return exc.status == 400 and missing and ("sku" in text or sku.lower() in text)


def _failed(target: StockTarget, exc: MagentoError) -> WriteOutcome:
    if _is_unknown_sku(exc, target.sku):
        return WriteOutcome(
            target, StockState.UNKNOWN_SKU, f"SKU {target.sku} is unknown in Magento"
        )
    if exc.transient:
        return WriteOutcome(target, StockState.RETRYING, exc.message, True)
    # needs_config (credentials, URL): a person fixes it; the queued operation then runs
    return WriteOutcome(target, StockState.FAILED, exc.message, exc.needs_config)


# --- 3. outcomes ----------------------------------------------------------------------------------
def stock_settle(*, outcomes: list[WriteOutcome], version: datetime, source_code: str) -> None:
    """Store what Magento did with the quantities of version `version`; queue the retries."""
    now = timezone.now()
    with transaction.atomic():
        _lock([o.target.pk for o in outcomes])
        synced = [o.target for o in outcomes if o.state == StockState.SYNCED]
        moved = _record_accepted(synced, version=version, source_code=source_code, now=now)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for outcome in outcomes:
            if outcome.state != StockState.SYNCED:
                groups[(outcome.state, outcome.error)].append(outcome.target.pk)
        for (state, error), pks in groups.items():
            StockLevel.objects.filter(pk__in=pks, received_at=version).update(
                state=state, last_error=error[:4000], last_attempt_at=now, updated_at=now
            )
        retry = [o.target.pk for o in outcomes if o.retry]
        _queue_writes(retry, reason=f"v{_micros(version)}")
        _queue_writes(moved, reason=f"after-v{_micros(version)}")


def _lock(pks: list[int]) -> None:
    """Lock rows in the order `stock_record` does (by SKU), so concurrent pushes never deadlock."""
    if pks:
        list(
            StockLevel.objects.select_for_update()
            .filter(pk__in=pks)
            .order_by("sku", "location_code")
            .values_list("pk", flat=True)
        )


def _record_accepted(
    targets: list[StockTarget], *, version: datetime, source_code: str, now: datetime
) -> list[int]:
    """Mark rows whose quantity Magento accepted. Returns rows that took a newer quantity meanwhile.

    For those, our older write may have reached Magento after the newer one, so the newest quantity
    is queued to be written again (the operation does nothing when Magento already has it).
    """
    if not targets:
        return []
    pks = [t.pk for t in targets]
    updated = _mark_synced(targets, version=version, source_code=source_code, now=now)
    if updated == len(pks):
        return []
    moved = set(
        StockLevel.objects.filter(pk__in=pks)
        .exclude(received_at=version)
        .values_list("pk", flat=True)
    )
    for target in targets:
        if target.pk in moved:
            StockLevel.objects.filter(pk=target.pk).filter(
                Q(magento_version__isnull=True) | Q(magento_version__lt=version)
            ).update(
                magento_quantity=target.quantity,
                reserved_units=target.reserved,
                written_quantity=target.written,
                magento_version=version,
                magento_accepted_at=now,
                source_code=source_code,
            )
    return sorted(moved)


def _mark_synced(
    targets: list[StockTarget], *, version: datetime, source_code: str, now: datetime
) -> int:
    """Rows still at `version` take Magento's acceptance: one UPDATE with each row's reserved and
    written units (`CASE id WHEN … THEN …`). Raw SQL, as the ledger upsert: the ORM's CASE of
    `id IN (…)` per value cost ~12 ms of compiling per push of 200 SKUs. Returns rows updated."""
    connection = connections[StockLevel.objects.db]
    ops = connection.ops
    table = ops.quote_name(StockLevel._meta.db_table)
    cases = " ".join(["WHEN %s THEN %s"] * len(targets))
    placeholders = ", ".join(["%s"] * len(targets))
    sql = (
        f"UPDATE {table} SET state = %s, magento_quantity = quantity, "
        f"reserved_units = CASE id {cases} ELSE reserved_units END, "
        f"written_quantity = CASE id {cases} ELSE written_quantity END, "
        "magento_version = %s, magento_accepted_at = %s, source_code = %s, last_error = %s, "
        f"last_attempt_at = %s, updated_at = %s WHERE id IN ({placeholders}) AND received_at = %s"
    )
    at, when = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(version)
    params: list[Any] = [StockState.SYNCED]
    params += [v for t in targets for v in (t.pk, int(t.reserved))]
    params += [v for t in targets for v in (t.pk, int(t.written))]
    params += [when, at, source_code, "", at, at]
    params += [t.pk for t in targets] + [when]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _queue_writes(pks: list[int], *, reason: str) -> None:
    """One background write per row, unless one is already waiting (it writes the newest anyway)."""
    if not pks:
        return
    targets = [_op_target(pk) for pk in pks]
    waiting = set(
        Operation.objects.filter(
            kind=INVENTORY_PUSH, state=OperationState.PENDING, target__in=targets
        ).values_list("target", flat=True)
    )
    versions = dict(StockLevel.objects.filter(pk__in=pks).values_list("pk", "received_at"))
    for pk in pks:
        if _op_target(pk) in waiting or pk not in versions:
            continue
        outbox.enqueue(
            INVENTORY_PUSH,
            key=f"{INVENTORY_PUSH}:{pk}:v{_micros(versions[pk])}:{reason}",
            target=_op_target(pk),
            payload={"stockLevel": pk},
        )


# --- the whole push -------------------------------------------------------------------------------
def inventory_paused() -> bool:
    return FlowState.objects.filter(flow=Flow.INVENTORY, paused=True).exists()


def inventory_update(
    *, location_code: str, lines: list[StockLine], received_at: datetime, deadline: float
) -> PushResult:
    """Omni's push: ledger, Magento writes within `deadline` (time.monotonic()), outcomes."""
    recorded = stock_record(location_code=location_code, lines=lines, received_at=received_at)
    recorded.owned = with_reservations(recorded.owned, recorded.location_code)
    source = source_for(recorded.location_code) if msi_enabled() else None
    if inventory_paused():
        outcomes = [
            WriteOutcome(t, StockState.RETRYING, "the inventory flow is paused", True)
            for t in recorded.owned
        ]
    elif msi_enabled() and source is None:
        message = (
            f"Location {recorded.location_code} has no Magento source; "
            "map it under Stock sources in admin, then push again"
        )
        outcomes = [WriteOutcome(t, StockState.FAILED, message) for t in recorded.owned]
    else:
        outcomes, records = stock_write(targets=recorded.owned, source=source, deadline=deadline)
        http.save_records(records)
    restocked = _restocked(outcomes)
    stock_settle(outcomes=outcomes, version=received_at, source_code=source or "")
    parents_queue(restocked, reason=f"v{_micros(received_at)}")
    failed = {o.target.sku for o in outcomes if o.state != StockState.SYNCED}
    _heartbeat(outcomes)
    # A superseded line's quantity was replaced by a newer push, which owns its write: no failure.
    ordered = list(dict.fromkeys(line.sku for line in lines))
    return PushResult(
        success=[sku for sku in ordered if sku not in failed],
        failure=[sku for sku in ordered if sku in failed],
    )


# --- configurable parents (contract 8.1; magento/inventory#3358) ---------------------------------
PARENT_IN_STOCK = "magento.parent_in_stock"


def _restocked(outcomes: list[WriteOutcome]) -> list[str]:
    """SKUs this push makes salable again: written above 0 where the last write was 0 or none."""
    synced = {o.target.pk: o.target for o in outcomes if o.state == StockState.SYNCED}
    before = dict(
        StockLevel.objects.filter(pk__in=list(synced)).values_list("pk", "written_quantity")
    )
    return sorted(
        {t.sku for pk, t in synced.items() if t.written > 0 and not (before.get(pk) or 0) > 0}
    )


def parents_queue(skus: list[str], *, reason: str) -> Operation | None:
    """A background operation that puts the configurable parents of these children back in stock
    (Magento leaves a parent out of stock when its children are restocked through the API).
    Only children the mirror has seen in a configurable line are looked at."""
    if not skus:
        return None
    children = sorted(
        set(
            OrderLine.objects.filter(sku__in=skus, product_type="configurable").values_list(
                "sku", flat=True
            )
        )
    )
    if not children:
        return None
    return outbox.enqueue(
        PARENT_IN_STOCK,
        key=f"{PARENT_IN_STOCK}:{uuid.uuid5(uuid.NAMESPACE_URL, ','.join(children))}:{reason}",
        target=f"parents:{children[0]}"[:255],
        payload={"skus": children},
    )


def parent_product_ids(skus: list[str]) -> set[int]:
    """Magento product ids of the configurable parents of these children, from the mirror."""
    ids: set[int] = set()
    lines = OrderLine.objects.filter(sku__in=skus, product_type="configurable").select_related(
        "order"
    )
    for line in lines:
        for item in (line.order.raw or {}).get("items") or []:
            if int(item.get("item_id") or 0) == line.magento_item_id and item.get("product_id"):
                ids.add(int(item["product_id"]))
    return ids


@outbox.register(PARENT_IN_STOCK, flow=Flow.INVENTORY)
def parent_in_stock(operation: Operation) -> dict[str, Any]:
    """Outbox handler: set each parent's stock status to in stock (its salability still needs a
    salable child: Magento checks that itself)."""
    client = MagentoClient.for_operation(operation)
    ids = sorted(parent_product_ids(list(operation.payload.get("skus") or [])))
    parents = sorted(set(client.product_skus(ids).values())) if ids else []
    done, skipped = [], []
    for sku in parents:
        if path_safe(sku):
            client.set_stock_status(sku, True)
            done.append(sku)
        else:
            skipped.append(sku)  # no call carries a composite's status in the body
    return {"parents": done, "unroutable": skipped}


def _heartbeat(outcomes: list[WriteOutcome]) -> None:
    failures = [o for o in outcomes if o.state != StockState.SYNCED]
    if not failures:
        outbox.touch_flow(Flow.INVENTORY, success=True)
        return
    first = failures[0]
    error = f"{len(failures)} SKU(s) not written, e.g. {first.target.sku}: {first.error}"
    outbox.touch_flow(Flow.INVENTORY, success=False, error=error)


# --- background writes ----------------------------------------------------------------------------
def stock_sync(*, level: StockLevel, client: MagentoClient) -> dict[str, Any]:
    """Write the row's newest quantity to Magento, unless Magento already has it."""
    target, version = _target_of(level), level.received_at
    source = None
    if msi_enabled():
        source = source_for(level.location_code)
        if source is None:
            message = f"Location {level.location_code} has no Magento source; map it in admin"
            _settle_one(WriteOutcome(target, StockState.FAILED, message), version)
            raise outbox.OperationError(message, ErrorClass.NEEDS_CONFIG)
    try:
        already = magento_quantity(client, level.sku, source) == _expected(target)
        if not already:
            _write(client, _Job((target,), source))
    except MagentoError as exc:
        outcome = _failed(target, exc)
        _settle_one(outcome, version)
        if outcome.state == StockState.UNKNOWN_SKU:
            raise outbox.OperationError(outcome.error, ErrorClass.PERMANENT) from exc
        raise
    now = timezone.now()
    if _record_accepted([target], version=version, source_code=source or "", now=now):
        raise outbox.Retry("Omni sent a newer quantity while this one was being written")
    if target.written > 0 and not (level.written_quantity or 0) > 0:  # restocked, as a push does
        parents_queue([level.sku], reason=f"v{_micros(version)}")
    return {"sku": level.sku, "quantity": level.quantity, "alreadyInMagento": already}


def _settle_one(outcome: WriteOutcome, version: datetime) -> None:
    now = timezone.now()
    StockLevel.objects.filter(pk=outcome.target.pk, received_at=version).update(
        state=outcome.state, last_error=outcome.error[:4000], last_attempt_at=now, updated_at=now
    )


def _expected(target: StockTarget) -> tuple[int, bool]:
    return target.written, target.written > 0


def magento_quantity(
    client: MagentoClient, sku: str, source: str | None
) -> tuple[int, bool] | None:
    """Magento's (quantity, in stock) of a SKU; None when the SKU has no item in that source."""
    if source is None and path_safe(sku):
        item = client.get_stock_item(sku)
        return _as_int(item.get("qty")), bool(item.get("is_in_stock"))
    source = source or DEFAULT_SOURCE
    for item in client.search_source_items([sku], source):
        if item.get("sku") == sku and item.get("source_code") == source:
            return _as_int(item.get("quantity")), int(item.get("status") or 0) == 1
    return None


def _as_int(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


@outbox.register(INVENTORY_PUSH, flow=Flow.INVENTORY)
def stock_push(operation: Operation) -> dict[str, Any]:
    """Outbox handler: one SKU in one place, always the ledger's newest quantity."""
    level = StockLevel.objects.filter(pk=operation.payload["stockLevel"]).first()
    if level is None:
        return {"skipped": "the ledger row was deleted"}
    return stock_sync(level=level, client=MagentoClient.for_operation(operation))


def stock_push_again(*, level: StockLevel, actor: str) -> Operation:
    """A person asks for the row's newest quantity to be written to Magento again."""
    with transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(
            state=StockState.RETRYING, last_error="", updated_at=timezone.now()
        )
        operation = outbox.enqueue(
            INVENTORY_PUSH,
            key=f"{INVENTORY_PUSH}:{level.pk}:again:{uuid.uuid4().hex}",
            target=_op_target(level.pk),
            payload={"stockLevel": level.pk},
        )
        audit.record(
            "stock.push_again",
            actor=actor,
            subject=f"sku:{level.sku}"[:100],
            message=f"{level.sku} @ {level.location_code or 'all'}: write {level.quantity} again",
        )
    return operation


# --- reconciliation -------------------------------------------------------------------------------
@dataclass
class ReconcileReport:
    checked: int = 0
    drifted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requeued: int = 0

    def __str__(self) -> str:
        return (
            f"checked {self.checked} SKU(s): {len(self.drifted)} drift, {len(self.missing)} "
            f"missing in Magento, {len(self.errors)} error(s); {self.requeued} requeued"
        )


def stock_reconcile(
    *, hours: int | None = None, limit: int | None = None, client: MagentoClient | None = None
) -> ReconcileReport:
    """Read Magento's salable quantity of recently pushed SKUs and store its drift from the sum of
    Omni's quantities on the ledger (contract 8.1: salable, not the raw source quantity)."""
    report = ReconcileReport(requeued=stock_requeue_stuck())
    since = timezone.now() - timedelta(hours=hours or settings.INVENTORY_RECONCILE_HOURS)
    # (pk, sku) pairs, not model instances: a catalog is tens of thousands of rows
    rows: list[tuple[int, str]] = list(
        StockLevel.objects.filter(received_at__gte=since)
        .exclude(state=StockState.UNKNOWN_SKU)
        .order_by(F("observed_at").asc(nulls_first=True), "pk")
        .values_list("pk", "sku")[: limit or settings.INVENTORY_RECONCILE_LIMIT]
    )
    client = client or MagentoClient()
    skus = sorted({sku for _, sku in rows})
    # Omni's totals are summed in the database while Magento answers the reads
    observed, expected = _observe_salable(
        client, skus, report, meanwhile=partial(omni_totals, skus)
    )
    now = timezone.now()
    by_observation: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    missing: dict[str, None] = {}  # ordered sets: a list's `in` made this quadratic
    drifted: dict[str, None] = {}
    for pk, sku in rows:
        if sku not in observed:
            continue
        quantity = observed[sku]
        drift = None if quantity is None else quantity - expected.get(sku, 0)
        by_observation[(quantity, drift)].append(pk)
        report.checked += 1
        if quantity is None:
            missing[sku] = None
        elif drift:
            drifted[sku] = None
    report.missing, report.drifted = list(missing), list(drifted)
    # One UPDATE per observation (not per row: a catalog is tens of thousands of rows), all in
    # one transaction: one commit, not one per statement (each a disk flush on SQLite).
    with transaction.atomic():
        for (quantity, drift), pks in by_observation.items():
            for start in range(0, len(pks), 500):
                StockLevel.objects.filter(pk__in=pks[start : start + 500]).update(
                    observed_quantity=quantity, observed_at=now, drift=drift
                )
    _note_reconciliation(report)
    return report


RECONCILE_BATCH = 50  # SKUs per salable-quantity read (they travel in one query filter)


def omni_totals(skus: list[str]) -> dict[str, int]:
    """Σ Omni's latest quantities per SKU over the ledger's locations: what Magento's salable
    quantity must be (one stock: every mapped location belongs to it)."""
    return dict(
        StockLevel.objects.filter(sku__in=skus)
        .values("sku")
        .annotate(total=Sum("quantity"))
        .values_list("sku", "total")
    )


def _observe_salable(
    client: MagentoClient,
    skus: list[str],
    report: ReconcileReport,
    *,
    meanwhile: Callable[[], T],
) -> tuple[dict[str, int | None], T]:
    """Magento's salable quantity per SKU (None: Magento has none), read in batches through
    export-stock-salable-qty for MAGENTO_SALES_CHANNEL, INVENTORY_CONCURRENCY batches at a time;
    a failed batch is reported and skipped. With what `meanwhile` gave, run while they read."""
    batches = [
        skus[start : start + RECONCILE_BATCH] for start in range(0, len(skus), RECONCILE_BATCH)
    ]
    reads = [
        partial(client.salable_quantities, batch, settings.MAGENTO_SALES_CHANNEL)
        for batch in batches
    ]
    observed: dict[str, int | None] = {}
    found_all, other = _read_in_parallel(reads, meanwhile)
    for batch, found in zip(batches, found_all, strict=True):
        if isinstance(found, MagentoError):
            report.errors.append(f"salable quantities of {batch[0]}…: {found.message}")
            continue
        observed.update({sku: _as_int(found[sku]) if sku in found else None for sku in batch})
    return observed, other


def _read_in_parallel(
    reads: Sequence[Callable[[], Any]], meanwhile: Callable[[], T]
) -> tuple[list[Any], T]:
    """Magento reads INVENTORY_CONCURRENCY at a time, as the push writes (a catalog of 50,000
    SKUs is 50,000 reads in legacy mode); each result is the read's value or the MagentoError
    it raised, and what `meanwhile` (run on this thread while they read) returned. The threads
    do not touch the database: their call records are saved here."""

    def run(read: Callable[[], Any]) -> tuple[Any, list[CallRecord]]:
        try:
            with http.deferred_records() as records:
                try:
                    value = read()
                except MagentoError as exc:
                    value = exc
            return value, records
        finally:
            connections.close_all()  # a no-op unless something in this thread opened one

    if not reads:
        return [], meanwhile()
    workers = min(settings.INVENTORY_CONCURRENCY, len(reads))
    with ThreadPoolExecutor(workers, thread_name_prefix="reconcile") as pool:
        running = pool.map(run, reads)  # every read is submitted here
        other = meanwhile()
        results = list(running)
    http.save_records([record for _, records in results for record in records])
    return [value for value, _ in results], other


def _note_reconciliation(report: ReconcileReport) -> None:
    audit.record(
        "stock.reconciled",
        message=str(report),
        data={
            "checked": report.checked,
            "drifted": report.drifted[:200],
            "missing": report.missing[:200],
            "errors": report.errors[:50],
        },
    )
    outbox.touch_flow(Flow.INVENTORY, success=not report.errors, error="; ".join(report.errors[:5]))


def stock_requeue_stuck() -> int:
    """Rows left unwritten by a request that died between the ledger and Magento get a write."""
    stuck = list(
        StockLevel.objects.filter(
            state__in=[StockState.PENDING, StockState.RETRYING],
            received_at__lt=timezone.now() - STUCK_AFTER,
        ).values_list("pk", flat=True)[:1000]
    )
    busy = set(
        Operation.objects.filter(
            kind=INVENTORY_PUSH,
            state__in=[OperationState.PENDING, OperationState.RUNNING],
            target__in=[_op_target(pk) for pk in stuck],
        ).values_list("target", flat=True)
    )
    missing = [pk for pk in stuck if _op_target(pk) not in busy]
    with transaction.atomic():
        _queue_writes(missing, reason="stuck")
    return len(missing)
