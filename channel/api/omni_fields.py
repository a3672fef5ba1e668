"""Request fields Omni sends in several shapes (contract 0, "Leniency")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channel.api.errors import ApiError

MAX_STRING = 255
INT64_MAX = 2**63 - 1


class Int64Field(serializers.Field):
    """A positive 64-bit id (shipmentId, manifestId) given as a number or a numeric string."""

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


def text(**kwargs: Any) -> serializers.CharField:
    """An Omni string: at most 255 characters (longer is refused, not cut)."""
    return serializers.CharField(max_length=MAX_STRING, trim_whitespace=True, **kwargs)


def optional_text() -> serializers.CharField:
    return text(required=False, allow_blank=True, allow_null=True, default="")


class BoxSerializer(serializers.Serializer):
    boxId = serializers.JSONField(required=False)  # a number in Omni's docs; kept as sent
    awbNumber = optional_text()


def boxes(data: Any) -> list[dict[str, Any]]:
    """`packBoxDetailsList` or `packboxDetailsList` (both spellings occur), validated."""
    raw = data.get("packBoxDetailsList")
    if raw is None:
        raw = data.get("packboxDetailsList")
    if raw is None:
        return []
    serializer = BoxSerializer(data=raw, many=True)
    serializer.is_valid(raise_exception=True)
    return [
        {"boxId": box.get("boxId"), "awbNumber": box.get("awbNumber") or ""}
        for box in serializer.validated_data
    ]


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


def body_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError("The request body must be a JSON object.")
    reject_long_strings(data)
    return data
