"""The fake Magento's success responses match Adobe's published 2.4.8 admin schema."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft7Validator

from simulators.magento import MagentoSimulator
from tests.support.shared import shared_file
from tests.support.simulators import REST, search

SCHEMA = ("reference", "magento-openapi", "admin-schema-2.4.8.yaml")  # under ../shared

# Real Magento emits ``null`` for these non-nullable getters (Adobe's own samples and the
# schema's NOTICE say so); the swagger types them as plain strings/numbers, so they are
# relaxed to also accept null.  Nothing is removed from ``required``.
NULLABLE = {
    "sales-data-order-payment-interface": ("cc_last4", "account_status"),
    "sales-data-shipment-track-interface": ("weight", "qty", "description"),
    "sales-data-order-status-history-interface": ("is_customer_notified",),
    "catalog-inventory-data-stock-item-interface": ("low_stock_date",),
}


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    schema = shared_file(*SCHEMA)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with schema.open(encoding="utf-8") as handle:
        swagger = yaml.load(handle, Loader=loader)
    defs = copy.deepcopy(swagger["definitions"])
    for name, fields in NULLABLE.items():
        for field in fields:
            original = defs[name]["properties"][field]
            defs[name]["properties"][field] = {"anyOf": [original, {"type": "null"}]}
    # error-response.parameters is modelled as a list of objects; real payloads are a list of
    # strings or an object (see magento-rest.md section 5).
    defs["error-response"]["properties"]["parameters"] = {"type": ["array", "object"]}
    defs["_paths"] = {path: spec for path, spec in swagger["paths"].items()}
    return defs


def _validate(definitions: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    responses = definitions["_paths"][path][method]["responses"]
    schema = responses[str(status)]["schema"] if str(status) in responses else None
    if schema is None:  # errors share one definition
        schema = {"$ref": "#/definitions/error-response"}
    root = {"definitions": definitions, **schema}
    errors = sorted(Draft7Validator(root).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


@pytest.fixture
def busy(magento: MagentoSimulator) -> MagentoSimulator:
    """A configurable + bundle guest order, invoiced, shipped with a track, commented."""
    magento.add_product("TEE-RED-M", qty=20)
    magento.add_order(
        [
            {"sku": "KURTA", "qty": 2, "price": 1180},
            {"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "price": 799},
            {"type": "bundle", "sku": "KIT", "children": [{"sku": "A", "qty": 2, "price": 100}]},
        ],
        guest=True,
        tax_percent=18,
        shipping_amount=79,
        discount=100,
        coupon_code="WELCOME10",
    )
    magento.add_comment(1, "Packed", status="pending")
    magento.invoice(1)
    magento.ship(
        1, tracks=[{"track_number": "AWB1", "title": "Delhivery", "carrier_code": "custom"}]
    )
    return magento


def test_it_answers_orders_in_the_schema_shape(
    definitions: dict[str, Any], busy: MagentoSimulator, client: requests.Session
) -> None:
    order = client.get(f"{REST}/orders/1")
    _validate(definitions, "/V1/orders/{id}", "get", 200, order.json())
    listed = client.get(
        f"{REST}/orders",
        params=search(
            filters=[[("state", "complete", "eq")]], sorts=[("entity_id", "ASC")], page_size=5
        ),
    )
    assert listed.json()["total_count"] == 1
    _validate(definitions, "/V1/orders", "get", 200, listed.json())


def test_it_answers_documents_and_stock_in_the_schema_shape(
    definitions: dict[str, Any], busy: MagentoSimulator, client: requests.Session
) -> None:
    _validate(definitions, "/V1/invoices/{id}", "get", 200, client.get(f"{REST}/invoices/1").json())
    shipment = client.get(f"{REST}/shipment/1").json()
    assert shipment["tracks"][0]["weight"] is None
    _validate(definitions, "/V1/shipment/{id}", "get", 200, shipment)
    stock = client.get(f"{REST}/stockItems/TEE-RED-M").json()
    _validate(definitions, "/V1/stockItems/{productSku}", "get", 200, stock)
    invoices = client.get(f"{REST}/invoices", params=search(filters=[[("order_id", "1", "eq")]]))
    _validate(definitions, "/V1/invoices", "get", 200, invoices.json())


def test_it_answers_errors_in_the_schema_shape(
    definitions: dict[str, Any], busy: MagentoSimulator, client: requests.Session
) -> None:
    missing = client.get(f"{REST}/orders/99")
    _validate(definitions, "/V1/orders/{id}", "get", 404, missing.json())
    invalid = client.post(f"{REST}/order/1/invoice", json={})
    _validate(definitions, "/V1/order/{orderId}/invoice", "post", 400, invalid.json())
