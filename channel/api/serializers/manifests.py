"""Manifests (contract 4.7, Omni's Create Manifest and Get Manifest PDF)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channel.api.serializers.common import (
    AWB_NUMBER,
    BOXES,
    INT64_MAX,
    LOCATION_CODE,
    MANIFEST_CODE,
    MANIFEST_ID,
    ORDER_CODE,
    SHIPMENT_CODE,
    TEXT,
    Base64Field,
    ReadElsewhere,
    body_example,
    query,
)


class ManifestBox(serializers.Serializer):
    boxId = serializers.CharField(max_length=255)
    awbNumber = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ManifestItems(serializers.ListSerializer):
    """An empty list is refused as "manifestItems: This list may not be empty." (not under
    non_field_errors, as DRF's allow_empty would put it)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list) and not data:
            raise serializers.ValidationError("This list may not be empty.")
        return super().to_internal_value(data)


class ManifestItem(serializers.Serializer):
    orderCode = serializers.CharField(max_length=255)
    shipmentCode = serializers.CharField(max_length=255)
    awbNumber = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    packBoxDetailsList = ManifestBox(many=True, required=False, default=list)
    packboxDetailsList = ReadElsewhere(
        child=ManifestBox(), required=False, help_text="The other spelling."
    )

    class Meta:
        list_serializer_class = ManifestItems

    def to_internal_value(self, data: Any) -> Any:
        # Omni's JSON example spells it packboxDetailsList; its table, packBoxDetailsList.
        if isinstance(data, dict) and "packBoxDetailsList" not in data:
            data = {**data, "packBoxDetailsList": data.get("packboxDetailsList") or []}
        return super().to_internal_value(data)


class ManifestRequest(serializers.Serializer):
    transporter = serializers.CharField(max_length=255)
    locationCode = serializers.CharField(max_length=255)
    manifestId = serializers.IntegerField(
        min_value=0,
        max_value=INT64_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="The idempotency key; without it, the set of shipments is.",
    )
    manifestItems = ManifestItems(child=ManifestItem(), min_length=1)

    def validate_manifestItems(self, items: list[dict]) -> list[dict]:
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item["shipmentCode"] in seen:
                problem = {"shipmentCode": [f"{item['shipmentCode']} is listed twice."]}
                raise serializers.ValidationError(
                    [problem if n == index else {} for n in range(len(items))]
                )
            seen.add(item["shipmentCode"])
        return items


class ManifestQuery(serializers.Serializer):
    manifestCode = serializers.CharField(max_length=255)


class ManifestedShipment(serializers.Serializer):
    orderCode = serializers.CharField()
    shipmentCode = serializers.CharField()


class ManifestResponse(serializers.Serializer):
    manifestCode = serializers.CharField()
    manifestItems = ManifestedShipment(many=True)


class ManifestPdf(serializers.Serializer):
    manifestUrl = serializers.URLField(help_text="A signed link to the PDF; it expires.")
    manifest = Base64Field()


QUERY_PARAMETERS = [
    query("manifestCode", TEXT, "The proxy's manifestCode.", required=True, example=MANIFEST_CODE)
]
MANIFEST_EXAMPLE = body_example(
    "manifest",
    {
        "transporter": "Delhivery",
        "locationCode": LOCATION_CODE,
        "manifestId": MANIFEST_ID,
        "manifestItems": [
            {
                "orderCode": ORDER_CODE,
                "shipmentCode": SHIPMENT_CODE,
                "awbNumber": AWB_NUMBER,
                "packBoxDetailsList": BOXES,
            }
        ],
    },
)
