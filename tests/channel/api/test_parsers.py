"""The API's JSON parser: hostile bodies are a 400 with the hasError body, never a 500.

Each case here was a 500 found while fuzzing the API (docs/api.md, "What fuzzing found").
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channel.lib import redaction
from channel.models import CallRecord, Order, Shipment
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db
PACK = "/api/omni/shipments/pack"
PACK_BODY = (
    '{"orderCode": "000000100", "locationCode": "WH1", "shipmentId": 120001, '
    '"shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 1}]'
)


@pytest.fixture
def order() -> Order:
    return order_upsert(raw=mo.order(100, items=[mo.item(1001, "SKU-1", 3)])).order


def send(api: APIClient, path: str, body: str, method: str = "POST") -> tuple[int, dict]:
    response = api.generic(method, path, body.encode(), "application/json")
    return response.status_code, response.json()


def refused(path: str, message: str) -> tuple[int, dict]:
    return 400, {
        "hasError": True,
        "errorMessage": f"Invalid request: {path}: {message}",
        "errors": {path: [message]},
    }


@pytest.mark.parametrize(
    ("extra", "path", "message"),
    [
        # stored with the shipment (jsonb): PostgreSQL refuses \u0000
        ('"note": "a\\u0000b"', "note", "NUL characters and lone surrogates are not allowed."),
        # a lone surrogate cannot be encoded for the database at all
        ('"note": "\\ud800"', "note", "NUL characters and lone surrogates are not allowed."),
        # 1e999 is infinity: the stored JSON was invalid (SQLite's check, PostgreSQL's jsonb)
        ('"dimensions": {"length": 1e999}', "dimensions.length", "Numbers must be finite."),
        (
            '"packBoxDetailsList": [{"boxId": "\\u0000", "awbNumber": "A1"}]',
            "packBoxDetailsList[0].boxId",
            "NUL characters and lone surrogates are not allowed.",
        ),
    ],
)
def test_it_refuses_values_no_database_can_store(
    api: APIClient, order: Order, extra: str, path: str, message: str
) -> None:
    assert send(api, PACK, f"{PACK_BODY}, {extra}}}") == refused(path, message)
    assert not Shipment.objects.exists()


def test_it_refuses_a_nul_in_a_field_name(api: APIClient, order: Order) -> None:
    status, body = send(api, PACK, f'{PACK_BODY}, "a\\u0000": 1}}')
    assert (status, body["errorMessage"]) == (
        400,
        "Invalid request: body: Field names may not contain NUL or surrogates.",
    )


@pytest.mark.parametrize("depth", [40, 100_000])
def test_it_refuses_a_body_nested_too_deeply(api: APIClient, order: Order, depth: int) -> None:
    """100000 levels overflowed the JSON decoder's recursion; 40 levels the walks after it."""
    status, body = send(api, PACK, f'{PACK_BODY}, "x": {"[" * depth}{"]" * depth}}}')
    assert (status, body) == (
        400,
        {"hasError": True, "errorMessage": "The request body is nested more than 32 levels deep."},
    )
    assert CallRecord.objects.get(direction="in").status == 400


def test_it_refuses_them_on_every_endpoint(api: APIClient) -> None:
    assert send(api, "/api/omni/orders/cancel", '{"orderCode": "\\u0000"}', "PUT") == refused(
        "orderCode", "NUL characters and lone surrogates are not allowed."
    )


def test_it_records_a_body_with_a_lone_surrogate(api: APIClient) -> None:
    send(api, "/api/omni/orders/cancel", '{"orderCode": "\\udc00"}', "PUT")
    assert CallRecord.objects.get(direction="in").request_body == '{"orderCode": "\\udc00"}'


def test_redaction_leaves_json_too_deep_to_walk_as_it_is() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert redaction.redact_text(text) == text
