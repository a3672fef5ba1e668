"""Bytes per order for everything the proxy stores, and the steady size of a shop's database.

Reads ``pg_total_relation_size`` (table + TOAST + indexes) of every table of a database filled by
``bench/generate_orders.py --related`` (PostgreSQL), divides by the number of orders, and
projects the size of a shop with ``--orders-per-day`` orders a day: call records kept
``--call-days`` days and audit events ``--audit-days`` days (the retention schedule), every
other table kept (it grows by its bytes per order, stated per year).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_i20_100k \\
        .venv/bin/python bench/storage.py [--orders-per-day 10000] [--call-days 90] \\
        [--audit-days 365]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

# Tables whose rows the retention schedule deletes after a number of days (option name).
RETAINED = {"channel_callrecord": "call_days", "channel_auditevent": "audit_days"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-day", type=int, default=10_000)
    parser.add_argument("--call-days", type=int, default=90)
    parser.add_argument("--audit-days", type=int, default=365)
    args = parser.parse_args()
    common.header("Storage: bytes per order")
    common.setup_django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM channel_order")
        orders = cursor.fetchone()[0]
        cursor.execute(
            """SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid),
                pg_relation_size(c.oid), pg_indexes_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
            ORDER BY pg_total_relation_size(c.oid) DESC"""
        )
        tables = cursor.fetchall()
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
    if not orders:
        raise SystemExit("no orders")
    print(f"# {orders} orders; database {database / 2**30:.2f} GiB")
    print(f"{'table':32} {'rows':>11} {'rows/order':>10} {'total MiB':>10} {'bytes/order':>11}")
    per_order_kept = per_order_calls = per_order_events = 0.0
    for name, rows, total, _, _ in tables:
        per_order = total / orders
        if per_order < 1:
            continue
        print(f"{name:32} {rows:11d} {rows / orders:10.2f} {total / 2**20:10.1f} {per_order:11.0f}")
        if name == "channel_callrecord":
            per_order_calls = per_order
        elif name == "channel_auditevent":
            per_order_events = per_order
        else:
            per_order_kept += per_order
    every = per_order_kept + per_order_calls + per_order_events
    print(f"{'all tables':32} {'':11} {'':10} {'':10} {every:11.0f}")
    daily = args.orders_per_day
    calls = per_order_calls * daily * args.call_days
    events = per_order_events * daily * args.audit_days
    year = per_order_kept * daily * 365
    gib = 2**30
    print(
        f"# {daily} orders/day: call records kept {args.call_days} days = {calls / gib:.1f} GiB, "
        f"audit events kept {args.audit_days} days = {events / gib:.1f} GiB (steady); "
        f"everything else {per_order_kept:.0f} bytes/order = {year / gib:.1f} GiB per year "
        f"(kept: grows)"
    )
    print(
        f"# after one year: {(calls + events + year) / gib:.1f} GiB; "
        f"each further year +{year / gib:.1f} GiB"
    )


if __name__ == "__main__":
    main()
