"""Benchmark: how fast an inventory push answers against a Magento 50 ms away (200 SKUs, or a
whole catalog of 50,000 in Omni's calls of 200), and the reconciliation reading them all back.

Drives the real view (Django's test client → PUT /api/omni/inventory) with the real Magento client
and real HTTP to the fake Magento on a loopback server (simulators.base.serve) that sleeps
`--latency` per call. The fake runs in a child process, as a real Magento would, so its own CPU
does not compete with the proxy's for one interpreter lock. Prints the figures and exits 1 when a
mode misses its target:

- legacy: at most 1.3 × (SKUs / INVENTORY_CONCURRENCY × latency)
- MSI:    at most 1.3 × (chunks × latency) for one call; for a catalog in calls of `--batch`:
          1.3 × calls × ⌈chunks per call / INVENTORY_CONCURRENCY⌉ × latency
- `--reconcile`: the reconciliation of every SKU pushed, at most 1.3 × the bound its reads set
  (one salable-quantity read per 50 SKUs, INVENTORY_CONCURRENCY at a time)

Peak RSS of this process (the proxy's side: view, ledger, call records) is printed at the end.

    .venv/bin/python bench/inventory.py [--runs 5] [--latency 0.05] [--skus 200]
                                        [--open-orders 5000]

The mirror holds `--open-orders` orders pushed to Omni and not shipped (3 lines each, over the
bench's SKUs), so every push pays the reservation lookup (contract 8.1) as a shop with that many
open orders would; its own cost is printed too.

    .venv/bin/python bench/inventory.py --skus 50000 --batch 200 --runs 1 --reconcile

Uses a throw-away SQLite file unless DATABASE_URL is set (e.g. a PostgreSQL scratch database).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = tempfile.mkdtemp(prefix="bench-inventory-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}/bench.sqlite3")
os.environ.setdefault("PROXY_VAR_DIR", SCRATCH)
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from channel.models import ApiKeyScope  # noqa: E402
from channel.services.apikeys import api_key_create  # noqa: E402
from simulators.base import serve  # noqa: E402
from simulators.magento import MagentoSimulator  # noqa: E402

TOKEN = "bench-integration-token"
FAILURES: list[int] = []  # SKUs a timed push answered in its failureList


def run_fake_magento(
    skus: list[str], latency: float, conn: multiprocessing.connection.Connection
) -> None:
    """Child process: the fake Magento on loopback until the parent says stop."""
    import http.server
    import socketserver

    # Tuned like a real web server (nginx: tcp_nodelay on, listen backlog 511). Without
    # TCP_NODELAY, headers and body leave in two segments and Nagle's algorithm plus the client's
    # delayed ACK add ~40 ms to every call; with Python's default backlog of 5, eight connections
    # opened at once can overflow it and a dropped SYN costs a 1 s retransmit.
    http.server.BaseHTTPRequestHandler.disable_nagle_algorithm = True
    socketserver.TCPServer.request_queue_size = 128
    sim = MagentoSimulator()
    sim.integration_tokens.add(TOKEN)
    for sku in skus:
        sim.add_product(sku, qty=0)
    sim.latency_seconds = latency
    with serve(sim) as server:
        conn.send(server.base_url)
        conn.recv()
    os._exit(0)  # skip the parent's atexit handlers and inherited database connections


def seed_open_orders(count: int, skus: list[str]) -> None:
    """`count` open orders Omni already has, 3 lines each, in the mirror (no Magento needed)."""
    from decimal import Decimal

    from django.utils import timezone

    from channel.models import Order, OrderLine

    now = timezone.now()
    orders = Order.objects.bulk_create(
        [
            Order(
                entity_id=900_000 + n,
                increment_id=f"B{n:08d}",
                order_code=f"B{n:08d}",
                magento_state="processing",
                magento_status="processing",
                magento_created_at=now,
                magento_updated_at=now,
                grand_total=Decimal("100"),
                location_code="WH1" if n % 2 else "",
                pushed_to_omni_at=now,
            )
            for n in range(count)
        ],
        batch_size=500,
    )
    lines = [
        OrderLine(
            order=order,
            item_id=(900_000 + n) * 10 + k,
            magento_item_id=(900_000 + n) * 10 + k,
            position=k,
            sku=skus[(n * 3 + k) % len(skus)],
            product_type="simple",
            qty_ordered=1 + k,
        )
        for n, order in enumerate(orders)
        for k in range(3)
    ]
    OrderLine.objects.bulk_create(lines, batch_size=1000)


def measure_lookup(skus: list[str], runs: int = 20) -> list[float]:
    """The reservation lookup alone, as one push does it (one query for all its SKUs)."""
    from channel.services.inventory import reserved_units

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        reserved_units(skus, "WH1")
        times.append(time.perf_counter() - started)
    return times


def push_once(client: Client, skus: list[str], run: int, batch: int) -> tuple[float, dict]:
    """Push every SKU in calls of `batch` (as Omni does), one call after the other."""
    failures: list[str] = []
    started = time.perf_counter()
    for start in range(0, len(skus), batch):
        body = {
            "locationCode": "WH1",
            "inventories": [
                {"channelSkuCode": s, "quantity": run * 10 + n % 7}
                for n, s in enumerate(skus[start : start + batch])
            ],
        }
        response = client.put(
            "/api/omni/inventory", json.dumps(body), content_type="application/json"
        )
        if response.status_code != 200:
            raise SystemExit(
                f"inventory push answered {response.status_code}: {response.content!r}"
            )
        failures += response.json()["failureList"]
    return time.perf_counter() - started, {"failureList": failures}


def measure(client: Client, skus: list[str], runs: int, first_run: int, batch: int) -> list[float]:
    push_once(client, skus[:batch], first_run, batch)  # warm-up: imports, connections
    times = []
    for run in range(first_run + 1, first_run + 1 + runs):
        elapsed, body = push_once(client, skus, run, batch)
        if body["failureList"]:  # e.g. late: written by the background retry instead
            failed = body["failureList"]
            print(f"  {len(failed)} SKU(s) in failureList: {failed[:5]}", flush=True)
            FAILURES.append(len(failed))
        times.append(elapsed)
    return times


def reconcile(skus: int, mode: str, latency: float) -> bool:
    """Read every pushed SKU back from Magento; its bound is set by the reads' number."""
    from channel.services.inventory import stock_reconcile

    concurrency = settings.INVENTORY_CONCURRENCY
    reads = math.ceil(skus / 50)  # salable quantities, 50 SKUs a read, in both modes (8.1)
    bound = math.ceil(reads / concurrency) * latency
    started = time.perf_counter()
    report = stock_reconcile(hours=24, limit=skus)
    elapsed = time.perf_counter() - started
    ok = elapsed <= 1.3 * bound and report.checked == skus and not report.errors
    print(
        f"{mode:6}  reconcile {report.checked} SKUs, {reads} reads  "
        f"target ≤ {1.3 * bound * 1000:6.0f} ms"
        f"  took {elapsed * 1000:6.0f} ms ({elapsed / bound:.2f} × the bound)"
        f"  {'OK' if ok else 'TOO SLOW' if report.checked == skus else 'INCOMPLETE'}",
        flush=True,
    )
    return ok


def describe(args: argparse.Namespace) -> str:
    cpu = platform.processor() or platform.machine()
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return (
        f"inventory push of {args.skus} SKUs, Magento latency {args.latency * 1000:.0f} ms/call, "
        f"{args.runs} runs after a warm-up; {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {database}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def report(mode: str, times: list[float], target: float, detail: str) -> bool:
    median = statistics.median(times)
    ok = median <= target
    print(
        f"{mode:6}  {detail:34}  target ≤ {target * 1000:6.0f} ms  "
        f"median {median * 1000:6.0f} ms  min {min(times) * 1000:6.0f}  "
        f"max {max(times) * 1000:6.0f}  ({median / (target / 1.3):.2f} × the bound)  "
        f"{'OK' if ok else 'TOO SLOW'}",
        flush=True,
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Magento call")
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--open-orders", type=int, default=5000, help="open pushed orders")
    parser.add_argument("--batch", type=int, help="SKUs per call (default: all in one call)")
    parser.add_argument("--reconcile", action="store_true", help="then read every SKU back")
    parser.add_argument("--modes", default="legacy,msi")
    args = parser.parse_args()
    batch = args.batch or args.skus
    calls = math.ceil(args.skus / batch)
    print(f"# load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

    call_command("migrate", verbosity=0)
    skus = [f"BENCH-{n:05d}" for n in range(args.skus)]
    from channel.models import Order

    if not Order.objects.filter(increment_id__startswith="B").exists():
        seed_open_orders(args.open_orders, skus)
    parent, child = multiprocessing.get_context("fork").Pipe()
    fake = multiprocessing.get_context("fork").Process(
        target=run_fake_magento, args=(skus, args.latency, child), daemon=True
    )
    fake.start()
    try:
        settings.MAGENTO_BASE_URL = f"{parent.recv()}/rest/default"
        settings.MAGENTO_AUTH_MODE = "bearer"
        settings.MAGENTO_TOKEN = TOKEN
        client = Client(HTTP_X_API_KEY=api_key_create(name="bench", scope=ApiKeyScope.OMNI)[1])
        concurrency = settings.INVENTORY_CONCURRENCY
        chunk = min(settings.MAGENTO_SOURCE_ITEMS_CHUNK, settings.MAGENTO_INPUT_LIMIT)

        print(describe(args))
        lookup = sorted(measure_lookup(skus))
        print(
            f"reservation lookup for {args.skus} SKUs over {args.open_orders} open orders "
            f"(one query): median {statistics.median(lookup) * 1000:.1f} ms, "
            f"max {lookup[-1] * 1000:.1f} ms"
        )
        ok = True
        if "legacy" in args.modes:
            settings.MAGENTO_STOCK_MODE = "legacy"
            legacy = measure(client, skus, args.runs, first_run=0, batch=batch)
            rounds = calls * math.ceil(batch / concurrency)
            legacy_target = 1.3 * rounds * args.latency
            detail = f"{calls} call(s), concurrency {concurrency} → {rounds} rounds"
            ok = report("legacy", legacy, legacy_target, detail)
            if args.reconcile:
                ok = reconcile(args.skus, "legacy", args.latency) and ok

        if "msi" in args.modes:
            settings.MAGENTO_STOCK_MODE = "msi"
            settings.MAGENTO_SOURCE_MAP = {"WH1": "default"}
            msi = measure(client, skus, args.runs, first_run=100, batch=batch)
            chunks = math.ceil(batch / chunk)
            if calls == 1:
                msi_target = 1.3 * chunks * args.latency
                detail = f"{chunks} chunks of ≤ {chunk}"
            else:
                msi_target = 1.3 * calls * math.ceil(chunks / concurrency) * args.latency
                detail = f"{calls} calls × {chunks} chunks of ≤ {chunk}"
            ok = report("msi", msi, msi_target, detail) and ok
            if args.reconcile:
                ok = reconcile(args.skus, "msi", args.latency) and ok
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the proxy's side (this process): {rss:.0f} MB (goal ≤ 300 MB)")
        ok = ok and rss <= 300 and not FAILURES
    finally:
        parent.send("stop")
        fake.join(timeout=10)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
