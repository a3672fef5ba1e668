"""What the bodies share: Omni's strings and ids, the error body, the contract's examples."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema_field
from rest_framework import serializers

from channel.api.errors import ApiError

MAX_STRING = 255  # Omni's limit for every string it sends, except free-text reasons
INT64_MAX = 2**63 - 1
INT_MAX = 2_000_000_000

# The contract's example identities (sections 2 to 5); the fuzz tests put exactly these in the
# database (tests/fuzz/conftest.py).
ORDER_CODE = "000000123"
LOCATION_CODE = "WH1"
SHIPMENT_ID = 120001
SHIPMENT_CODE = "000000123-1"
MANIFEST_ID = 87456
MANIFEST_CODE = "MF-WH1-20260131-0001"
RETURN_ORDER_CODE = "R-000000123-1"
AWB_NUMBER = "AWB1"
SKU = "SKU-1"
ORDER_ITEM = {"channelSkuCode": SKU}  # orderItemCode is optional: Magento numbers the items
BOXES = [{"boxId": 1, "awbNumber": AWB_NUMBER}]


# --- request fields -------------------------------------------------------------------------------


def text(**kwargs: Any) -> serializers.CharField:
    """A string Omni sends: at most 255 characters (a longer one is a 400, not cut)."""
    return serializers.CharField(max_length=MAX_STRING, trim_whitespace=True, **kwargs)


def optional_text(**kwargs: Any) -> serializers.CharField:
    """An Omni string that may be absent, null or blank (all read as "")."""
    return text(required=False, allow_blank=True, allow_null=True, default="", **kwargs)


@extend_schema_field(
    {"type": "integer", "format": "int64", "minimum": 1, "maximum": INT64_MAX},
)
class Int64Field(serializers.Field):
    """A positive 64-bit id (shipmentId) given as a number or a numeric string."""

    default_error_messages = {"invalid": "Must be a positive whole number below 2^63."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        elif isinstance(data, str) and data.strip().isdigit():
            value = int(data.strip())
        elif isinstance(data, float) and data.is_integer():
            value = int(data)
        else:
            self.fail("invalid")
        if not 0 < value <= INT64_MAX:
            self.fail("invalid")
        return value

    def to_representation(self, value: int) -> int:
        return int(value)


class ReadElsewhere(serializers.ListField):
    """A list described here but read from the raw body by the view (the two spellings of
    the box list): the serializer leaves it alone, so its errors keep their own paths."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        raise serializers.SkipField()


def reject_long_strings(data: Any, path: str = "") -> None:
    """Omni's limit is 255 characters for every string; a longer one is a 400 naming the field."""
    if isinstance(data, str) and len(data) > MAX_STRING:
        raise ApiError(
            f"Invalid request: {path or 'body'}: Ensure this field has no more than "
            f"{MAX_STRING} characters.",
            errors={
                path or "body": [f"Ensure this field has no more than {MAX_STRING} characters."]
            },
        )
    if isinstance(data, dict):
        for key, value in data.items():
            reject_long_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_long_strings(value, f"{path}[{index}]")


class OmniBody(serializers.Serializer):
    # A body Omni sends: a JSON object whose every string, unknown fields' too, has at most 255
    # characters (checked before the fields, as a 400 naming the first long one). No docstring:
    # drf-spectacular would give it to every body as its description.

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if self.parent is None:
            if not isinstance(data, dict):
                raise ApiError("The request body must be a JSON object.")
            reject_long_strings(data)
        return super().run_validation(data)


class ContractOrder(serializers.Serializer):
    # Fields declared in the contract's order (the schema lists them so), checked in the order
    # `checked` (the order of the errors in a 400, as it has always been). No docstring (as above).

    checked: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                rank = {name: n for n, name in enumerate(self.checked)}
                exc.detail = dict(
                    sorted(exc.detail.items(), key=lambda kv: rank.get(kv[0], len(rank)))
                )
            raise


# --- answer fields --------------------------------------------------------------------------------


def out_text(**kwargs: Any) -> serializers.CharField:
    """A string the proxy answers (blank when Magento has none)."""
    return serializers.CharField(allow_blank=True, **kwargs)


class NumberField(serializers.FloatField):
    """A number answered as the service computed it (a float's JSON stays the same)."""

    def to_representation(self, value: Any) -> Any:
        return value


def stored(component: Any) -> type[serializers.JSONField]:
    """A field answered as stored (JSON from the database, key order kept), described as
    `component` (a serializer, or `many=True` one)."""

    @extend_schema_field(component)
    class Stored(serializers.JSONField):
        pass

    return Stored


@extend_schema_field(OpenApiTypes.BYTE)
class Base64Field(serializers.CharField):
    """A PDF, base64-encoded."""


@extend_schema_field({"type": "boolean", "enum": [True]})
class TrueField(serializers.BooleanField):
    pass


@extend_schema_field({"type": "boolean", "enum": [False]})
class FalseField(serializers.BooleanField):
    pass


@extend_schema_field({"type": "string", "maxLength": 0})
class EmptyTextField(serializers.CharField):
    pass


def render(serializer: type[serializers.Serializer], value: Any) -> Any:
    """The answer `value` (a dict) through its output serializer."""
    return serializer(value).data


# --- query and path parameters -------------------------------------------------------------------


def query(
    name: str, schema: dict, description: str, *, required: bool = False, example: object = None
) -> OpenApiParameter:
    examples = [OpenApiExample(name, value=example)] if example is not None else None
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.QUERY,
        required=required,
        description=description,
        examples=examples,
    )


def path_code(name: str, description: str, example: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample(name, value=example)],
    )


TEXT = {"type": "string", "maxLength": MAX_STRING}
TIMESTAMP = {"type": "string", "format": "date-time"}


def body_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


# --- common bodies --------------------------------------------------------------------------------


class ErrorBody(serializers.Serializer):
    """Every error (contract section 0)."""

    hasError = TrueField()
    errorMessage = serializers.CharField(help_text="One readable sentence.")
    errors = serializers.DictField(  # type: ignore[assignment]  # Omni's name; shadows .errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors by field path, e.g. {"orderItems[0].quantity": ["..."]}.',
    )


class Ok(serializers.Serializer):
    """The success body of cancel and handover."""

    hasError = FalseField()
    errorMessage = EmptyTextField(allow_blank=True)


OK = {"hasError": False, "errorMessage": ""}
