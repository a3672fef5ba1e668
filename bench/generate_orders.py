"""Fill the mirror with realistic orders and lines, fast (bulk_create), for the read benchmarks.

Each order is made by the fake Magento (``channel.simulators``: Indian webshop catalog, customers,
addresses, COD / prepaid, simple, configurable and bundle lines, GST-inclusive prices), moved along
the way a real shop's orders move with age, mapped by the proxy's own ``channel.mapping`` and
written straight into ``channel_order`` / ``channel_orderline`` in batches. The orders arrive at
``--per-day`` a day and end now, so the newest days look the same whatever ``--count`` is:

* under 2 days old: pending 60 %, processing (invoiced) 33 %, on hold 2 %, cancelled 5 %
* 2 to 10 days old: complete (invoiced + shipped) 75 %, processing 15 %, cancelled 10 %
* older: complete 90 %, cancelled 10 %

The proxy's own progress follows (pushed to Omni, acknowledged, fulfilled).

Fast at a million (PostgreSQL): in each age group above (older than 10 days, 10 to 2 days, under
2 days) the fake Magento makes a few templates (``--templates`` of the oldest orders, the newest
``--recent-templates`` of each recent group) as above; every other order of the group is a copy of
one of its templates made in SQL (``INSERT … SELECT … FROM generate_series``), so it has the state
of an order of its age, with its own ids, codes, e-mail, phone and times (its ``raw`` JSON is the
template's, ids included: nothing reads it). The copies and the related rows are written on
``--workers`` (2) connections at once, one per core; the phases' times are printed at the end.

``--related`` (PostgreSQL) then adds, per order, what the proxy keeps of its life, in SQL, in
chunks: 11 call records (Omni's calls in, the proxy's calls to Magento and Omni, bodies of
realistic sizes, Magento's order JSON among them), 6 audit events, 3 operations with their
attempt, 4 idempotency records, 1 shipment (with its lines, AWB and manifest entry; one manifest a
day), 1 invoice (with a Magento invoice JSON), history rows (2 of the order, 2 of the shipment, 1
of the invoice) and, for 3 % of orders, a return of one unit.

    .venv/bin/python bench/generate_orders.py --count 100000 [--per-day 500] [--reset] [--related]
        [--lean] [--templates 2000] [--recent-templates 500 (0: the fake makes every recent order)]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BATCH = 1000


NEW_DAYS = 2  # the states of the orders change at these ages (see _magento_order)
RECENT_DAYS = 10


@dataclass(frozen=True)
class Pool:
    """Orders at positions ``start..stop-1`` (0-based; id = position + 1) of one age group: the
    fake Magento makes ``templates`` of them from ``template_start``, the others are copies."""

    start: int
    stop: int
    template_start: int
    templates: int

    def template_of(self, position: str) -> str:
        """SQL: the template position of the order at ``position`` (an SQL expression)."""
        t, ta = self.templates, self.template_start
        return f"({ta} + (({position} - {ta}) %% {t} + {t}) %% {t})"

    @property
    def copies(self) -> list[range]:
        made = range(self.template_start, self.template_start + self.templates)
        return [r for r in (range(self.start, made.start), range(made.stop, self.stop)) if r]


def pools(count: int, per_day: int, templates: int, recent_templates: int | None) -> list[Pool]:
    """The age groups of ``count`` orders: older than RECENT_DAYS (templates the oldest, copies
    moved forward in time), RECENT_DAYS to NEW_DAYS and newer (templates the newest, copies moved
    back): a copy has its template's state, which is right for its age. ``recent_templates``
    None: the fake makes every recent order."""
    new = min(count, int(per_day * NEW_DAYS))
    recent = min(count, int(per_day * RECENT_DAYS))
    found = []
    for start, stop, wanted, oldest in (
        (0, count - recent, templates, True),
        (count - recent, count - new, recent_templates, False),
        (count - new, count, recent_templates, False),
    ):
        if stop <= start:
            continue
        made = stop - start if wanted is None else max(1, min(stop - start, wanted))
        found.append(Pool(start, stop, start if oldest else stop - made, made))
    return found


def template_sql(found: list[Pool], column: str) -> str:
    """SQL: the id of the order whose Magento JSON the order of id ``column`` has."""
    cases = " ".join(
        f"WHEN {column} BETWEEN {p.start + 1} AND {p.stop}"
        f" THEN {p.template_of(f'{column} - 1')} + 1"
        for p in found
        if p.copies
    )
    return f"CASE {cases} ELSE {column} END" if cases else column


def generate(
    count: int,
    *,
    per_day: int = 500,
    seed: int = 1,
    end: datetime | None = None,
    templates: int = 2000,
    recent_templates: int | None = None,
) -> list[Pool]:
    """Add ``count`` orders to the mirror, the newest created just before ``end`` (now)."""
    from django.db import connection

    from bench.related_data import phase, vacuum_analyze, without_indexes
    from channel.models import Order
    from simulators.magento import MagentoSimulator
    from simulators.samples import seed_catalog

    if Order.objects.exists():
        raise SystemExit("the mirror already has orders (their ids would clash): use --reset")
    end = end or datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    sim = MagentoSimulator()
    seed_catalog(sim, rng)
    spacing = 86400 / per_day
    first = end - timedelta(seconds=spacing * count)
    postgresql = connection.vendor == "postgresql"
    found = (
        pools(count, per_day, templates, recent_templates)
        if postgresql
        else [Pool(0, count, 0, count)]
    )
    started = time.monotonic()
    with phase("orders made by the fake Magento"):
        for pool in found:
            made = range(pool.template_start, pool.template_start + pool.templates)
            sim._ids["order"] = itertools.count(made.start + 1)  # entity_id = position + 1
            _simulate(sim, rng, made, first, spacing, end, started)
    copies = [chunk for pool in found for part in pool.copies for chunk in _chunks(pool, part)]
    if copies:
        with without_indexes(["channel_order", "channel_orderline"]):
            with phase(f"orders copied in SQL ({sum(len(c[1]) for c in copies)})"):
                clone_orders(copies, spacing=spacing, prefix=sim.increment_prefix, started=started)
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('channel_order_id_seq', %s)", [count])
        vacuum_analyze(["channel_order", "channel_orderline"])
    return found


def _chunks(pool: Pool, part: range) -> list[tuple[Pool, range]]:
    return [
        (pool, range(low, min(part.stop, low + CLONE_CHUNK)))
        for low in range(part.start, part.stop, CLONE_CHUNK)
    ]


def _simulate(
    sim: Any,
    rng: random.Random,
    positions: range,
    first: datetime,
    spacing: float,
    end: datetime,
    started: float,
) -> None:
    """Orders at ``positions`` made by the fake Magento and stored in batches."""
    for batch_start in range(positions.start, positions.stop, BATCH):
        raws = []
        for n in range(batch_start, min(positions.stop, batch_start + BATCH)):
            created = first + timedelta(seconds=spacing * n + rng.uniform(0, spacing))
            raws.append(_magento_order(sim, rng, created, end))
        _store(raws, end)
        _forget(sim)
        done = min(positions.stop, batch_start + BATCH)
        if done % 10_000 == 0 or done == positions.stop:
            print(f"  {done} orders ({time.monotonic() - started:.0f} s)", flush=True)


def clone_orders(
    chunks: list[tuple[Pool, range]], *, spacing: float, prefix: str, started: float
) -> None:
    """Orders at the chunks' positions as copies of their pools' templates (PostgreSQL), each
    with its own ids, codes, e-mail, phone and times, two connections at once; every other
    column (and every column of the lines) is the template's."""
    from django.conf import settings
    from django.db import connection, transaction

    from bench.related_data import parallel

    code = "o.new_id::text" if settings.ORDER_CODE_FIELD == "entity_id" else "o.new_increment"
    orders_sql = _clone_sql("channel_order", "o", {**ORDER_COPY, "order_code": code})
    orders_sql = CLONE_ORDERS.replace("{insert}", orders_sql)
    lines_sql = CLONE_LINES.replace("{insert}", _clone_sql("channel_orderline", "l", LINE_COPY))

    def job(pool: Pool, part: range) -> Callable[[], None]:
        template = pool.template_of("n")
        params: dict[str, int | float | str] = {
            "low": part.start,
            "high": part.stop - 1,
            "spacing": spacing,
            "prefix": prefix,
        }

        def copy() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(orders_sql.replace("{template}", template), params)
                cursor.execute(lines_sql.replace("{template}", template), params)
            done = time.monotonic() - started
            print(f"  orders {part.start + 1}-{part.stop}, copies ({done:.0f} s)", flush=True)

        return copy

    parallel([job(pool, part) for pool, part in chunks])


def _clone_sql(table: str, alias: str, overrides: dict[str, str]) -> str:
    """``INSERT INTO table (every column) SELECT …``: the override's expression, else the
    template's value (``alias.column``); ``id`` left to its sequence unless overridden."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position""",
            [table],
        )
        columns = [name for (name,) in cursor.fetchall() if name != "id" or "id" in overrides]
    values = ", ".join(overrides.get(name, f"{alias}.{name}") for name in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values}"


CLONE_CHUNK = 50_000
# Order n (0-based) is a copy of its template, moved in time by whole template cycles.
CLONE_ORDERS = """
WITH src AS (
    SELECT n, t.*, make_interval(secs => (n - {template}) * %(spacing)s) AS d
    FROM generate_series(%(low)s, %(high)s) AS n
    JOIN channel_order t ON t.id = {template} + 1
), o AS (
    SELECT src.*, n + 1 AS new_id, %(prefix)s || lpad((n + 1)::text, 9, '0') AS new_increment
    FROM src
)
{insert} FROM o
"""
ORDER_COPY = {
    "id": "o.new_id",
    "entity_id": "o.new_id",
    "increment_id": "o.new_increment",
    "magento_created_at": "o.magento_created_at + o.d",
    "magento_updated_at": "o.magento_updated_at + o.d",
    "customer_email": "split_part(o.customer_email, '@', 1) || '.' || (o.n %% 250000) || '@'"
    " || split_part(o.customer_email, '@', 2)",
    "shipping_address": "jsonb_set(o.shipping_address, '{phone}', "
    "to_jsonb('9' || lpad(((o.n::bigint * 7919) %% 1000000000)::text, 9, '0')))",
    "acknowledged_at": "o.acknowledged_at + o.d",
    "pushed_to_omni_at": "o.pushed_to_omni_at + o.d",
    "created_at": "o.magento_created_at + o.d + interval '1 minute'",
    "updated_at": "o.magento_updated_at + o.d",
}
CLONE_LINES = """
{insert}
FROM generate_series(%(low)s, %(high)s) AS n
JOIN channel_orderline l ON l.order_id = {template} + 1
"""
LINE_COPY = {
    "order_id": "n + 1",
    "item_id": "100000000 + (n + 1) * 32 + l.position",
    "magento_item_id": "100000000 + (n + 1) * 32 + l.position",
    "parent_item_id": "CASE WHEN l.parent_item_id IS NULL THEN NULL"
    " ELSE 100000000 + (n + 1) * 32 + l.position END",
}


def _magento_order(sim: Any, rng: random.Random, created: datetime, end: datetime) -> dict:
    from simulators.samples import random_lines, random_order_kwargs

    sim.set_clock(created)
    lines = random_lines(rng)
    order = sim.add_order(lines, **random_order_kwargs(rng, lines))
    age = (end - created).total_seconds() / 86400
    entity_id = int(order["entity_id"])
    roll = rng.random()
    later = min(end, created + timedelta(hours=rng.uniform(0.2, 30)))
    sim.set_clock(later)
    if age < 2:
        if roll < 0.33:
            sim.invoice(entity_id)
        elif roll < 0.35:
            sim.hold(entity_id)
        elif roll < 0.40:
            sim.cancel(entity_id)
    elif roll < (0.75 if age < 10 else 0.90) and not order["is_virtual"]:
        sim.invoice(entity_id)
        sim.set_clock(min(end, later + timedelta(hours=rng.uniform(2, 48))))
        _restock(sim, order)
        sim.ship(entity_id)
    elif age < 10 and roll < 0.90:
        sim.invoice(entity_id)
    else:
        sim.cancel(entity_id)
    return sim.get_order(entity_id)


def _restock(sim: Any, order: dict) -> None:
    """The shop restocks what it ships: the fake refuses a shipment its source cannot cover
    (MSI source deduction), and thousands of orders would empty the seeded catalog."""
    for item in order["items"]:
        product = sim.products.get(item["sku"])
        if item["product_type"] != "simple" or product is None:
            continue
        source = product["sources"].get("default")
        if source is None or float(source["quantity"]) < float(item["qty_ordered"]):
            sim.set_stock(item["sku"], float(item["qty_ordered"]) + 100)


def _forget(sim: Any) -> None:
    """Keep the fake's memory flat: this batch is in the database now."""
    for store in (sim.orders, sim.invoices, sim.shipments, sim.creditmemos):
        store.clear()


def _store(raws: list[dict], end: datetime) -> None:
    from django.db import transaction
    from django.db.models import F

    from channel.models import Order, OrderLine
    from channel.services import mapping
    from channel.services.orders import line_values

    rows: list[tuple[Order, list[OrderLine]]] = []
    for raw in raws:
        data = mapping.map_order(raw)
        order = Order(
            id=int(raw["entity_id"]),  # its position + 1, as the copies' ids
            **{**data.fields, **_json_values(data.fields)},
            data_errors="\n".join(data.errors),
            notes="\n".join(data.notes),
            fetched_at=end,
        )
        _progress(order, bool(data.lines))
        shipping = mapping.shipping_per_unit(data.lines, order.shipping_incl_tax)
        lines = [
            OrderLine(item_id=src.item_id, **line_values(src, n, shipping[src.item_id]))
            for n, src in enumerate(data.lines)
        ]
        rows.append((order, lines))
    with transaction.atomic():
        Order.objects.bulk_create([order for order, _ in rows])
        for order, lines in rows:
            for line in lines:
                line.order = order
        OrderLine.objects.bulk_create([line for _, lines in rows for line in lines])
        # Mirrored a minute after Magento made it, as the copies (auto_now_add said "now").
        Order.objects.filter(id__in=[order.pk for order, _ in rows]).update(
            created_at=F("magento_created_at") + timedelta(minutes=1),
            updated_at=F("magento_updated_at"),
        )


def _json_values(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON columns as expressions, so bulk_create inserts rows rather than UNNEST(arrays):
    psycopg quotes every array element with a regex, ~1 ms per 10 kB Magento order."""
    from django.db.models import JSONField, Value

    names = ("raw", "shipping_address", "billing_address")
    return {name: Value(fields[name], output_field=JSONField()) for name in names}


def _progress(order: Any, shippable: bool) -> None:
    """What Omni would have done with the order by now."""
    from channel.models import OrderLifecycle

    created = order.magento_created_at
    if shippable:
        order.pushed_to_omni_at = created + timedelta(minutes=1)
    if order.magento_state == "canceled":
        order.lifecycle = OrderLifecycle.CANCELLED
    elif order.magento_state == "complete":
        order.lifecycle = OrderLifecycle.FULFILLED
    elif order.magento_state == "processing":
        order.lifecycle = OrderLifecycle.IN_FULFILMENT
    if order.lifecycle != OrderLifecycle.NEW:
        order.acknowledged_at = created + timedelta(minutes=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--templates", type=int, default=2000, help="older orders by the fake")
    parser.add_argument(
        "--recent-templates",
        type=int,
        default=500,
        help=f"orders by the fake in each of the age groups under {RECENT_DAYS} and under"
        f" {NEW_DAYS} days (the others are copies); 0: the fake makes every recent order",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="database connections loading at once (PostgreSQL)"
    )
    parser.add_argument("--reset", action="store_true", help="drop, create and migrate first")
    parser.add_argument(
        "--related", action="store_true", help="add calls, events, operations, shipments, …"
    )
    parser.add_argument(
        "--lean", action="store_true", help="--related without history, idempotency, attempts"
    )
    args = parser.parse_args()
    print(f"# load average at start: {common.load_average()}")
    from bench import related_data
    from bench.related_data import phase, report_phases

    related_data.WORKERS = args.workers

    if args.reset:
        with phase("drop, create, migrate"):
            common.reset_database()
    common.setup_django()
    started = time.monotonic()
    found = generate(
        args.count,
        per_day=args.per_day,
        seed=args.seed,
        templates=args.templates,
        recent_templates=args.recent_templates or None,
    )
    print(f"{args.count} orders in {time.monotonic() - started:.0f} s into {common.database_url()}")
    if args.related:
        related_data.generate(started, template=template_sql(found, "o.id"), lean=args.lean)
        print(f"related rows done in {time.monotonic() - started:.0f} s")
    report_phases()
    print(f"# load average at the end: {common.load_average()}")


if __name__ == "__main__":
    main()
