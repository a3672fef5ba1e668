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

Fast at a million (PostgreSQL): the newest ``--recent-days`` days of orders and ``--templates``
older ones are made by the fake Magento as above; every other (older) order is a copy of one of
those templates made in SQL (``INSERT … SELECT … FROM generate_series``) with its own ids, codes,
e-mail, phone and times (its ``raw`` JSON is the template's, ids included: nothing reads it).

``--related`` (PostgreSQL) then adds, per order, what the proxy keeps of its life, in SQL, in
chunks: 11 call records (Omni's calls in, the proxy's calls to Magento and Omni, bodies of
realistic sizes, Magento's order JSON among them), 6 audit events, 3 operations with their
attempt, 4 idempotency records, 1 shipment (with its lines, AWB and manifest entry; one manifest a
day), 1 invoice (with a Magento invoice JSON), history rows (2 of the order, 2 of the shipment, 1
of the invoice) and, for 3 % of orders, a return of one unit.

    .venv/bin/python bench/generate_orders.py --count 100000 [--per-day 500] [--reset] [--related]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BATCH = 1000


def generate(
    count: int,
    *,
    per_day: int = 500,
    seed: int = 1,
    end: datetime | None = None,
    templates: int = 2000,
    recent_days: float = 10,
) -> None:
    """Add ``count`` orders to the mirror, the newest created just before ``end`` (now)."""
    from django.db import connection

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
    recent = recent_count(count, per_day, recent_days) if postgresql else count
    older = count - recent  # made from templates when there are more than `templates`
    made = min(older, templates)
    started = time.monotonic()
    _simulate(sim, rng, range(0, made), first, spacing, end, started)
    with ExitStack() as stack:
        if older > made:
            from bench.related_data import without_indexes

            stack.enter_context(without_indexes(["channel_order", "channel_orderline"]))
            clone_orders(made, older, spacing=spacing, prefix=sim.increment_prefix, started=started)
        sim._ids["order"] = itertools.count(older + 1)  # entity_id = position + 1, as the copies
        _simulate(sim, rng, range(older, count), first, spacing, end, started)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("VACUUM ANALYZE channel_order")
            cursor.execute("VACUUM ANALYZE channel_orderline")


def recent_count(count: int, per_day: int, recent_days: float) -> int:
    """How many of the newest orders the fake Magento makes (the others are copies)."""
    return min(count, int(per_day * recent_days))


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


def clone_orders(templates: int, stop: int, *, spacing: float, prefix: str, started: float) -> None:
    """Orders at positions templates..stop-1 as copies of the first ``templates`` (PostgreSQL),
    each with its own ids, codes, e-mail, phone and times; ids continue the sequence after."""
    from django.conf import settings
    from django.db import connection, transaction

    code = "o.new_id::text" if settings.ORDER_CODE_FIELD == "entity_id" else "o.new_increment"
    for low in range(templates, stop, CLONE_CHUNK):
        high = min(stop, low + CLONE_CHUNK) - 1
        params = {"low": low, "high": high, "t": templates, "spacing": spacing, "prefix": prefix}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLONE_ORDERS.replace("{code_new}", code), params)
            cursor.execute(CLONE_LINES, params)
        print(f"  {high + 1} orders, copies ({time.monotonic() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('channel_order_id_seq', %s)", [stop])


CLONE_CHUNK = 50_000
# Order n (0-based) is a copy of template n % t, moved in time by whole template cycles.
CLONE_ORDERS = """
WITH src AS (
    SELECT n, t.*, make_interval(secs => (n - n %% %(t)s) * %(spacing)s) AS d
    FROM generate_series(%(low)s, %(high)s) AS n
    JOIN channel_order t ON t.id = n %% %(t)s + 1
), o AS (
    SELECT src.*, n + 1 AS new_id, %(prefix)s || lpad((n + 1)::text, 9, '0') AS new_increment
    FROM src
)
INSERT INTO channel_order (
    id, entity_id, increment_id, order_code, store_id, magento_state, magento_status,
    magento_created_at, magento_updated_at, customer_email, customer_name, is_guest,
    payment_method, currency, grand_total, shipping_incl_tax, shipping_address, billing_address,
    location_code, lifecycle, acknowledged_at, pushed_to_omni_at, data_errors, notes, raw,
    fetched_at, created_at, updated_at
)
SELECT
    o.new_id, o.new_id, o.new_increment, {code_new}, o.store_id, o.magento_state,
    o.magento_status, o.magento_created_at + o.d, o.magento_updated_at + o.d,
    split_part(o.customer_email, '@', 1) || '.' || (o.n %% 250000) || '@'
        || split_part(o.customer_email, '@', 2),
    o.customer_name, o.is_guest, o.payment_method, o.currency, o.grand_total,
    o.shipping_incl_tax,
    jsonb_set(o.shipping_address, '{phone}',
              to_jsonb('9' || lpad(((o.n::bigint * 7919) %% 1000000000)::text, 9, '0'))),
    o.billing_address, o.location_code, o.lifecycle, o.acknowledged_at + o.d,
    o.pushed_to_omni_at + o.d, o.data_errors, o.notes, o.raw, o.fetched_at,
    o.magento_created_at + o.d + interval '1 minute', o.magento_updated_at + o.d
FROM o
"""
CLONE_LINES = """
INSERT INTO channel_orderline (
    order_id, item_id, magento_item_id, parent_item_id, position, sku, name, product_type,
    qty_ordered, qty_canceled, qty_invoiced, qty_shipped, qty_refunded, qty_cancelled_by_omni,
    qty_packed, qty_handed_over, selling_price_per_unit, discount_per_unit,
    shipping_charge_per_unit, price_excl_tax, tax_percent, tax_amount, row_total_incl_tax
)
SELECT
    n + 1, 100000000 + (n + 1) * 32 + l.position, 100000000 + (n + 1) * 32 + l.position,
    CASE WHEN l.parent_item_id IS NULL THEN NULL ELSE 100000000 + (n + 1) * 32 + l.position END,
    l.position, l.sku, l.name, l.product_type, l.qty_ordered, l.qty_canceled, l.qty_invoiced,
    l.qty_shipped, l.qty_refunded, l.qty_cancelled_by_omni, l.qty_packed, l.qty_handed_over,
    l.selling_price_per_unit, l.discount_per_unit, l.shipping_charge_per_unit, l.price_excl_tax,
    l.tax_percent, l.tax_amount, l.row_total_incl_tax
FROM generate_series(%(low)s, %(high)s) AS n
JOIN channel_orderline l ON l.order_id = n %% %(t)s + 1
"""


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
        sim.ship(entity_id)
    elif age < 10 and roll < 0.90:
        sim.invoice(entity_id)
    else:
        sim.cancel(entity_id)
    return sim.get_order(entity_id)


def _forget(sim: Any) -> None:
    """Keep the fake's memory flat: this batch is in the database now."""
    for store in (sim.orders, sim.invoices, sim.shipments, sim.creditmemos):
        store.clear()


def _store(raws: list[dict], end: datetime) -> None:
    from django.db import transaction

    from channel.models import Order, OrderLine
    from channel.services import mapping
    from channel.services.orders import line_values

    rows: list[tuple[Order, list[OrderLine]]] = []
    for raw in raws:
        data = mapping.map_order(raw)
        order = Order(
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
    parser.add_argument("--recent-days", type=float, default=10, help="newest days by the fake")
    parser.add_argument("--reset", action="store_true", help="drop, create and migrate first")
    parser.add_argument(
        "--related", action="store_true", help="add calls, events, operations, shipments, …"
    )
    parser.add_argument(
        "--lean", action="store_true", help="--related without history, idempotency, attempts"
    )
    args = parser.parse_args()
    print(f"# load average at start: {common.load_average()}")
    if args.reset:
        common.reset_database()
    common.setup_django()
    started = time.monotonic()
    generate(
        args.count,
        per_day=args.per_day,
        seed=args.seed,
        templates=args.templates,
        recent_days=args.recent_days,
    )
    print(f"{args.count} orders in {time.monotonic() - started:.0f} s into {common.database_url()}")
    if args.related:
        from bench import related_data

        copies_end = max(0, args.count - recent_count(args.count, args.per_day, args.recent_days))
        templates = min(args.templates, copies_end)
        related_data.generate(started, templates=templates, copies_end=copies_end, lean=args.lean)
        print(f"related rows done in {time.monotonic() - started:.0f} s")
    print(f"# load average at the end: {common.load_average()}")


if __name__ == "__main__":
    main()
