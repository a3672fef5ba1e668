"""Fill the mirror with realistic orders and lines, fast (bulk_create), for the read benchmarks.

Each order is made by the fake Magento (``channel.simulators``: Indian webshop catalog, customers,
addresses, COD / prepaid, simple, configurable and bundle lines, GST-inclusive prices), moved along
the way a real shop's orders move with age, mapped by the proxy's own ``channel.mapping`` and
written straight into ``channel_order`` / ``channel_orderline`` in batches. The orders arrive at
``--per-day`` a day and end now, so the newest days look the same whatever ``--count`` is:

* under 2 days old: pending 60 %, processing (invoiced) 33 %, on hold 2 %, cancelled 5 %
* 2 to 10 days old: complete (invoiced + shipped) 75 %, processing 15 %, cancelled 10 %
* older: complete 90 %, cancelled 10 %

The proxy's own progress follows (pushed to Omni, acknowledged, fulfilled). No history rows,
audit events or outbox operations are written: the read endpoints do not touch them.

    .venv/bin/python bench/generate_orders.py --count 100000 [--per-day 500] [--reset]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BATCH = 1000


def generate(count: int, *, per_day: int = 500, seed: int = 1, end: datetime | None = None) -> None:
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
    started = time.monotonic()
    for batch_start in range(0, count, BATCH):
        raws = []
        for n in range(batch_start, min(count, batch_start + BATCH)):
            created = first + timedelta(seconds=spacing * n + rng.uniform(0, spacing))
            raws.append(_magento_order(sim, rng, created, end))
        _store(raws, end)
        _forget(sim)
        done = min(count, batch_start + BATCH)
        if done % 10_000 == 0 or done == count:
            print(f"  {done} orders ({time.monotonic() - started:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("VACUUM ANALYZE channel_order")
            cursor.execute("VACUUM ANALYZE channel_orderline")


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
    parser.add_argument("--reset", action="store_true", help="drop, create and migrate first")
    args = parser.parse_args()
    if args.reset:
        common.reset_database()
    common.setup_django()
    started = time.monotonic()
    generate(args.count, per_day=args.per_day, seed=args.seed)
    print(f"{args.count} orders in {time.monotonic() - started:.0f} s into {common.database_url()}")


if __name__ == "__main__":
    main()
