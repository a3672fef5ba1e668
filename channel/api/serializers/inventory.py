"""Inventory (contract 4.9): Omni's absolute stock, location-wise or consolidated."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from channel.api.serializers.common import LOCATION_CODE, SKU, body_example, text
from channel.services.inventory import MAX_SKUS

MAX_QUANTITY = 2_000_000_000  # fits Magento's and our integer columns


def _lines(line: type[serializers.Serializer]) -> serializers.ListSerializer:
    return serializers.ListSerializer(
        child=line(),
        max_length=MAX_SKUS,
        error_messages={"max_length": f"At most {MAX_SKUS} SKUs per call."},
    )


class LocationInventoryLine(serializers.Serializer):
    channelSkuCode = text()
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class LocationInventory(serializers.Serializer):
    """Location-wise quantities."""

    locationCode = text()
    inventories = _lines(LocationInventoryLine)


class ConsolidatedInventoryLine(serializers.Serializer):
    channelSkuCode = text()
    consolidatedQuantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class ConsolidatedInventory(serializers.Serializer):
    """Consolidated quantities (the presence of `consolidationType` selects this shape)."""

    consolidationType = serializers.ChoiceField(choices=["ALL", "STORE"])
    inventories = _lines(ConsolidatedInventoryLine)


InventoryRequest = PolymorphicProxySerializer(
    component_name="InventoryRequest",
    serializers=[LocationInventory, ConsolidatedInventory],
    resource_type_field_name=None,
)


class InventoryResponse(serializers.Serializer):
    successList = serializers.ListField(
        child=serializers.CharField(), help_text="SKUs written to Magento within this request."
    )
    failureList = serializers.ListField(
        child=serializers.CharField(), help_text="Unknown SKUs, and SKUs retried in the background."
    )


INVENTORY_EXAMPLES = [
    body_example(
        "location-wise",
        {"locationCode": LOCATION_CODE, "inventories": [{"channelSkuCode": SKU, "quantity": 40}]},
    ),
    body_example(
        "consolidated",
        {
            "consolidationType": "ALL",
            "inventories": [{"channelSkuCode": SKU, "consolidatedQuantity": 36}],
        },
    ),
]
