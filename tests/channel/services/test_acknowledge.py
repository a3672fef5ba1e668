"""PUT /api/omni/orders/acknowledge (contract 4.1) against the fake Magento."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from channel.models import AuditEvent, Order, OrderLifecycle
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders/acknowledge"


def mirrored(magento: MagentoSimulator, **kwargs: object) -> Order:
    raw = magento.add_order([{"sku": "SKU-1", "qty": 1, "price": 100}], **kwargs)
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def ack(api: APIClient, *codes: str, location: str | None = "WH1", **extra: object) -> object:
    orders = [{"orderCode": code, "locationCode": location} for code in codes]
    return api.put(URL, {"orders": orders, "consolidationType": "NONE", **extra}, format="json")


def comments(magento: MagentoSimulator, order: Order) -> list[tuple[str, str]]:
    histories = magento.get_order(order.entity_id)["status_histories"]
    return [(h["comment"], h["status"]) for h in reversed(histories)]


def test_it_comments_with_the_ack_status_and_mirrors_the_status(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento, state="processing", status="processing")
    magento.add_status("processing", "fraud")
    response = ack(api, order.order_code)
    assert response.json() == {
        "successOrders": [{"locationCode": "WH1", "orderCode": order.order_code}]
    }
    assert comments(magento, order) == [("Acknowledged by Omni (WH1)", "processing")]
    order.refresh_from_db()
    assert (order.location_code, order.magento_status, order.lifecycle) == (
        "WH1",
        "processing",
        OrderLifecycle.ACKNOWLEDGED,
    )
    assert order.acknowledged_at is not None
    assert AuditEvent.objects.get(action="order.acknowledged").message == (
        "Acknowledged by Omni for WH1; Magento status processing"
    )


def test_on_2_4_8_it_retries_without_a_status_and_shows_magento_kept_its_own(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)  # state new: "processing" is not one of its statuses
    response = ack(api, order.order_code)
    assert response.json()["successOrders"] == [
        {"locationCode": "WH1", "orderCode": order.order_code}
    ]
    assert [r.json["statusHistory"].get("status") for r in magento.calls("POST", "comments")] == [
        "processing",
        None,
    ]
    assert comments(magento, order) == [("Acknowledged by Omni (WH1)", "pending")]
    order.refresh_from_db()
    assert order.magento_status == "pending"
    assert AuditEvent.objects.get(action="order.acknowledged").message == (
        "Acknowledged by Omni for WH1; Magento accepted the comment without a status and kept "
        "its status pending instead of processing"
    )


def test_on_2_4_7_the_status_is_ignored_and_the_mirror_says_so(
    api: APIClient, magento: MagentoSimulator
) -> None:
    magento.comments_status_mode = "ignored"
    order = mirrored(magento)
    assert len(ack(api, order.order_code).json()["successOrders"]) == 1
    assert len(magento.calls("POST", "comments")) == 1
    order.refresh_from_db()
    assert order.magento_status == "pending"
    assert "Magento ignored it and kept its status pending" in (
        AuditEvent.objects.get(action="order.acknowledged").message
    )


def test_up_to_2_4_6_the_status_changes(api: APIClient, magento: MagentoSimulator) -> None:
    magento.comments_status_mode = "free"
    order = mirrored(magento)
    ack(api, order.order_code)
    order.refresh_from_db()
    assert order.magento_status == "processing"


def test_a_magento_timeout_leaves_the_order_out(api: APIClient, magento: MagentoSimulator) -> None:
    first, second = mirrored(magento), mirrored(magento)
    magento.inject("POST", f"/orders/{first.entity_id}/comments", "timeout_before")
    response = ack(api, first.order_code, second.order_code)
    assert response.json() == {
        "successOrders": [{"locationCode": "WH1", "orderCode": second.order_code}]
    }
    first.refresh_from_db()
    assert first.acknowledged_at is None
    assert AuditEvent.objects.filter(action="order.acknowledge_failed", order=first).exists()


def test_it_leaves_unknown_orders_out_and_logs_them(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    response = ack(api, "NOPE-1", order.order_code)
    assert [o["orderCode"] for o in response.json()["successOrders"]] == [order.order_code]
    assert AuditEvent.objects.get(action="order.acknowledge_unknown").subject == "order:NOPE-1"


def test_with_consolidation_all_the_location_is_left_as_it_was(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = mirrored(magento)
    Order.objects.filter(pk=order.pk).update(location_code="WH9")
    body = {"orders": [{"orderCode": order.order_code}], "consolidationType": "ALL"}
    response = api.put(URL, body, format="json")
    assert response.json() == {"successOrders": [{"locationCode": None, "orderCode": "000000001"}]}
    assert comments(magento, order) == [("Acknowledged by Omni", "pending")]
    order.refresh_from_db()
    assert order.location_code == "WH9"


def test_a_repeat_is_harmless(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    first = ack(api, order.order_code)
    second = ack(api, order.order_code)
    assert second.json() == first.json()
    assert len(comments(magento, order)) == 1


def test_a_new_location_is_acknowledged_again(api: APIClient, magento: MagentoSimulator) -> None:
    order = mirrored(magento)
    ack(api, order.order_code)
    ack(api, order.order_code, location="WH2")
    assert [c for c, _ in comments(magento, order)] == [
        "Acknowledged by Omni (WH1)",
        "Acknowledged by Omni (WH2)",
    ]
    order.refresh_from_db()
    assert order.location_code == "WH2"


def test_it_answers_in_time_when_magento_hangs(
    api: APIClient, magento: MagentoSimulator, settings: object
) -> None:
    settings.MAGENTO_READ_TIMEOUT = 0.5
    settings.MAGENTO_REQUEST_BUDGET = 1.0
    orders = [mirrored(magento) for _ in range(4)]
    magento.latency_seconds = 5
    started = time.monotonic()
    response = ack(api, *[o.order_code for o in orders])
    assert time.monotonic() - started < 4  # Magento takes 5 s per call: the budget cut it short
    assert response.json() == {"successOrders": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"orders": []}, {"orders": [{"locationCode": "WH1"}]}, {"orders": "x"}, []],
)
def test_it_rejects_bad_input(api: APIClient, body: object) -> None:
    response = api.put(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["hasError"] is True
