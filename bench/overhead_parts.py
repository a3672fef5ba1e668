"""Where the proxy's time goes in GET /api/omni/orders/{orderCode}, part by part.

Runs the request in this process through Django's test client (the whole middleware stack, no
gunicorn) against the loopback fake Magento in a child process (`--latency` seconds a call), and
times, around each request, the functions that make up the path: the order and its lines read
from the mirror, Magento's call (`requests`) and its record, the mapping and comparison, the
answer's rendering, and the call records' INSERT (which gunicorn runs after sending the answer).
Each figure is the mean per request; parts nest (a total includes the parts inside it).

    .venv/bin/python bench/overhead_parts.py [--requests 300] [--latency 0.05]

The gunicorn hop itself is `bench/overhead.py`'s floor (a 404 through the same server).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SPENT: dict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, label: str) -> None:
    """Wrap `owner.name` so that its time adds up under `label`."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def fake_magento(latency: float, orders: int, conn: Any) -> None:
    """Child process: the fake Magento with `orders` sample orders until the parent stops it."""
    from simulators.base import serve
    from simulators.magento import MagentoSimulator
    from simulators.samples import seed_magento

    sim = MagentoSimulator()
    sim.integration_tokens.add(common.MAGENTO_TOKEN)
    seed_magento(sim, orders)
    sim.latency_seconds = latency
    with serve(sim) as server:
        conn.send((server.base_url, [o["increment_id"] for o in sim.orders.values()]))
        conn.recv()


def instrument() -> None:
    import requests
    from django.http import HttpResponseBase
    from rest_framework.renderers import JSONRenderer
    from rest_framework.views import APIView

    from channel.api import middleware
    from channel.integrations import http
    from channel.integrations.magento import MagentoClient
    from channel.services import mapping, order_reads, orders

    for owner, name, label in [
        (order_reads, "order_mirrored", "SELECT the order"),
        (order_reads, "prefetch_related_objects", "SELECT the lines"),
        (MagentoClient, "get_order", "Magento's call, in all"),
        (requests.Session, "request", "  requests (includes Magento's answer time)"),
        (http.HttpResult, "json", "  decoding Magento's answer"),
        (http, "_record", "  its call record (redacted)"),
        (orders, "order_upsert", "mapping and comparing with the mirror"),
        (APIView, "initial", "DRF: authentication, permission, negotiation"),
        (mapping, "outward_order", "building <OutwardOrder>"),
        (JSONRenderer, "render", "rendering JSON"),
        (middleware.ApiCallRecordMiddleware, "_record", "the inbound call record"),
        (HttpResponseBase, "close", "call records INSERT (after the answer under gunicorn)"),
    ]:
        timed(owner, name, label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="fake Magento, seconds")
    parser.add_argument("--orders", type=int, default=20)
    args = parser.parse_args()
    common.header("Proxy overhead, part by part (in-process)")
    common.reset_database()
    common.setup_django()
    from django.conf import settings
    from django.test import Client

    from channel.models import ApiKeyScope
    from channel.services.apikeys import api_key_create

    parent, child = multiprocessing.get_context("fork").Pipe()
    fake = multiprocessing.get_context("fork").Process(
        target=fake_magento, args=(args.latency, args.orders, child), daemon=True
    )
    fake.start()
    base_url, codes = parent.recv()
    settings.MAGENTO_BASE_URL = f"{base_url}/rest/default"
    client = Client(HTTP_X_API_KEY=api_key_create(name="bench", scope=ApiKeyScope.OMNI)[1])
    for code in codes:  # mirror every order, warm up
        assert client.get(f"/api/omni/orders/{code}").status_code == 200
    instrument()
    SPENT.clear()
    walls = []
    cpu = time.process_time()
    for n in range(args.requests):
        started = time.perf_counter()
        client.get(f"/api/omni/orders/{codes[n % len(codes)]}")
        walls.append(time.perf_counter() - started)
    cpu = (time.process_time() - cpu) / args.requests
    parent.send("stop")
    print(
        f"{args.requests} requests, fake Magento {args.latency * 1000:.0f} ms: median "
        f"{statistics.median(walls) * 1000:.2f} ms a request, CPU {cpu * 1000:.2f} ms"
    )
    for label, seconds in SPENT.items():
        print(f"  {seconds / args.requests * 1000:7.2f} ms  {label}")


if __name__ == "__main__":
    main()
