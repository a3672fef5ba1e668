"""Return bodies in Omni's field names (contract section 5), checked line by line against it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channel.lib.timefmt import to_omni
from returns.models import ReturnOrder


class ReturnItemIn(serializers.Serializer):
    """One unit (`itemCode`) or `quantity` units of a SKU; the service expands and checks them."""

    itemCode = serializers.CharField(required=False, allow_null=True)
    channelSkuCode = serializers.CharField()
    reason = serializers.CharField()
    quantity = serializers.IntegerField(required=False, default=1)
    orderItemCode = serializers.IntegerField(required=False, allow_null=True)


class ReturnCreateIn(serializers.Serializer):
    forwardOrderCode = serializers.CharField()
    returnOrderCode = serializers.CharField(required=False, allow_null=True)
    orderType = serializers.CharField()
    locationCode = serializers.CharField(required=False, allow_null=True)
    awbNumber = serializers.CharField(required=False, allow_null=True, allow_blank=True, default="")
    transporter = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=""
    )
    returnOrderTime = serializers.DateTimeField(required=False, allow_null=True)
    orderItems = ReturnItemIn(many=True, allow_empty=True)


class QcItemIn(serializers.Serializer):
    itemCode = serializers.CharField()
    channelSkuCode = serializers.CharField(required=False, allow_null=True)
    qcStatus = serializers.CharField()
    qcReason = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    imageUrls = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True
    )


class QcIn(serializers.Serializer):
    returnOrderCode = serializers.CharField()
    forwardOrderCode = serializers.CharField(required=False, allow_null=True)
    locationCode = serializers.CharField(required=False, allow_null=True)
    orderItems = QcItemIn(many=True, allow_empty=True)


def return_body(return_order: ReturnOrder) -> dict[str, Any]:
    """The return as the returns API shows it (POST and GET /api/returns/...)."""
    return {
        "returnOrderCode": return_order.return_order_code,
        "forwardOrderCode": return_order.order.order_code,
        "locationCode": return_order.location_code,
        "orderType": return_order.order_type,
        "state": return_order.state,
        "awbNumber": return_order.awb_number or None,
        "transporter": return_order.transporter or None,
        "returnOrderTime": to_omni(return_order.return_order_time),
        "createdAt": to_omni(return_order.created_at),
        "lastError": return_order.last_error or None,
        "orderItems": [
            {
                "itemCode": item.item_code,
                "channelSkuCode": item.channel_sku_code,
                "reason": item.reason,
                "qcStatus": item.qc_status or None,
                "qcReason": item.qc_reason or None,
                "imageUrls": list(item.image_urls),
            }
            for item in return_order.items.all()
        ],
    }
