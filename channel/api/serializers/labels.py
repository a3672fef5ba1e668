"""The shipping label of a shipment (contract 4.6, Omni's Get Shipping Label API)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channel.api.serializers.common import (
    INT64_MAX,
    LOCATION_CODE,
    ORDER_CODE,
    SHIPMENT_CODE,
    SHIPMENT_ID,
    TEXT,
    Base64Field,
    out_text,
    query,
)


class ShippingLabelQuery(serializers.Serializer):
    """GET's query: orderCode, and shipmentCode or shipmentId."""

    orderCode = serializers.CharField(max_length=255)
    shipmentCode = serializers.CharField(max_length=255, required=False, default="")
    shipmentId = serializers.IntegerField(
        min_value=0, max_value=INT64_MAX, required=False, default=None
    )
    locationCode = serializers.CharField(max_length=255, required=False, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data["shipmentCode"] and data["shipmentId"] is None:
            raise serializers.ValidationError({"shipmentCode": ["shipmentCode is required."]})
        return data


class ShippingLabel(serializers.Serializer):
    awbNumber = serializers.CharField()
    transporter = out_text()
    shippingLabel = Base64Field()
    shippingLabelUrl = serializers.URLField(help_text="A signed link to the PDF; it expires.")


QUERY_PARAMETERS = [
    query("orderCode", TEXT, "Omni's orderCode.", required=True, example=ORDER_CODE),
    query(
        "shipmentCode", TEXT, "The proxy's shipmentCode (answered by pack).", example=SHIPMENT_CODE
    ),
    query(
        "shipmentId",
        {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX},
        "Omni's shipmentId.",
        example=SHIPMENT_ID,
    ),
    query("locationCode", TEXT, "The shipment's location.", example=LOCATION_CODE),
]
