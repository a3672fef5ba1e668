"""The body of PUT /api/omni/orders/cancel (contract 4.2)."""

from __future__ import annotations

from rest_framework import serializers

from channel.api.serializers.common import (
    LOCATION_CODE,
    ORDER_CODE,
    ORDER_ITEM,
    OmniBody,
    body_example,
    optional_text,
    text,
)


class CancelItem(serializers.Serializer):
    channelSkuCode = text()
    orderItemCode = optional_text()
    cancelledQuantity = serializers.IntegerField(min_value=0, help_text="Absolute.")


class CancelRequest(OmniBody):
    orderCode = text()
    locationCode = optional_text()
    orderItems: serializers.ListSerializer = serializers.ListSerializer(
        child=CancelItem(), allow_empty=False, min_length=1
    )


CANCEL_EXAMPLE = body_example(
    "cancel",
    {
        "orderCode": ORDER_CODE,
        "locationCode": LOCATION_CODE,
        "orderItems": [{**ORDER_ITEM, "cancelledQuantity": 1}],
    },
)


class Refund(serializers.Serializer):
    creditMemo = serializers.CharField(help_text="The Magento credit memo's increment_id.")
    way = serializers.ChoiceField(
        choices=["online", "offline"], help_text="online: the payment gateway refunded."
    )
    amount = serializers.FloatField(help_text="The credit memo's grand total.")


class CancelAnswer(serializers.Serializer):
    """Ok; when Magento had invoiced cancelled units (a prepaid order), how they were refunded."""

    hasError = serializers.BooleanField(help_text="Always false here.")
    errorMessage = serializers.CharField(allow_blank=True, help_text="Always empty here.")
    message = serializers.CharField(
        required=False,
        help_text="Only when invoiced units were refunded: the credit memos, as one sentence.",
    )
    refunds = Refund(
        many=True,
        required=False,
        help_text="Only when invoiced units were refunded: every credit memo made for Omni's "
        "cancellations of this order, oldest first (several when a refund had more items than "
        "Magento's input limit).",
    )
