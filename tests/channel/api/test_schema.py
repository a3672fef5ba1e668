"""The OpenAPI schema at /api/schema/ and its docs page: valid, complete, the contract's fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from channel.api.serializers.inventory import ConsolidatedInventory, LocationInventory
from channel.api.views.acknowledge import AcknowledgeView
from channel.api.views.cancel import CancelView
from channel.api.views.manifests import ManifestView
from channel.api.views.shipments import HandoverView, PackView
from channel.models import CallRecord
from returns.api.serializers import QcRequest, ReturnCreateRequest

pytestmark = pytest.mark.django_db
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
API_PREFIXES = ("api/omni/", "api/returns/")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][name]


def fields(schema: dict[str, Any], name: str) -> list[str]:
    return list(component(schema, name)["properties"])


def api_routes() -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every view under /api/omni/ and /api/returns/."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIXES):
                view = pattern.callback.view_class
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                found.update((path, m) for m in HTTP_METHODS if hasattr(view, m))

    walk(get_resolver().url_patterns, "")
    return found


def test_it_serves_a_valid_openapi_3_0_schema_without_an_api_key() -> None:
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"] == "3.0.3"
    validate_schema(served)
    assert not CallRecord.objects.exists()  # describing the API is not an API call


def test_it_generates_the_schema_without_warnings(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_it_documents_every_route_under_api_omni_and_api_returns(schema: dict[str, Any]) -> None:
    documented = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    routes = api_routes()
    assert len(routes) >= 17  # the walk found them all (17 when this was written)
    assert documented == routes


def test_it_documents_the_error_body_and_the_api_key_on_every_operation(
    schema: dict[str, Any],
) -> None:
    assert component(schema, "ErrorBody") == {
        "type": "object",
        "description": "Every error (contract section 0).",
        "properties": {
            "hasError": {"$ref": "#/components/schemas/ErrorBodyHasErrorEnum"},
            "errorMessage": {
                "type": "string",
                "minLength": 1,
                "description": "One readable sentence.",
            },
            "errors": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                },
                "description": (
                    'Validation errors by field path, e.g. {"orderItems[0].quantity": ["..."]}.'
                ),
            },
        },
        "required": ["errorMessage", "hasError"],
    }
    assert component(schema, "ErrorBodyHasErrorEnum")["enum"] == [True]
    schemes = schema["components"]["securitySchemes"]
    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items()} == {
        "omniKey": ("apiKey", "header", "X-Api-Key"),
        "returnsKey": ("apiKey", "header", "X-Api-Key"),
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            key = "returnsKey" if path.startswith("/api/returns/") else "omniKey"
            assert operation["security"] == [{key: []}], (path, method)
            errors = {s for s in operation["responses"] if s.startswith(("4", "5"))}
            assert {"401", "403", "429"} <= errors, (path, method)
            for status in errors:
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)


def test_it_follows_the_api_key_header_setting(settings: Any) -> None:
    settings.API_KEY_HEADER = "X-Omni-Token"
    served = APIClient().get("/api/schema/?format=json").json()
    assert served["components"]["securitySchemes"]["omniKey"]["name"] == "X-Omni-Token"


def test_it_lists_the_outward_order_fields_of_the_contract(schema: dict[str, Any]) -> None:
    assert fields(schema, "OutwardOrder") == [
        "orderCode",
        "orderTime",
        "orderType",
        "locationCode",
        "isSplitRequired",
        "onHold",
        "qcStatus",
        "isPriority",
        "gift",
        "dispatchByTime",
        "startProcessingTime",
        "paymentMethod",
        "shippingAddress",
        "billingAddress",
        "orderItems",
        "orderCustomAttributes",
        "taxBreakupForms",
    ]
    assert fields(schema, "Address") == [
        "name",
        "line1",
        "line2",
        "line3",
        "city",
        "state",
        "zip",
        "country",
        "email",
        "phone",
    ]
    assert fields(schema, "OutwardOrderItem") == [
        "channelSkuCode",
        "orderItemCode",
        "quantity",
        "sellingPricePerUnit",
        "channelDiscountPerUnit",
        "shippingChargePerUnit",
    ]
    assert fields(schema, "OrderDetail") == [*fields(schema, "OutwardOrder"), "stale"]
    assert fields(schema, "OrderList") == ["page", "pageSize", "totalCount", "orders"]
    assert fields(schema, "OrderStatus") == ["orderCode", "status", "state", "updatedAt", "stale"]


def test_it_lists_the_pack_invoice_label_and_manifest_bodies_of_the_contract(
    schema: dict[str, Any],
) -> None:
    pack = component(schema, "PackRequest")
    assert sorted(pack["required"]) == ["locationCode", "orderCode", "shipmentId"]
    assert pack["properties"]["shipmentId"] == {
        "type": "integer",
        "maximum": 2**63 - 1,
        "minimum": 1,
        "format": "int64",
        "description": "Omni's id; the idempotency key. A numeric string is accepted.",
    }
    assert fields(schema, "ShipmentItem") == ["channelSkuCode", "quantityToPack", "orderItemCode"]
    assert fields(schema, "PackResponse") == [
        "orderCode",
        "locationCode",
        "shipmentId",
        "shipmentCode",
    ]
    assert fields(schema, "Invoice") == [
        "invoiceCode",
        "invoiceDate",
        "invoiceUrl",
        "invoice",
        "invoiceDetails",
    ]
    assert fields(schema, "InvoiceDetail") == [
        "channelSkuCode",
        "orderItemCode",
        "quantity",
        "baseSellingPricePerUnit",
        "baseSellingPriceTotal",
        "actualSellingPricePerUnit",
        "actualSellingPriceTotal",
        "netTaxAmountPerUnit",
        "netTaxAmountTotal",
        "taxItems",
    ]
    assert fields(schema, "TaxItem") == ["type", "rate", "taxPerUnit", "taxTotal"]
    assert fields(schema, "ShippingLabel") == [
        "awbNumber",
        "transporter",
        "shippingLabel",
        "shippingLabelUrl",
    ]
    assert fields(schema, "ManifestResponse") == ["manifestCode", "manifestItems"]
    assert fields(schema, "ManifestPdf") == ["manifestUrl", "manifest"]
    assert fields(schema, "Ok") == ["hasError", "errorMessage"]


def test_it_lists_the_return_bodies_of_the_contract(schema: dict[str, Any]) -> None:
    assert fields(schema, "ReturnOrder") == [
        "returnOrderCode",
        "forwardOrderCode",
        "locationCode",
        "orderType",
        "state",
        "awbNumber",
        "transporter",
        "returnOrderTime",
        "createdAt",
        "lastError",
        "orderItems",
    ]
    assert fields(schema, "ReturnOrderItem") == [
        "itemCode",
        "channelSkuCode",
        "reason",
        "qcStatus",
        "qcReason",
        "imageUrls",
    ]
    assert component(schema, "ReturnOrderTypeEnum")["enum"] == [
        "SELF_SHIP",
        "CUSTOMER_RETURN",
        "RETURN_TO_ORIGIN",
    ]


@pytest.mark.parametrize(
    ("component_name", "serializer"),
    [
        ("AcknowledgeRequest", AcknowledgeView.Input),
        ("CancelRequest", CancelView.Input),
        ("PackRequest", PackView.Input),
        ("HandoverRequest", HandoverView.Input),
        ("ManifestRequest", ManifestView.Input),
        ("LocationInventory", LocationInventory),
        ("ConsolidatedInventory", ConsolidatedInventory),
        ("ReturnCreateRequest", ReturnCreateRequest),
        ("QcRequest", QcRequest),
    ],
)
def test_it_documents_the_fields_each_view_reads(
    schema: dict[str, Any], component_name: str, serializer: type
) -> None:
    read = set(serializer().fields)
    documented = set(fields(schema, component_name))
    spellings = {"packBoxDetailsList", "packboxDetailsList"}  # read beside the serializer
    assert documented - spellings == read - spellings


def test_it_serves_the_docs_page_with_local_assets_only() -> None:
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    # The page's own script is a second request (no inline script: Content-Security-Policy).
    assert "/api/docs/?script=" in assets
    assets.remove("/api/docs/?script=")
    assert assets and all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    assert all(finders.find(a.removeprefix("/static/")) for a in assets)
    script = APIClient().get("/api/docs/?script=").content.decode()
    assert '"validatorUrl": null' in script  # Swagger UI would otherwise call an online validator
    assert "/api/schema/" in script
