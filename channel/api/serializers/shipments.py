"""Pack and handover (contract 4.3, 4.8)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channel.api.serializers.common import (
    BOXES,
    INT64_MAX,
    LOCATION_CODE,
    MAX_STRING,
    ORDER_CODE,
    ORDER_ITEM,
    SHIPMENT_CODE,
    SHIPMENT_ID,
    ContractOrder,
    Int64Field,
    OmniBody,
    ReadElsewhere,
    body_example,
    optional_text,
    text,
)

MAX_WEIGHT_GRAMS = 1_000_000_000  # 1000 tonnes: nonsense beyond, and it fits the column


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "format": "int64"},
            {"type": "string", "maxLength": MAX_STRING},
        ],
        "description": "A number in Omni's examples; a string is accepted too.",
    }
)
class BoxIdField(serializers.JSONField):
    """Kept as sent."""


class PackBox(serializers.Serializer):
    boxId = BoxIdField(required=False)
    awbNumber = optional_text()


def box_lists(other: str, **kwargs: Any) -> tuple[ReadElsewhere, ReadElsewhere]:
    """`packBoxDetailsList` and `packboxDetailsList` (both spellings occur), read by boxes()."""
    return (
        ReadElsewhere(child=PackBox(), required=False, **kwargs),
        ReadElsewhere(child=PackBox(), required=False, help_text=other, **kwargs),
    )


def boxes(data: Any) -> list[dict[str, Any]]:
    """The boxes of a pack or handover item, either spelling, validated."""
    raw = data.get("packBoxDetailsList")
    if raw is None:
        raw = data.get("packboxDetailsList")
    if raw is None:
        return []
    serializer = PackBox(data=raw, many=True)
    serializer.is_valid(raise_exception=True)
    return [
        {"boxId": box.get("boxId"), "awbNumber": box.get("awbNumber") or ""}
        for box in serializer.validated_data
    ]


class ShipmentItem(ContractOrder):
    channelSkuCode = text()
    quantityToPack = serializers.IntegerField(min_value=1)
    orderItemCode = optional_text()
    checked = ("channelSkuCode", "orderItemCode", "quantityToPack")


class PackInvoiceItem(ContractOrder):
    channelSkuCode = text()
    quantity = serializers.IntegerField(min_value=1)
    orderItemCode = optional_text()
    checked = ("channelSkuCode", "orderItemCode", "quantity")


@extend_schema_field(PackInvoiceItem(many=True))
class InvoiceItemsField(serializers.ListField):
    """A list, its items checked (as PackInvoiceItem) only when `shipmentItems` is absent."""


class PackInvoice(serializers.Serializer):
    """Omni's invoice block; only its items are read (when `shipmentItems` is absent)."""

    invoiceItems = InvoiceItemsField(required=False, allow_null=True)


class Dimensions(serializers.Serializer):
    length = serializers.FloatField(required=False, allow_null=True, min_value=0)
    breadth = serializers.FloatField(required=False, allow_null=True, min_value=0)
    height = serializers.FloatField(required=False, allow_null=True, min_value=0)


class PackRequest(OmniBody):
    """Omni's Pack Order body. The items are `shipmentItems`, or else `invoice.invoiceItems`."""

    orderCode = text()
    locationCode = text()
    shipmentId = Int64Field(
        help_text="Omni's id; the idempotency key. A numeric string is accepted."
    )
    packageSku = optional_text()
    weight = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_WEIGHT_GRAMS,
        help_text="Grams.",
    )
    fulfillmentType = optional_text()
    dimensions = Dimensions(required=False, allow_null=True)
    # Not ShipmentItem(many=True, allow_null=True): DRF passes allow_null to the items too,
    # and a null item then reached the view (a 500 found by fuzzing).
    shipmentItems: serializers.ListSerializer = serializers.ListSerializer(
        child=ShipmentItem(), required=False, allow_null=True
    )
    invoice = PackInvoice(required=False, allow_null=True)
    packBoxDetailsList, packboxDetailsList = box_lists(
        "The other spelling Omni uses.", allow_null=True
    )


class PackResponse(serializers.Serializer):
    orderCode = serializers.CharField()
    locationCode = serializers.CharField()
    shipmentId = serializers.IntegerField(min_value=1, max_value=INT64_MAX)
    shipmentCode = serializers.CharField()


class HandoverItem(serializers.Serializer):
    orderCode = text()
    shipmentCode = text()
    gatePassCode = optional_text()
    packBoxDetailsList, packboxDetailsList = box_lists("The other spelling.", allow_null=True)


class HandoverRequest(OmniBody):
    locationCode = text()
    handoverItems: serializers.ListSerializer = serializers.ListSerializer(
        child=HandoverItem(), allow_empty=False, min_length=1
    )


PACK_EXAMPLE = body_example(
    "pack",
    {
        "orderCode": ORDER_CODE,
        "locationCode": LOCATION_CODE,
        "shipmentId": SHIPMENT_ID + 1,
        "weight": 500,
        "dimensions": {"length": 30, "breadth": 20, "height": 10},
        "shipmentItems": [{**ORDER_ITEM, "quantityToPack": 1}],
    },
)
HANDOVER_EXAMPLE = body_example(
    "handover",
    {
        "locationCode": LOCATION_CODE,
        "handoverItems": [
            {
                "orderCode": ORDER_CODE,
                "shipmentCode": SHIPMENT_CODE,
                "gatePassCode": "G1",
                "packBoxDetailsList": BOXES,
            }
        ],
    },
)
