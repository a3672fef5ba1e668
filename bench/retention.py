"""Retention while serving: the API's latency while `retention_run` deletes in batches.

Runs against an existing, migrated PostgreSQL database full of history (``BENCH_DATABASE_URL``,
e.g. a copy of the one ``bench/generate_orders.py --related`` made; the script deletes from it).
The proxy runs under gunicorn (production settings); a loopback fake Magento answers
``GET /V1/orders/{id}`` with each order's own stored JSON after ``--magento-latency``; ``--clients``
threads read ``GET /api/omni/orders/{code}`` (which refreshes the order from Magento and writes
two call records) over ``--orders`` recent orders, each waiting ``--think`` seconds between
requests. First ``--baseline`` seconds without retention, then one ``retention_run`` in its own
process (the ``RETENTION_*`` settings of the environment, e.g. shorter windows so that the
generated data is old enough) while the reads go on. Prints the reads' p50/p95/p99 in both
phases (goal: p99 < 1 s during retention), what retention removed, and its statements' times.

    BENCH_DATABASE_URL=postgres://…/copy RETENTION_CALL_RECORDS_DAYS=30 \\
        .venv/bin/python bench/retention.py [--clients 4] [--baseline 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

RETENTION_VARS = [
    "RETENTION_CALL_BODIES_DAYS",
    "RETENTION_CALL_RECORDS_DAYS",
    "RETENTION_AUDIT_DAYS",
    "RETENTION_IDEMPOTENCY_DAYS",
    "RETENTION_BATCH_SIZE",
]


# --- the retention child process -----------------------------------------------------------------
def child(budget: float) -> None:
    """Run one retention pass and print (JSON) its report and each statement's time."""
    common.setup_django()
    from django.db import connection

    from channel.services import retention

    statements: list[tuple[str, float]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql.split(None, 1)[0].upper(), time.perf_counter() - started))

    started = time.monotonic()
    with connection.execute_wrapper(timed):
        report = retention.retention_run(seconds=budget)
    seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "report": str(report),
                "counts": report.counts,
                "complete": report.complete,
                "seconds": seconds,
                "statements": statements,
            }
        )
    )


# --- the fake Magento: each order's stored JSON --------------------------------------------------
def fake_magento(raws: dict[int, dict], latency: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(latency)
            raw = raws.get(int(self.path.rstrip("/").rsplit("/", 1)[-1] or 0))
            body = json.dumps(raw if raw else {"message": "not found"}).encode()
            self.send_response(200 if raw else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the readers ---------------------------------------------------------------------------------
class Readers:
    def __init__(self, url: str, key: str, codes: list[str], clients: int, think: float) -> None:
        self.url, self.key, self.codes, self.think = url, key, codes, think
        self.samples: list[tuple[float, float, int, bool]] = []  # start, seconds, status, stale
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _run(self, n: int) -> None:
        import requests

        session = requests.Session()
        session.headers["X-Api-Key"] = self.key
        i = n
        while not self.stop.is_set():
            code = self.codes[i % len(self.codes)]
            i += len(self.threads)
            started = time.monotonic()
            try:
                answer = session.get(f"{self.url}/api/omni/orders/{code}", timeout=30)
                status, stale = answer.status_code, bool(answer.json().get("stale"))
            except Exception:
                status, stale = 0, False
            self.samples.append((started, time.monotonic() - started, status, stale))
            time.sleep(self.think)

    def between(self, start: float, end: float) -> list[tuple[float, float, int, bool]]:
        return [s for s in self.samples if start <= s[0] < end]


def summary(label: str, samples: list[tuple[float, float, int, bool]], seconds: float) -> str:
    if not samples:
        return f"{label}: no request"
    times = [s[1] for s in samples]
    errors = sum(1 for s in samples if s[2] != 200)
    stale = sum(1 for s in samples if s[3])
    p50, p95, p99 = (common.percentile_ms(times, pct) for pct in (50, 95, 99))
    return (
        f"{label}: {len(samples)} requests ({len(samples) / seconds:.1f}/s), p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, p99 {p99:.0f} ms, max {max(times) * 1000:.0f} ms; "
        f"errors {errors}, stale {stale}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--think", type=float, default=0.05, help="seconds between a client's reads"
    )
    parser.add_argument("--orders", type=int, default=200, help="distinct orders read")
    parser.add_argument("--baseline", type=float, default=20)
    parser.add_argument("--budget", type=float, default=1800, help="retention_run(seconds=…)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--magento-latency", type=float, default=0.02)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    common.quiet_option(parser)
    args = parser.parse_args()
    if args.child:
        child(args.budget)
        return
    common.header("Retention while serving: GET /api/omni/orders/{code}", args.wait_quiet)
    print(
        "retention settings: "
        + ", ".join(f"{v}={os.environ.get(v, '(default)')}" for v in RETENTION_VARS)
    )
    common.setup_django()
    from django.db import connection

    from channel.models import ApiKeyScope, Order
    from channel.services.apikeys import api_key_create

    _, key = api_key_create(name="bench-retention", scope=ApiKeyScope.OMNI)
    newest = Order.objects.order_by("-magento_created_at").values_list(
        "order_code", "entity_id", "raw"
    )
    picked = list(newest[: args.orders])
    raws = {entity_id: raw for _, entity_id, raw in picked}
    codes = [code for code, _, _ in picked]
    print(f"tables before: {_counts()}")
    connection.close()
    magento = fake_magento(raws, args.magento_latency)
    env = common.base_env(MAGENTO_BASE_URL=f"http://127.0.0.1:{magento.server_port}/rest/default")
    with common.gunicorn(env, workers=args.workers) as proxy:
        readers = Readers(proxy.url, key, codes, args.clients, args.think)
        readers.start()
        time.sleep(3)  # warm-up, not counted
        base_start = time.monotonic()
        time.sleep(args.baseline)
        ret_start = time.monotonic()
        print(f"retention starts; load {common.load_average()}", flush=True)
        done = subprocess.run(
            [common.PYTHON, "bench/retention.py", "--child", "--budget", str(args.budget)],
            cwd=common.ROOT,
            env=common.base_env(),
            capture_output=True,
            text=True,
        )
        ret_end = time.monotonic()
        load = common.load_average()
        readers.join()
    magento.shutdown()
    if done.returncode:
        raise SystemExit(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        summary(
            "reads before retention", readers.between(base_start, ret_start), ret_start - base_start
        )
    )
    during = readers.between(ret_start, ret_end)
    print(summary("reads during retention", during, ret_end - ret_start))
    p99 = common.percentile_ms([s[1] for s in during], 99) if during else float("nan")
    print(
        f"p99 during retention {p99:.0f} ms (goal < 1000 ms): {'MET' if p99 < 1000 else 'MISSED'}"
    )
    report_retention(result)
    print(f"tables after: {_counts()}")
    print(f"load average at the end of retention: {load}")


def report_retention(result: dict) -> None:
    print(f"{result['report']}; complete: {result['complete']}; took {result['seconds']:.1f} s")
    by_kind: dict[str, list[float]] = {}
    for kind, seconds in result["statements"]:
        by_kind.setdefault(kind, []).append(seconds)
    for kind, times in sorted(by_kind.items()):
        print(
            f"  {kind}: {len(times)} statements, {sum(times):.1f} s in all, median "
            f"{common.median_ms(times):.0f} ms, p99 {common.percentile_ms(times, 99):.0f} ms, "
            f"max {max(times) * 1000:.0f} ms"
        )


def _counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in ("channel_callrecord", "channel_auditevent", "channel_idempotencyrecord"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


if __name__ == "__main__":
    main()
