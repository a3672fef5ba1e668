"""GET /api/omni/orders/{code} and /status: refreshed from Magento, or stale from the mirror."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from channel.models import Order
from channel.services import mapping
from channel.services.sync import sync_magento
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(magento: MagentoSimulator) -> dict:
    created = magento.add_order([{"sku": "TS-1", "qty": 2, "price": 500}])
    sync_magento()
    return created


def test_it_refreshes_the_order_from_magento(
    api: APIClient, magento: MagentoSimulator, order: dict
) -> None:
    magento.advance_clock(60)
    magento.hold(order["entity_id"])
    body = api.get(f"/api/omni/orders/{order['increment_id']}").json()
    assert (body["orderCode"], body["onHold"], body["stale"]) == (
        order["increment_id"],
        True,
        False,
    )
    assert Order.objects.get(entity_id=order["entity_id"]).magento_state == "holded"


def test_reading_an_unchanged_order_takes_two_selects_and_one_insert(
    api: APIClient, magento: MagentoSimulator
) -> None:
    """Omni's hottest read (docs/benchmarks.md, proxy overhead): the order, its lines, Magento's
    answer compared in memory, the two call records in one INSERT; the API key is remembered and
    `fetched_at` was written a moment ago."""
    created = magento.add_order(
        [{"sku": "TS-1", "qty": 2, "price": 500}, {"sku": "TS-2", "qty": 1, "price": 300}]
    )
    sync_magento()
    url = f"/api/omni/orders/{created['increment_id']}"
    first = api.get(url).json()
    with CaptureQueriesContext(connection) as captured:
        again = api.get(url).json()
    assert [q["sql"].split()[0] for q in captured] == ["SELECT", "SELECT", "INSERT"]
    assert again == first and [i["channelSkuCode"] for i in again["orderItems"]] == ["TS-1", "TS-2"]
    mirrored = Order.objects.prefetch_related("lines").get(entity_id=created["entity_id"])
    assert again == {**mapping.outward_order(mirrored), "stale": False}  # payments from `raw`


def test_it_answers_from_the_mirror_marked_stale_when_magento_is_down(
    api: APIClient, magento: MagentoSimulator, order: dict
) -> None:
    magento.inject("GET", r"/V1/orders/\d+$", "status", status=503)
    response = api.get(f"/api/omni/orders/{order['increment_id']}")
    assert response.status_code == 200
    assert (response.json()["orderCode"], response.json()["stale"]) == (order["increment_id"], True)


def test_it_answers_stale_when_magento_times_out(
    api: APIClient, magento: MagentoSimulator, order: dict
) -> None:
    magento.inject("GET", r"/V1/orders/\d+$", "timeout_before")
    assert api.get(f"/api/omni/orders/{order['increment_id']}").json()["stale"] is True


def test_it_answers_404_for_an_unknown_order(api: APIClient, magento: MagentoSimulator) -> None:
    response = api.get("/api/omni/orders/999999999")
    assert response.status_code == 404
    assert response.json() == {"hasError": True, "errorMessage": "Order 999999999 is unknown."}


@pytest.mark.parametrize("path", ["/api/omni/orders/%00", "/api/omni/orders/A%00B/status"])
def test_it_answers_404_for_an_order_code_with_a_nul(
    api: APIClient, magento: MagentoSimulator, path: str
) -> None:
    """Found by fuzzing: PostgreSQL refused to compare the code, and the call answered 500."""
    response = api.get(path)
    assert response.status_code == 404 and response.json()["hasError"] is True
    assert magento.requests == []


def test_it_finds_an_order_magento_has_but_the_mirror_not_yet(
    api: APIClient, magento: MagentoSimulator
) -> None:
    created = magento.add_order()
    body = api.get(f"/api/omni/orders/{created['increment_id']}").json()
    assert body["orderCode"] == created["increment_id"] and body["stale"] is False


def test_it_reads_the_status_from_magento(
    api: APIClient, magento: MagentoSimulator, order: dict
) -> None:
    magento.advance_clock(60)
    magento.invoice(order["entity_id"])
    body = api.get(f"/api/omni/orders/{order['increment_id']}/status").json()
    assert body == {
        "orderCode": order["increment_id"],
        "status": "processing",
        "state": "processing",
        "updatedAt": "2026-01-31T09:01:00.000+00:00",
        "stale": False,
    }


def test_the_status_is_stale_when_magento_is_down(
    api: APIClient, magento: MagentoSimulator, order: dict
) -> None:
    magento.inject("GET", "/statuses", "status", status=500)
    body = api.get(f"/api/omni/orders/{order['increment_id']}/status").json()
    assert (body["status"], body["stale"]) == ("pending", True)
