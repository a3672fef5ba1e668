"""Mirror reads at scale: GET /api/omni/orders with 1,000 and 100,000 orders on PostgreSQL.

For each size: a fresh benchmark database, ``bench/generate_orders.py`` (500 orders a day ending
now, so the newest days are alike at every size), the proxy under gunicorn (one sync worker, as in
production), then ``--requests`` timed calls per query shape over HTTP. Prints the medians, the
number of SQL queries one page costs, and EXPLAIN ANALYZE of each of them (``--plans``).

The goal shape is Omni's poll: ``status=pending,processing`` created in the last two days, page 1
of 50. The others show where the cost goes when a query spans the whole history.

    .venv/bin/python bench/mirror_reads.py [--sizes 1000,100000] [--requests 50] [--plans]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.generate_orders import generate

GOAL = "recent"


def shapes(now: datetime) -> dict[str, dict[str, str]]:
    recent = {
        "status": "pending,processing",
        "createdFrom": (now - timedelta(days=2)).isoformat(),
        "createdTo": now.isoformat(),
    }
    return {
        GOAL: recent,
        "recent, last page": {**recent, "page": "LAST"},
        "default statuses, no dates": {},
        "status=complete, no dates": {"status": "complete"},
        "status=complete, page 1000": {"status": "complete", "page": "1000"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN ANALYZE of each query")
    parser.add_argument("--profile", help="write a py-spy profile of the goal shape to this file")
    common.quiet_option(parser)
    args = parser.parse_args()
    common.header("Mirror reads: GET /api/omni/orders", args.wait_quiet)
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        results[size] = measure(size, args)
    summary(sizes, results)


def measure(size: int, args: argparse.Namespace) -> dict[str, float]:
    common.reset_database()
    common.setup_django()
    from django.db import connection

    from channel.apikeys import api_key_create
    from channel.models import ApiKeyScope

    connection.close()
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.monotonic()
    generate(size, end=now)
    print(f"\n## {size} orders (generated in {time.monotonic() - started:.0f} s)")
    _, key = api_key_create(name="bench", scope=ApiKeyScope.OMNI)
    medians: dict[str, float] = {}
    import requests

    session = requests.Session()
    session.headers["X-Api-Key"] = key
    with common.gunicorn(common.base_env()) as proxy:
        for name, params in shapes(now).items():
            params = _resolve(params, session, proxy.url)
            url = f"{proxy.url}/api/omni/orders?{urlencode(params)}"
            for _ in range(5):  # warm up the worker and PostgreSQL's buffers
                _get(session, url)
            profile = args.profile if name == GOAL and size == max(_sizes(args)) else None
            with common.profiled(proxy.pid, profile):
                times, body = [], {}
                for _ in range(args.requests):
                    elapsed, body = _get(session, url)
                    times.append(elapsed)
            medians[name] = common.median_ms(times)
            print(
                f"{name:30} median {medians[name]:6.1f} ms  p90 "
                f"{common.percentile_ms(times, 90):6.1f} ms  totalCount {body['totalCount']:6}"
                f"  orders {len(body['orders']):3}  {_queries(key, params, plans=False)} queries"
            )
            if args.plans and name in (GOAL, "status=complete, no dates"):
                _queries(key, params, plans=True)
    connection.close()
    return medians


def _sizes(args: argparse.Namespace) -> list[int]:
    return [int(size) for size in args.sizes.split(",")]


def _resolve(params: dict[str, str], session: object, base: str) -> dict[str, str]:
    """Turn page=LAST into the last page's number."""
    if params.get("page") != "LAST":
        return params
    first = {k: v for k, v in params.items() if k != "page"}
    _, body = _get(session, f"{base}/api/omni/orders?{urlencode(first)}")
    return {**first, "page": str(max(1, math.ceil(body["totalCount"] / 50)))}


def _get(session: object, url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = session.get(url, timeout=30)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed, answer.json()


def _queries(key: str, params: dict[str, str], *, plans: bool) -> int:
    """Run the page in-process, count its SQL, and EXPLAIN ANALYZE the reads if asked."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_X_API_KEY=key).get("/api/omni/orders", params)
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"channel_order' in q["sql"]
    ]
    if plans:
        with connection.cursor() as cursor:
            for sql in reads:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                print("\n```")
                print(sql if len(sql) < 400 else sql[:200] + " … " + sql[-180:])
                print("\n".join(row[0] for row in cursor.fetchall()))
                print("```")
    return len(captured.captured_queries)


def summary(sizes: list[int], results: dict[int, dict[str, float]]) -> None:
    print("\n## Summary (median ms)")
    print("| query | " + " | ".join(f"{size:,} orders" for size in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in results[sizes[0]]:
        cells = " | ".join(f"{results[size][name]:.1f}" for size in sizes)
        print(f"| {name} | {cells} |")
    small, large = results[min(sizes)][GOAL], results[max(sizes)][GOAL]
    print(
        f"\ngoal shape at {max(sizes):,}: {large:.1f} ms (goal <= 30 ms), "
        f"{large / small:.2f} x its time at {min(sizes):,} (goal <= 1.5 x)"
    )


if __name__ == "__main__":
    main()
