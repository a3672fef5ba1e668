"""The support desk at scale: every admin list page, every search support uses, the order page,
the dashboard and the operations filters, timed through Django's test client (the whole admin
view: middleware, session, queries, templates), p95 and median over ``--requests`` requests each.

Run it against a database filled by ``bench/generate_orders.py --related`` (PostgreSQL):

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_i20_1m \\
        .venv/bin/python bench/support_desk.py --requests 30 --json var/desk-1m.json \\
        [--baseline var/desk-10k.json] [--http]

The search terms are taken from the data (an order in the middle of the range: neither the newest
page nor the oldest); ``--baseline`` prints each page's ratio to an earlier run (e.g. at 10,000
orders). Exits 1 when a page's p95 is over ``--goal-ms`` (300) or, with a baseline, over
``--goal-ratio`` (1.5) times its baseline median (pages whose median is under 50 ms are not held
to the ratio: a few milliseconds of noise are not growth). The ratio compares medians: on a shared
machine a p95 of 20 requests is one unlucky request.

``--http`` measures the same pages over real HTTP instead: the proxy's web process as in
production (gunicorn, one sync worker, production settings against ``BENCH_DATABASE_URL``; only
its session and CSRF cookies are not marked Secure, as the requests are plain HTTP on loopback),
logged in through ``/admin/login/`` (CSRF token, django-axes) with ``requests``; the CPU column is
then gunicorn's CPU per request (mean: /proc counts in 10 ms ticks).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

RATIO_FLOOR_MS = 50.0
USERNAME = "bench-admin"
# A page fetcher: the URL's status code; and the CPU seconds spent so far on Django's side.
Get = Callable[[str], int]
Cpu = Callable[[], float]


def terms() -> dict[str, str]:
    """One of each kind of code support has in hand, from an order in the middle of the range."""
    from django.db.models import Max

    from channel.models import Manifest, Order, OrderLine, Shipment
    from returns.models import ReturnOrder

    last = Order.objects.aggregate(last=Max("id"))["last"]
    if last is None:
        raise SystemExit("no orders: fill the database with bench/generate_orders.py --related")
    returned = ReturnOrder.objects.filter(order_id__lte=last // 2).order_by("-order_id").first()
    order = returned.order if returned else Order.objects.filter(id__lte=last // 2).last()
    assert order is not None
    shipment = Shipment.objects.filter(order=order).first()
    line = OrderLine.objects.filter(order=order).order_by("position").first()
    if line is None:  # a virtual order: a SKU of a neighbour
        line = OrderLine.objects.filter(order_id__lte=order.pk).order_by("-order_id").first()
    manifest = Manifest.objects.filter(items__shipment=shipment).first() if shipment else None
    found = {
        "order code": order.order_code,
        "increment id (no leading zeros)": order.increment_id.lstrip("0") or "0",
        "entity id": str(order.entity_id),
        "e-mail": order.customer_email,
        "phone": str(order.shipping_address.get("phone", "")),
        "SKU": line.sku if line else "",
        "AWB": shipment.awb_number if shipment else "",
        "shipment code": shipment.shipment_code if shipment else "",
        "return code": returned.return_order_code if returned else "",
        "manifest code": manifest.manifest_code if manifest else "",
    }
    found["_order_pk"] = str(order.pk)
    return {k: v for k, v in found.items() if v}


def pages(found: dict[str, str]) -> list[tuple[str, str]]:
    """(name, URL) of every page measured."""
    from urllib.parse import urlencode

    from django.contrib import admin
    from django.urls import reverse

    listed = []
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        listed.append((f"list: {meta.app_label}.{meta.model_name}", url))
    listed.sort()
    orders = reverse("admin:channel_order_changelist")
    searches = [
        (f"orders, search {kind}", f"{orders}?{urlencode({'q': term})}")
        for kind, term in found.items()
        if not kind.startswith("_")
    ]

    def search(model: str, term_kind: str, app: str = "channel") -> tuple[str, str]:
        url = reverse(f"admin:{app}_{model}_changelist")
        return f"{model}s, search {term_kind}", f"{url}?{urlencode({'q': found[term_kind]})}"

    others = [
        search("shipment", "AWB"),
        search("shipment", "shipment code"),
        search("invoice", "order code"),
        search("manifest", "manifest code"),
        search("returnorder", "return code", "returns"),
        search("callrecord", "order code"),
        search("auditevent", "order code"),
        search("operation", "order code"),
    ]
    calls = reverse("admin:channel_callrecord_changelist")
    path = f"/api/omni/orders/{found['order code']}"
    others += [
        ("callrecords, search a path", f"{calls}?{urlencode({'q': path})}"),
        ("callrecords, search a common path prefix", f"{calls}?{urlencode({'q': '/V1/order'})}"),
        ("callrecords, failed (status 500)", f"{calls}?status=500"),
        ("callrecords, from Omni", f"{calls}?direction__exact=in"),
    ]
    operations = reverse("admin:channel_operation_changelist")
    filters = [
        ("state__exact", "failed"),
        ("state__exact", "pending"),
        ("state__exact", "done"),
        ("kind", "magento.ship"),
        ("error_class__exact", "permanent"),
    ]
    ops = [(f"operations, {k}={v}", f"{operations}?{urlencode({k: v})}") for k, v in filters]
    ops.append(
        (
            "operations, pending push (dashboard link)",
            f"{operations}?{urlencode({'kind': 'omni.push_order', 'state__exact': 'pending'})}",
        )
    )
    week = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))
    ops.append(("operations, created in the last 7 days", f"{operations}?created_at__gte={week}"))
    order_page = reverse("admin:channel_order_change", args=[found["_order_pk"]])
    return [
        ("dashboard (admin index)", reverse("admin:index")),
        ("order page", order_page),
        *listed,
        *searches,
        *others,
        *ops,
    ]


def measure(
    get: Get, cpu_now: Cpu, url: str, requests: int, *, mean_cpu: bool
) -> tuple[list[float], float]:
    """Wall times of `requests` requests, and Django's CPU time per request (without the
    PostgreSQL backend; the median, or the mean when ``mean_cpu``): on a busy machine the wall
    time includes waiting for a CPU, the CPU time does not."""
    status = get(url)  # warm-up: templates, the plan cache, the buffer cache
    if status != 200:
        raise SystemExit(f"{url} answered {status}")
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), cpu_now()
        status = get(url)
        times.append(time.perf_counter() - started)
        cpu.append(cpu_now() - started_cpu)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
    return times, (sum(cpu) * 1000 / len(cpu) if mean_cpu else common.median_ms(cpu))


@contextmanager
def in_process() -> Iterator[tuple[Get, Cpu]]:
    """Django's test client in this process, logged in as the superuser."""
    from django.test import Client

    client = Client()
    client.force_login(superuser())
    yield (lambda url: client.get(url).status_code), time.process_time


@contextmanager
def over_http() -> Iterator[tuple[Get, Cpu]]:
    """gunicorn with production settings, logged in through the admin's login form."""
    import requests

    password = secrets.token_urlsafe(16)
    superuser(password)
    env = common.base_env(ALLOWED_HOSTS="127.0.0.1", SECURE_COOKIES="false")
    with common.gunicorn(env) as server, requests.Session() as session:
        login(session, server.url, password)
        yield (lambda url: session.get(server.url + url).status_code), server.cpu_seconds


def superuser(password: str | None = None) -> Any:
    """The benchmark's superuser (with ``password`` when given; axes' failures for it reset)."""
    from axes.utils import reset
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
        reset(username=USERNAME)
    return user


def login(session: Any, base: str, password: str) -> None:
    """Log in through /admin/login/ as a browser does (the form's CSRF token and cookie)."""
    url = f"{base}/admin/login/"
    page = session.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or token is None:
        raise SystemExit(f"{url} answered {page.status_code} without a login form")
    form = {"username": USERNAME, "password": password, "csrfmiddlewaretoken": token.group(1)}
    answer = session.post(f"{url}?next=/admin/", data=form, headers={"Referer": url})
    if answer.status_code != 200 or "sessionid" not in session.cookies:
        raise SystemExit(f"the login failed: {answer.status_code} at {answer.url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--baseline", help="figures of an earlier run (e.g. 10,000 orders)")
    parser.add_argument("--goal-ms", type=float, default=300.0)
    parser.add_argument("--goal-ratio", type=float, default=1.5)
    parser.add_argument("--only", help="measure only pages whose name contains this")
    parser.add_argument("--queries", action="store_true", help="print each page's SQL count")
    parser.add_argument(
        "--http", action="store_true", help="over HTTP to gunicorn (production settings)"
    )
    common.quiet_option(parser)
    args = parser.parse_args()
    if args.http and args.queries:
        parser.error("--queries counts in this process: not with --http")
    mode = "over HTTP (gunicorn, 1 sync worker)" if args.http else "Django's test client"
    common.header(f"Support desk: admin pages, {mode}", args.wait_quiet)
    common.setup_django(ALLOWED_HOSTS="testserver")
    with over_http() if args.http else in_process() as (get, cpu_now):
        return run(args, get, cpu_now)


def run(args: argparse.Namespace, get: Get, cpu_now: Cpu) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from channel.models import Order

    found = terms()
    orders = Order.objects.order_by("-id").values_list("id", flat=True).first()
    print(f"# {orders} orders in {common.database_url()}; terms: {json.dumps(found)}")
    baseline = json.loads(Path(args.baseline).read_text()) if args.baseline else {}
    results: dict[str, dict[str, float]] = {}
    ok = True
    print(f"{'page':58} {'p95 ms':>8} {'median':>8} {'CPU':>6} {'ratio':>6}")
    for name, url in pages(found):
        if args.only and args.only not in name:
            continue
        times, cpu = measure(get, cpu_now, url, args.requests, mean_cpu=args.http)
        p95 = common.percentile_ms(times, 95)
        median = common.median_ms(times)
        results[name] = {"p95": p95, "median": median, "cpu": cpu}
        base = baseline.get(name, {}).get("median")
        ratio = median / base if base else None
        late = p95 > args.goal_ms
        grown = ratio is not None and ratio > args.goal_ratio and median > RATIO_FLOOR_MS
        ok = ok and not late and not grown
        mark = " TOO SLOW" if late else " GREW" if grown else ""
        shown = f"{ratio:6.2f}" if ratio is not None else "     -"
        extra = ""
        if args.queries:
            client = Client()
            client.force_login(superuser())
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            extra = f"  ({len(queries)} queries)"
        print(
            f"{name[:58]:58} {p95:8.1f} {median:8.1f} {cpu:6.1f} {shown}{mark}{extra}", flush=True
        )
    worst = max(results.items(), key=lambda item: item[1]["p95"])
    print(f"# worst p95: {worst[0]} {worst[1]['p95']:.1f} ms (goal ≤ {args.goal_ms:.0f} ms)")
    print(f"# load average at the end: {common.load_average()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
