"""Admin lists built for millions of rows: estimated counts past a limit, searches by indexed
exact lookups chosen by the term's shape, filters from recent values, lists without heavy
columns, a dashboard bounded in time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channel.admin.orders import phone_variants
from channel.admin.scale import EstimatedCountPaginator
from channel.models import CallRecord, Manifest, ManifestItem, Order, OrderLifecycle
from channel.services.orders import order_upsert
from returns.models import ReturnItem, ReturnOrder
from tests.support import magento_orders as mo
from tests.support.shipping import make_shipment, mirror_order

pytestmark = pytest.mark.django_db


def listed(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def with_contact(entity_id: int, email: str, phone: str) -> Order:
    raw = mo.order(entity_id, items=[mo.item(entity_id * 10 + 1, f"SKU-{entity_id}")])
    raw["customer_email"] = email
    raw["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["telephone"] = (
        phone
    )
    return order_upsert(raw=raw).order


def test_counts_are_exact_up_to_the_limit_and_labelled_estimates_past_it(
    superuser: Client, settings
) -> None:
    for n in range(1, 6):
        order_upsert(raw=mo.order(n))
    settings.ADMIN_EXACT_COUNT_LIMIT = 10
    page = listed(superuser, "/admin/channel/order/")
    assert "about" not in page and "5 orders" in page
    settings.ADMIN_EXACT_COUNT_LIMIT = 3
    page = listed(superuser, "/admin/channel/order/")
    assert ">about</span> 4 orders" in page  # SQLite has no estimate: "more than the limit"


def test_the_paginator_counts_exactly_below_the_limit_without_a_full_count(settings) -> None:
    for n in range(1, 4):
        order_upsert(raw=mo.order(n))
    settings.ADMIN_EXACT_COUNT_LIMIT = 100
    paginator = EstimatedCountPaginator(Order.objects.order_by("pk"), 2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 3
    assert not paginator.count_is_estimate
    # PostgreSQL first reads the table's estimate (3 rows: below the limit, so it counts).
    assert any("LIMIT 101" in query["sql"] for query in queries)


@pytest.mark.parametrize(
    "term",
    [
        "000000100",  # order code and increment id
        "100",  # entity id, or the increment id without its leading zeros
        "Priya.Sharma@Example.in",  # e-mail, any case
        "98450 12345",
        "+91 9845012345",
        "09845012345",  # the phone as support may type it
        "RARE-SKU",
        "rare-sku",
        "DLV123",  # AWB
        "000000100-1",  # shipment code
        "MF-WH1-20260131-0001",
        "R-CODE-1",
        "RT-AWB-9",
    ],
)
def test_the_order_search_finds_an_order_by_anything_support_has(
    superuser: Client, term: str
) -> None:
    order = with_contact(100, "priya.sharma@example.in", "9845012345")
    order.lines.update(sku="RARE-SKU")
    with_contact(200, "someone@example.in", "9000000000")
    shipment = make_shipment(order, awb_number="DLV123", transporter="Delhivery")
    manifest = Manifest.objects.create(
        manifest_code="MF-WH1-20260131-0001", transporter="Delhivery", location_code="WH1"
    )
    ManifestItem.objects.create(manifest=manifest, shipment=shipment)
    ReturnOrder.objects.create(
        order=order,
        return_order_code="R-CODE-1",
        awb_number="RT-AWB-9",
        location_code="WH1",
        order_type="SELF_SHIP",
    )
    page = listed(superuser, "/admin/channel/order/", q=term)
    assert "000000100" in page and "000000200" not in page, term


def test_a_search_that_matches_nothing_lists_nothing(superuser: Client) -> None:
    order_upsert(raw=mo.order(100))
    for term in ("nothing-like-it", "nobody@example.in", "99999999999999999999999"):
        page = listed(superuser, "/admin/channel/order/", q=term)
        assert "000000100" not in page, term


def test_phone_variants_cover_the_usual_ways_of_typing_an_indian_number() -> None:
    assert {"9845012345", "+919845012345", "+91 9845012345", "09845012345"} <= set(
        phone_variants("+91 98450-12345")
    )


def test_a_sku_search_lists_at_most_the_match_limit_newest_first(
    superuser: Client, settings
) -> None:
    for n in range(1, 5):
        order_upsert(raw=mo.order(n, items=[mo.item(n * 10 + 1, "COMMON")]))
    settings.ADMIN_SEARCH_MATCH_LIMIT = 2
    page = listed(superuser, "/admin/channel/order/", q="COMMON")
    assert "000000004" in page and "000000003" in page and "000000002" not in page


def test_call_records_are_found_by_path_prefix_and_by_order(superuser: Client) -> None:
    order = mirror_order(100)
    CallRecord.objects.create(
        direction="in", system="api", method="GET", path="/api/omni/orders/000000100", order=order
    )
    CallRecord.objects.create(direction="out", system="magento", method="GET", path="/V1/orders/7")
    page = listed(superuser, "/admin/channel/callrecord/", q="/api/omni/orders/0000001")
    assert "/api/omni/orders/000000100" in page and "/V1/orders/7" not in page
    page = listed(superuser, "/admin/channel/callrecord/", q="000000100")
    assert "/api/omni/orders/000000100" in page and "/V1/orders/7" not in page


def test_filters_offer_the_values_of_recent_rows(superuser: Client) -> None:
    CallRecord.objects.create(direction="out", system="magento", method="GET", path="/a")
    CallRecord.objects.create(direction="out", system="omni", method="POST", path="/b", status=503)
    page = listed(superuser, "/admin/channel/callrecord/")
    assert "?system=magento" in page and "?system=omni" in page and "?status=503" in page
    page = listed(superuser, "/admin/channel/callrecord/", status="503")
    assert "/b" in page and ">/a<" not in page


def test_lists_do_not_load_magento_json_but_the_order_page_shows_it(superuser: Client) -> None:
    order = mirror_order(100)
    with CaptureQueriesContext(connection) as queries:
        listed(superuser, "/admin/channel/order/")
    listing = [q["sql"] for q in queries if 'FROM "channel_order"' in q["sql"]]
    assert listing and all('"channel_order"."raw"' not in sql for sql in listing)
    page = listed(superuser, f"/admin/channel/order/{order.pk}/change/")
    assert "Magento JSON of the last fetch" in page


def test_manifest_and_return_lists_still_count_their_items(superuser: Client) -> None:
    order = mirror_order(100)
    first, second = make_shipment(order), make_shipment(order, 2)
    manifest = Manifest.objects.create(
        manifest_code="MF-WH1-20260131-0001", transporter="Delhivery", location_code="WH1"
    )
    ManifestItem.objects.create(manifest=manifest, shipment=first)
    ManifestItem.objects.create(manifest=manifest, shipment=second, position=1)
    page = listed(superuser, "/admin/channel/manifest/")
    assert '<td class="field-shipments">2</td>' in page
    returned = ReturnOrder.objects.create(
        order=order, return_order_code="R-1", location_code="WH1", order_type="SELF_SHIP"
    )
    line = order.lines.first()
    assert line is not None
    ReturnItem.objects.create(
        return_order=returned, item_code="R-1-1", order_line=line, channel_sku_code="S", reason="x"
    )
    page = listed(superuser, "/admin/returns/returnorder/")
    assert '<td class="field-units">1</td>' in page


def test_the_dashboard_counts_orders_of_the_last_days_only(superuser: Client, settings) -> None:
    settings.DASHBOARD_ORDER_DAYS = 30
    recent = f"{timezone.now() - timedelta(days=1):%Y-%m-%d %H:%M:%S}"
    old = f"{timezone.now() - timedelta(days=90):%Y-%m-%d %H:%M:%S}"
    order_upsert(raw=mo.order(1, created_at=recent))
    order_upsert(raw=mo.order(2, created_at=old))
    Order.objects.update(lifecycle=OrderLifecycle.ACKNOWLEDGED)
    page = superuser.get("/admin/").content.decode()
    assert "the others created in the last 30 days" in page
    acknowledged = r"Acknowledged by Omni</a></td>\s*<td class=\"\">(\d+)</td>"
    assert re.search(acknowledged, page).group(1) == "1"  # the recent order only
