"""GET /api/omni/orders and /orders/cancelled, served from the mirror (contract 2)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from channel.api.views.orders import CancelledOrderListView, OrderDetailView, OrderListView
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db


def mirror(entity_id: int, created: str, status: str = "pending", **kwargs: object) -> None:
    order_upsert(raw=mo.order(entity_id, created_at=created, status=status, **kwargs))


def codes(body: dict) -> list[str]:
    return [o["orderCode"] for o in body["orders"]]


def test_it_lists_orders_sorted_by_time_then_code(api: APIClient) -> None:
    mirror(3, "2026-01-31 10:00:00")
    mirror(2, "2026-01-31 09:00:00")
    mirror(1, "2026-01-31 10:00:00")
    body = api.get("/api/omni/orders").json()
    assert (body["page"], body["pageSize"], body["totalCount"]) == (1, 50, 3)
    assert codes(body) == ["000000002", "000000001", "000000003"]


def test_it_filters_by_status_and_creation_time(api: APIClient) -> None:
    mirror(1, "2026-01-30 10:00:00", "pending")
    mirror(2, "2026-01-31 10:00:00", "processing")
    mirror(3, "2026-01-31 11:00:00", "complete")
    body = api.get(
        "/api/omni/orders",
        {"status": "pending,processing,complete", "createdFrom": "2026-01-31T15:00:00+05:30"},
    ).json()
    assert codes(body) == ["000000002", "000000003"]
    body = api.get("/api/omni/orders", {"createdTo": "2026-01-31T10:00:00"}).json()
    assert codes(body) == ["000000001", "000000002"]


def test_it_pages_and_answers_an_empty_page_past_the_end(api: APIClient) -> None:
    for n in range(1, 6):
        mirror(n, f"2026-01-31 10:0{n}:00")
    assert codes(api.get("/api/omni/orders", {"page": 2, "pageSize": 2}).json()) == [
        "000000003",
        "000000004",
    ]
    body = api.get("/api/omni/orders", {"page": 9, "pageSize": 2}).json()
    assert (body["orders"], body["totalCount"]) == ([], 5)


def test_it_pages_through_several_statuses_in_time_order(api: APIClient) -> None:
    statuses = ["pending", "processing", "holded", "complete"]
    for n in range(1, 13):  # statuses interleaved in time, two orders at 10:05
        minute = 5 if n in (5, 6) else n
        mirror(n, f"2026-01-31 10:{minute:02d}:00", statuses[n % 4])
    pages = [
        codes(api.get("/api/omni/orders", {"page": p, "pageSize": 2}).json())
        for p in (1, 2, 3, 4, 5)
    ]
    wanted = [f"{n:09d}" for n in range(1, 13) if n % 4 != 3]  # not the complete ones
    assert [code for page in pages for code in page] == wanted
    twice = api.get("/api/omni/orders", {"status": "holded,pending,holded", "pageSize": 3}).json()
    assert (codes(twice), twice["totalCount"]) == (["000000002", "000000004", "000000006"], 6)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageSize": "0"}, "pageSize must be between 1 and 200, not 0."),
        ({"pageSize": "201"}, "pageSize must be between 1 and 200, not 201."),
        ({"page": "x"}, "page must be a whole number, not 'x'."),
        ({"page": "0"}, "page must be at least 1, not 0."),
        (
            {"createdFrom": "yesterday"},
            "createdFrom must be an ISO 8601 timestamp such as 2026-01-31T09:15:00+00:00, "
            "not 'yesterday'.",
        ),
    ],
)
def test_it_rejects_bad_query_parameters(api: APIClient, params: dict, message: str) -> None:
    response = api.get("/api/omni/orders", params)
    assert response.status_code == 400
    assert response.json() == {"hasError": True, "errorMessage": message}


def test_it_lists_cancelled_orders_with_absolute_quantities(api: APIClient) -> None:
    items = [mo.item(11, "SKU-1", 3, qty_canceled=2), mo.item(12, "SKU-2", 1)]
    order_upsert(raw=mo.order(1, items=items, state="processing", status="processing"))
    mirror(2, "2026-01-31 10:00:00")
    body = api.get("/api/omni/orders/cancelled").json()
    assert body == {
        "page": 1,
        "pageSize": 50,
        "totalCount": 1,
        "orders": [
            {
                "orderCode": "000000001",
                "locationCode": None,
                "orderItems": [
                    {"channelSkuCode": "SKU-1", "orderItemCode": "11", "cancelledQuantity": 2}
                ],
            }
        ],
    }


def test_it_filters_cancelled_orders_by_update_time(api: APIClient) -> None:
    items = [mo.item(11, "SKU-1", 1, qty_canceled=1)]
    order_upsert(raw=mo.order(1, items=items, state="canceled", updated_at="2026-02-01 10:00:00"))
    assert (
        api.get("/api/omni/orders/cancelled", {"updatedFrom": "2026-02-02T00:00:00Z"}).json()[
            "orders"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"createdFrom": "9999-12-31T23:59:59-23:59"},
            "createdFrom is out of range: '9999-12-31T23:59:59-23:59'.",
        ),
        (
            {"createdTo": "0001-01-01T00:00:00+23:59"},
            "createdTo is out of range: '0001-01-01T00:00:00+23:59'.",
        ),
        ({"status": "pending,\x00"}, "status may not contain NUL characters."),
    ],
)
def test_it_answers_400_for_a_time_past_utcs_range_or_a_nul_status(
    api: APIClient, query: dict, message: str
) -> None:
    """Found by fuzzing: each was a 500 (the UTC conversion overflowed; PostgreSQL refused NUL)."""
    response = api.get("/api/omni/orders", query)
    assert (response.status_code, response.json()) == (
        400,
        {"hasError": True, "errorMessage": message},
    )


def test_it_answers_400_for_an_updated_time_past_utcs_range(api: APIClient) -> None:
    response = api.get("/api/omni/orders/cancelled", {"updatedTo": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 400 and response.json()["hasError"] is True


def test_the_order_bodies_are_exactly_what_their_output_serializers_render(
    api: APIClient,
) -> None:
    configurable = [
        mo.item(11, "TS", 2, product_type="configurable", qty_canceled=1),
        mo.item(12, "TS-M", 2, parent_item_id=11),
        mo.item(13, "SKU-2", 1),
    ]
    order_upsert(raw=mo.order(1, items=configurable, state="processing", status="processing"))
    mirror(2, "2026-01-31 10:00:00", shipping=50.0, guest=True)
    answers = [
        (OrderListView.Output, api.get("/api/omni/orders", {"status": "pending,processing"})),
        (OrderDetailView.Output, api.get("/api/omni/orders/000000002")),  # stale: no Magento
        (CancelledOrderListView.Output, api.get("/api/omni/orders/cancelled")),
    ]
    for output, response in answers:
        body = response.json()
        assert response.status_code == 200 and body != {}
        assert json.dumps(output(body).data) == json.dumps(body)


def test_statuses_are_matched_whatever_their_case(api: APIClient) -> None:
    mirror(1, "2026-01-31 10:00:00", "pending")
    mirror(2, "2026-01-31 11:00:00", "processing")
    assert codes(api.get("/api/omni/orders", {"status": "PENDING,Processing"}).json()) == [
        "000000001",
        "000000002",
    ]


def test_the_list_shows_the_location_after_acknowledgement(api: APIClient) -> None:
    from channel.models import Order

    mirror(1, "2026-01-31 10:00:00", "pending")
    mirror(2, "2026-01-31 11:00:00", "pending")
    Order.objects.filter(entity_id=1).update(location_code="WH1")  # as acknowledgement sets it
    orders = api.get("/api/omni/orders").json()["orders"]
    assert [o["locationCode"] for o in orders] == ["WH1", None]
