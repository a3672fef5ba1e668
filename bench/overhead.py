"""Proxy overhead of GET /api/omni/orders/{orderCode} (one synchronous Magento call).

Starts the loopback fake Magento (``--latency`` seconds per request) and the proxy as in
production (gunicorn, one sync worker, PostgreSQL), mirrors ``--orders`` orders, then for each of
``--requests`` rounds times, side by side, the fake Magento's own answer to
``GET /rest/default/V1/orders/{entity_id}`` and the proxy's ``GET /api/omni/orders/{code}`` for
the same order (which refreshes the order from that very call). Prints both medians and the
difference: what the proxy adds to Magento's time.

    .venv/bin/python bench/overhead.py [--requests 300] [--latency 0.05] [--orders 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="fake Magento, seconds")
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: sync workers)"
    )
    parser.add_argument("--profile", help="write a py-spy profile of the proxy to this file")
    common.quiet_option(parser)
    args = parser.parse_args()
    common.header("Proxy overhead: GET /api/omni/orders/{orderCode}", args.wait_quiet)
    common.reset_database()
    common.setup_django()

    import requests

    from channel.models import ApiKeyScope
    from channel.services.apikeys import api_key_create
    from simulators.base import serve
    from simulators.magento import MagentoSimulator
    from simulators.samples import seed_magento

    sim = MagentoSimulator()
    sim.integration_tokens.add(common.MAGENTO_TOKEN)
    seed_magento(sim, args.orders)
    _, key = api_key_create(name="bench", scope=ApiKeyScope.OMNI)
    orders = [(o["entity_id"], o["increment_id"]) for o in sim.orders.values()]

    with serve(sim) as magento:
        env = common.base_env(MAGENTO_BASE_URL=f"{magento.base_url}/rest/default")
        with common.gunicorn(env, workers=args.workers, threads=args.threads) as proxy:
            direct = requests.Session()
            direct.headers["Authorization"] = f"Bearer {common.MAGENTO_TOKEN}"
            client = requests.Session()
            client.headers["X-Api-Key"] = key

            def fake_magento(entity_id: int) -> float:
                started = time.perf_counter()
                answer = direct.get(
                    f"{magento.base_url}/rest/default/V1/orders/{entity_id}", timeout=10
                )
                elapsed = time.perf_counter() - started
                answer.raise_for_status()
                return elapsed

            def through_proxy(code: str) -> float:
                started = time.perf_counter()
                answer = client.get(f"{proxy.url}/api/omni/orders/{code}", timeout=10)
                elapsed = time.perf_counter() - started
                answer.raise_for_status()
                if answer.json().get("stale"):
                    raise SystemExit(f"order {code} came back stale: the Magento call failed")
                return elapsed

            for entity_id, code in orders:  # mirror every order and warm both up
                through_proxy(code)
                fake_magento(entity_id)
            sim.latency_seconds = args.latency
            magento_times, proxy_times = [], []
            with common.profiled(proxy.pid, args.profile):
                cpu_before = proxy.cpu_seconds()
                for n in range(args.requests):
                    entity_id, code = orders[n % len(orders)]
                    magento_times.append(fake_magento(entity_id))
                    proxy_times.append(through_proxy(code))
                cpu = (proxy.cpu_seconds() - cpu_before) / args.requests
            floor = [_timed(client, f"{proxy.url}/no-such-page") for _ in range(args.requests)]

    report(args, magento_times, proxy_times)
    print(
        "floor: the same gunicorn answering a 404 from Django's middleware and URL resolver "
        f"(a new connection, no database, no Magento): median {common.median_ms(floor):.2f} ms"
    )
    print(f"proxy CPU per request (gunicorn worker, user + system): {cpu * 1000:.1f} ms")
    recorded(args.requests)


def _timed(session: object, url: str) -> float:
    started = time.perf_counter()
    answer = session.get(url, timeout=10)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    if answer.status_code != 404:
        raise SystemExit(f"{url} answered {answer.status_code}, not 404")
    return elapsed


def recorded(count: int) -> None:
    """The proxy's own view from its call records: time inside Django, time waiting on Magento."""
    from channel.models import CallDirection, CallRecord

    for direction, label in (
        (CallDirection.INBOUND, "inside the proxy (inbound call record, middleware to middleware)"),
        (CallDirection.OUTBOUND, "the proxy waiting on Magento (outbound call record)"),
    ):
        rows = CallRecord.objects.filter(direction=direction).order_by("-pk")[:count]
        durations = [row.duration_ms / 1000 for row in rows]
        print(f"{label}: median {common.median_ms(durations):.0f} ms")


def report(args: argparse.Namespace, magento: list[float], proxy: list[float]) -> None:
    m, p = common.median_ms(magento), common.median_ms(proxy)
    print(f"requests: {args.requests} (rotating over {args.orders} orders)")
    print(f"fake Magento latency setting: {args.latency * 1000:.0f} ms")
    print(
        f"fake Magento direct  GET /V1/orders/{{id}}:         median {m:7.2f} ms"
        f"  p90 {common.percentile_ms(magento, 90):7.2f} ms"
    )
    print(
        f"proxy GET /api/omni/orders/{{code}} (refresh):      median {p:7.2f} ms"
        f"  p90 {common.percentile_ms(proxy, 90):7.2f} ms"
    )
    goal = 5 if common.database_url().startswith("postgres") else 10
    paired = common.median_ms([b - a for a, b in zip(magento, proxy, strict=True)])
    print(f"proxy overhead (difference of medians): {p - m:.2f} ms (goal <= {goal} ms)")
    print(f"proxy overhead (median of the {len(proxy)} paired differences): {paired:.2f} ms")


if __name__ == "__main__":
    main()
