"""What drf-spectacular needs beyond the serializers (served at /api/schema/; docs/api.md).

The bodies are the serializers in channel/api/serializers/ and returns/api/serializers.py, the
same the views validate and answer with. Here: the schema class, the API-key schemes, the bounds
of lists of objects, and `operation`, which gives an endpoint every error status it can answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from channel.api.auth import HasReturnsScope
from channel.api.serializers.common import ErrorBody

OMNI_KEY = "omniKey"
RETURNS_KEY = "returnsKey"


class ApiKeySchemes(OpenApiAuthenticationExtension):
    """Two schemes with the same header: a key has one scope, omni or returns."""

    target_class = "channel.api.auth.ApiKeyAuthentication"
    name = [OMNI_KEY, RETURNS_KEY]

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[Any]]:
        returns = any(isinstance(p, HasReturnsScope) for p in auto_schema.view.get_permissions())
        return {RETURNS_KEY if returns else OMNI_KEY: []}

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        scopes = [
            ("omni", "/api/omni/", "create_api_key NAME"),
            ("returns", "/api/returns/", "create_api_key NAME --scope returns"),
        ]
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": settings.API_KEY_HEADER,
                "description": (
                    f"An API key of scope `{scope}` for `{prefix}` (`manage.py {command}`, or "
                    "Django admin). Missing or wrong: 401; another scope: 403."
                ),
            }
            for scope, prefix, command in scopes
        ]


class ListBounds(OpenApiSerializerFieldExtension):
    """A list of objects (`many=True`) with its bounds: DRF's ListSerializer checks `min_length`,
    `max_length` and `allow_empty` itself, without the validators drf-spectacular reads."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema is None or schema.get("type") != "array":
            return schema
        low = max(
            self.target.min_length or 0,
            0 if self.target.allow_empty else 1,
            getattr(self.target, "min_items", 0),  # checked by a service, with its own message
        )
        if low:
            schema["minItems"] = low
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema


class ProxyAutoSchema(AutoSchema):
    """The API's schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

    def get_tags(self) -> list[str]:
        path = self.path.removeprefix("/api/")
        if path.startswith("returns/") or path.startswith("omni/returns/"):
            return ["returns"]
        return [path.removeprefix("omni/").split("/")[0]]


ERRORS = {
    400: "Bad input: a missing or malformed field, or a body that is not a JSON object.",
    401: "The API key is missing, wrong, revoked or expired.",
    403: "The API key has the other scope.",
    404: "Unknown order, shipment, manifest or return.",
    409: "The request conflicts with the current state (see the message).",
    429: "Too many calls with a wrong API key from this address; see Retry-After.",
    503: "Magento is unreachable and the answer needs it; retry.",
}
AUTH_ERRORS = (401, 403, 429)


def error(status: int) -> OpenApiResponse:
    return OpenApiResponse(ErrorBody, description=ERRORS[status])


def operation(
    operation_id: str,
    summary: str,
    *,
    description: str,
    ok: Any,
    ok_description: str = "Done.",
    ok_status: int = 200,
    more: dict[int, OpenApiResponse] | None = None,
    errors: Sequence[int] = (400,),
    request: Any = None,
    parameters: Sequence[OpenApiParameter] = (),
    examples: Sequence[OpenApiExample] = (),
) -> Callable[[Any], Any]:
    """`extend_schema` for one endpoint: its input and output serializers, and every error status
    it can answer (ErrorBody), the API key's on every operation."""
    responses: dict[int, OpenApiResponse] = {
        ok_status: OpenApiResponse(ok, description=ok_description),
        **(more or {}),
    }
    for status in sorted({*errors, *AUTH_ERRORS}):
        responses[status] = error(status)
    kwargs: dict[str, Any] = {}
    if request is not None:
        kwargs["request"] = request
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=list(parameters),
        responses=responses,
        examples=list(examples),
        **kwargs,
    )
