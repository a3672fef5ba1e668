"""Mirror reads at scale: GET /api/omni/orders with 1,000 and 100,000 orders on PostgreSQL.

Each size gets its own benchmark database (``proxy_perf_bench_<size>``, next to
``BENCH_DATABASE_URL``), filled by ``bench/generate_orders.py`` (500 orders a day ending at
generation time, so the newest days are alike at every size; ``--reuse`` keeps a database that
already has its orders) and served by its own gunicorn (one sync worker, as in production).
Requests to the sizes alternate, so a busy machine slows every size alike. Prints the medians,
the number of SQL queries one page costs, and with ``--plans`` EXPLAIN ANALYZE of the reads.

The goal shape is Omni's poll: ``status=pending,processing`` created in the last two days, page 1
of 50. The others show what a query over the whole history costs.

    .venv/bin/python bench/mirror_reads.py [--sizes 1000,100000] [--requests 50] [--plans] [--reuse]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.generate_orders import generate

GOAL = "recent"
PLANNED = (GOAL, "default statuses, no dates", "status=complete, no dates")


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


def database_for(size: int) -> str:
    parts = urlsplit(common.database_url())
    return parts._replace(path=f"{parts.path}_{size}").geturl()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN ANALYZE of the reads")
    parser.add_argument("--reuse", action="store_true", help="keep databases already generated")
    parser.add_argument("--profile", help="write a py-spy profile of the largest size's goal shape")
    common.quiet_option(parser)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    common.setup_django(DATABASE_URL=database_for(sizes[0]))
    for size in sizes:
        prepare(size, reuse=args.reuse)
    common.header("Mirror reads: GET /api/omni/orders", args.wait_quiet)
    keys = {size: _use(size, _api_key) for size in sizes}
    ends = {size: _use(size, _latest) for size in sizes}
    with contextlib.ExitStack() as stack:
        servers = {
            size: stack.enter_context(
                common.gunicorn(common.base_env(DATABASE_URL=database_for(size)))
            )
            for size in sizes
        }
        results = measure(sizes, servers, keys, ends, args)
    if args.plans:
        for size in sizes:
            print(f"\n## Plans with {size:,} orders")
            for name in PLANNED:
                print(f"\n### {name}")
                params = _params(shapes(ends[size])[name])
                _use(size, functools.partial(_queries, keys[size], params, True))
    summary(sizes, results)


def prepare(size: int, *, reuse: bool) -> None:
    from channel.models import Order

    url = database_for(size)
    if reuse and _use(size, lambda: _count(Order)) == size:
        print(f"reusing {url} ({size} orders)")
        return
    common.reset_database(url)
    started = time.monotonic()
    _use(size, lambda: generate(size))
    print(f"generated {size} orders into {url} in {time.monotonic() - started:.0f} s")


def _count(model: type) -> int | None:
    from django.db import DatabaseError

    try:
        return model.objects.count()
    except DatabaseError:
        return None


def _use(size: int, action: object) -> object:
    """Run ``action`` with Django's connection pointed at the database of ``size``."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = urlsplit(database_for(size)).path.lstrip("/")
    try:
        return action()  # type: ignore[operator]
    finally:
        connection.close()


def _api_key() -> str:
    from channel.models import ApiKeyScope
    from channel.services.apikeys import api_key_create

    return api_key_create(name="bench", scope=ApiKeyScope.OMNI)[1]


def _latest() -> datetime:
    from django.db.models import Max

    from channel.models import Order

    latest = Order.objects.aggregate(latest=Max("magento_created_at"))["latest"]
    return latest + timedelta(seconds=1)


def _params(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != "page" or v != "LAST"}


def measure(sizes: list[int], servers: dict, keys: dict, ends: dict, args: argparse.Namespace):
    import requests

    sessions = {size: requests.Session() for size in sizes}
    for size in sizes:
        sessions[size].headers["X-Api-Key"] = keys[size]
    results: dict[int, dict[str, float]] = {size: {} for size in sizes}
    for name in shapes(ends[sizes[0]]):
        urls = {}
        for size in sizes:
            params = _resolve(shapes(ends[size])[name], sessions[size], servers[size].url)
            urls[size] = f"{servers[size].url}/api/omni/orders?{urlencode(params)}"
            for _ in range(5):  # warm up the worker and PostgreSQL's buffers
                _get(sessions[size], urls[size])
        times: dict[int, list[float]] = {size: [] for size in sizes}
        bodies: dict[int, dict] = {}
        largest = servers[max(sizes)]
        with common.profiled(largest.pid, args.profile if name == GOAL else None):
            for _ in range(args.requests):
                for size in sizes:
                    elapsed, bodies[size] = _get(sessions[size], urls[size])
                    times[size].append(elapsed)
        for size in sizes:
            results[size][name] = common.median_ms(times[size])
            queries = _use(size, functools.partial(_queries, keys[size], _query_of(urls[size])))
            print(
                f"{size:>7,} orders  {name:28} median {results[size][name]:6.1f} ms  "
                f"p90 {common.percentile_ms(times[size], 90):6.1f} ms  "
                f"totalCount {bodies[size]['totalCount']:6}  orders {len(bodies[size]['orders']):3}"
                f"  {queries} queries"
            )
    return results


def _query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(url).query))


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


def _queries(key: str, params: dict[str, str], plans: bool = False) -> int:
    """Run the page in-process, count its SQL, and EXPLAIN ANALYZE the reads if asked."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_X_API_KEY=key).get("/api/omni/orders", params)
    if plans:
        reads = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].lstrip("(").startswith("SELECT") and '"channel_order' in q["sql"]
        ]
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
