"""The API's OpenAPI schema and API-key header, as the fuzz tests use them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator


def openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def example_body(operation_id: str) -> dict[str, Any]:
    """The first request example of an operation in the schema (the contract's)."""
    for operations in openapi()["paths"].values():
        for operation in operations.values():
            if operation.get("operationId") == operation_id:
                examples = operation["requestBody"]["content"]["application/json"]["examples"]
                return next(iter(examples.values()))["value"]
    raise KeyError(operation_id)


def key_header() -> str:
    return "HTTP_" + settings.API_KEY_HEADER.upper().replace("-", "_")


def scope_of(path: str) -> str:
    return "returns" if path.startswith("/api/returns/") else "omni"
