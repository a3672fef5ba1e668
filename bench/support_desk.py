"""The support desk at scale: every admin list page, every search support uses, the order page,
the dashboard and the operations filters, timed through Django's test client (the whole admin
view: middleware, session, queries, templates), p95 and median over ``--requests`` requests each.

Run it against a database filled by ``bench/generate_orders.py --related`` (PostgreSQL):

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_i20_1m \\
        .venv/bin/python bench/support_desk.py --requests 30 --json var/desk-1m.json \\
        [--baseline var/desk-10k.json] [--plans]

The search terms are taken from the data (an order in the middle of the range: neither the newest
page nor the oldest); ``--baseline`` prints each page's ratio to an earlier run (e.g. at 10,000
orders). Exits 1 when a page's p95 is over ``--goal-ms`` (300) or, with a baseline, over
``--goal-ratio`` (1.5) times its baseline median (pages whose median is under 50 ms are not held
to the ratio: a few milliseconds of noise are not growth). The ratio compares medians: on a shared
machine a p95 of 20 requests is one unlucky request.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

RATIO_FLOOR_MS = 50.0


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


def measure(client: Any, url: str, requests: int) -> tuple[list[float], float]:
    """Wall times of `requests` requests, and the median CPU time of this process (Django's
    side, without the PostgreSQL backend): on a busy machine the wall time includes waiting for
    a CPU, the CPU time does not."""
    response = client.get(url)  # warm-up: templates, the plan cache, the buffer cache
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times, common.median_ms(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--baseline", help="figures of an earlier run (e.g. 10,000 orders)")
    parser.add_argument("--goal-ms", type=float, default=300.0)
    parser.add_argument("--goal-ratio", type=float, default=1.5)
    parser.add_argument("--only", help="measure only pages whose name contains this")
    parser.add_argument("--queries", action="store_true", help="print each page's SQL count")
    common.quiet_option(parser)
    args = parser.parse_args()
    common.header("Support desk: admin pages", args.wait_quiet)
    common.setup_django(ALLOWED_HOSTS="testserver")

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from channel.models import Order

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
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
        times, cpu = measure(client, url, args.requests)
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
