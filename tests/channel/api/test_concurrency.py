"""Concurrent duplicates of pack and handover never run alongside the first (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from channel.api.views import shipments as shipment_views
from channel.models import AuditEvent, Operation, Shipment, ShipmentState
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def slowed(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make a service slow so that a duplicate arrives while the first is still running."""
    original = getattr(shipment_views, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(shipment_views, name, slow)


def together(omni_key: str, call: Callable[[APIClient], Any], count: int = 2) -> list[Any]:
    """Run `call` in `count` threads at once, each with its own client and connection."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=omni_key)
        start.wait()
        try:
            results[index] = call(client)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def pack_body(shipment_id: int) -> dict[str, Any]:
    return {
        "orderCode": "000000100",
        "locationCode": "WH1",
        "shipmentId": shipment_id,
        "shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 1}],
    }


def test_a_duplicate_pack_in_flight_gets_409_and_acts_once(
    omni_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_upsert(raw=mo.order(100, items=[mo.item(1001, "SKU-1", 2)]))
    slowed(monkeypatch, "shipment_pack")
    responses = together(
        omni_key, lambda c: c.post("/api/omni/shipments/pack", pack_body(7), format="json")
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Shipment.objects.count() == 1
    assert AuditEvent.objects.filter(action="order.packed").count() == 1
    first = next(r for r in responses if r.status_code == 200)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=omni_key)
    again = client.post("/api/omni/shipments/pack", pack_body(7), format="json")
    assert (again.status_code, again.content) == (200, first.content)


def test_two_packs_racing_for_the_last_unit_pack_it_once(omni_key: str) -> None:
    order_upsert(raw=mo.order(100, items=[mo.item(1001, "SKU-1", 1)]))
    ids = iter([1, 2])
    lock = threading.Lock()

    def pack(client: APIClient) -> Any:
        with lock:
            shipment_id = next(ids)
        return client.post("/api/omni/shipments/pack", pack_body(shipment_id), format="json")

    responses = together(omni_key, pack)
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Shipment.objects.count() == 1


def test_a_duplicate_handover_in_flight_gets_409_and_acts_once(
    omni_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_upsert(raw=mo.order(100, items=[mo.item(1001, "SKU-1", 1)]))
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=omni_key)
    code = client.post("/api/omni/shipments/pack", pack_body(7), format="json").json()[
        "shipmentCode"
    ]
    slowed(monkeypatch, "shipments_hand_over")
    body = {
        "locationCode": "WH1",
        "handoverItems": [
            {
                "orderCode": "000000100",
                "shipmentCode": code,
                "packBoxDetailsList": [{"boxId": 1, "awbNumber": "AWB1"}],
            }
        ],
    }
    responses = together(omni_key, lambda c: c.post("/api/omni/handover", body, format="json"))
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Shipment.objects.get().state == ShipmentState.HANDED_OVER
    assert Operation.objects.filter(kind="magento.ship").count() == 1
    assert AuditEvent.objects.filter(action="order.handed_over").count() == 1
    assert client.post("/api/omni/handover", body, format="json").status_code == 200
