"""The body of PUT /api/omni/orders/acknowledge and its answer (contract 4.1)."""

from __future__ import annotations

from rest_framework import serializers

from channel.api.serializers.common import (
    LOCATION_CODE,
    ORDER_CODE,
    ContractOrder,
    OmniBody,
    body_example,
    optional_text,
    text,
)


class AcknowledgedOrder(ContractOrder):
    """An order of the request, and of the answer when Magento recorded it."""

    locationCode = optional_text()
    orderCode = text()
    checked = ("orderCode", "locationCode")


class AcknowledgeRequest(OmniBody):
    orders: serializers.ListSerializer = serializers.ListSerializer(
        child=AcknowledgedOrder(), allow_empty=False, min_length=1
    )
    consolidationType = optional_text(help_text="NONE, or ALL (no location is stored).")


class AcknowledgeResponse(serializers.Serializer):
    successOrders = AcknowledgedOrder(
        many=True, help_text="The orders whose acknowledgement Magento recorded."
    )


ACKNOWLEDGE_EXAMPLE = body_example(
    "acknowledge",
    {
        "orders": [{"locationCode": LOCATION_CODE, "orderCode": ORDER_CODE}],
        "consolidationType": "NONE",
    },
)
