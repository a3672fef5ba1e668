"""Return bodies in Omni's field names (contract section 5), checked line by line against it.

The views validate with the request serializers and answer through `ReturnOrder`; the schema
(/api/schema/) is generated from the same classes. Some bounds are checked by returns.services,
with its own messages (a code's length, orderType, qcStatus, the number of units and of items):
those fields carry them for the schema only (`checked_by_service`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channel.api.serializers.common import (
    LOCATION_CODE,
    MAX_STRING,
    ORDER_CODE,
    RETURN_ORDER_CODE,
    SKU,
    body_example,
)
from channel.lib.timefmt import to_omni
from returns.models import QcStatus, ReturnOrder, ReturnState, ReturnType
from returns.services import MAX_UNITS

F = TypeVar("F", bound=serializers.Field)
ITEM_CODE = f"{RETURN_ORDER_CODE}-1"
TEXT = {"type": "string", "maxLength": MAX_STRING}


def checked_by_service(field: type[F], schema: dict[str, Any]) -> type[F]:
    """`field` as it validates, described with `schema`: bounds returns.services checks."""
    return extend_schema_field(schema)(type(f"ServiceChecked{field.__name__}", (field,), {}))


ServiceText = checked_by_service(serializers.CharField, TEXT)


def choice_checked_by_service(choices: Any) -> type[serializers.Field]:
    """A string (validated as CharField validates it), described with its `choices`."""

    @extend_schema_field(serializers.ChoiceField(choices=choices))
    class Choice(serializers.Field):
        def run_validation(self, data: Any = serializers.empty) -> Any:
            return serializers.CharField().run_validation(data)

    return Choice


OrderTypeText = choice_checked_by_service(ReturnType.choices)
QcStatusText = choice_checked_by_service(QcStatus.choices)
Units = checked_by_service(
    serializers.IntegerField, {"type": "integer", "minimum": 1, "maximum": MAX_UNITS}
)


class ItemsCheckedByService(serializers.ListSerializer):
    """`orderItems`: at least one item, refused by returns.services with its own message."""

    min_items = 1


class ReturnItemRequest(serializers.Serializer):
    """One unit (with `itemCode`), or `quantity` units of a SKU (itemCodes generated)."""

    # returns.services expands and checks them.

    itemCode = ServiceText(
        required=False,
        allow_null=True,
        help_text="Names one unit; leave it out to give a quantity.",
    )
    channelSkuCode = ServiceText()
    reason = serializers.CharField(help_text="Free text; cut to 255 characters.")
    quantity = Units(required=False, default=1, help_text="At most 10000.")
    orderItemCode = serializers.IntegerField(
        required=False, allow_null=True, help_text="Pins the unit to this order line."
    )

    class Meta:
        list_serializer_class = ItemsCheckedByService


class ReturnCreateRequest(serializers.Serializer):
    forwardOrderCode = ServiceText()
    returnOrderCode = ServiceText(
        required=False,
        allow_null=True,
        help_text="Generated (R-<orderCode>-<n>) when left out.",
    )
    orderType = OrderTypeText()
    locationCode = ServiceText(
        required=False, allow_null=True, help_text="Default: the forward order's location."
    )
    awbNumber = ServiceText(required=False, allow_null=True, allow_blank=True, default="")
    transporter = ServiceText(required=False, allow_null=True, allow_blank=True, default="")
    returnOrderTime = serializers.DateTimeField(required=False, allow_null=True)
    orderItems = ReturnItemRequest(many=True, allow_empty=True)


class QcItem(serializers.Serializer):
    itemCode = ServiceText()
    channelSkuCode = ServiceText(required=False, allow_null=True)
    qcStatus = QcStatusText()
    qcReason = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    imageUrls = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True
    )

    class Meta:
        list_serializer_class = ItemsCheckedByService


class QcRequest(serializers.Serializer):
    """Omni's Return Order Acknowledgement."""

    returnOrderCode = ServiceText()
    forwardOrderCode = ServiceText(required=False, allow_null=True)
    locationCode = ServiceText(required=False, allow_null=True)
    orderItems = QcItem(many=True, allow_empty=True)


class ReturnOrderItem(serializers.Serializer):
    itemCode = serializers.CharField()
    channelSkuCode = serializers.CharField()
    reason = serializers.CharField()
    qcStatus = serializers.ChoiceField(choices=QcStatus.choices, allow_null=True)
    qcReason = serializers.CharField(allow_null=True)
    imageUrls = serializers.ListField(child=serializers.CharField())


class ReturnOrderBody(serializers.Serializer):
    # The return as the returns API shows it (POST and GET /api/returns/...): "ReturnOrder" in the
    # schema (the model has that name here).

    returnOrderCode = serializers.CharField()
    forwardOrderCode = serializers.CharField()
    locationCode = serializers.CharField()
    orderType = serializers.ChoiceField(choices=ReturnType.choices)
    state = serializers.ChoiceField(choices=ReturnState.choices)
    awbNumber = serializers.CharField(allow_null=True)
    transporter = serializers.CharField(allow_null=True)
    returnOrderTime = serializers.DateTimeField()
    createdAt = serializers.DateTimeField()
    lastError = serializers.CharField(allow_null=True, help_text="Omni's message when it refused.")
    orderItems = ReturnOrderItem(many=True)

    class Meta:
        ref_name = "ReturnOrder"


def return_body(return_order: ReturnOrder) -> Any:
    """The return as the returns API shows it, through `ReturnOrderBody`."""
    return ReturnOrderBody(
        {
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
    ).data


RETURN_EXAMPLE = body_example(
    "return",
    {
        "forwardOrderCode": ORDER_CODE,
        "returnOrderCode": "R-000000123-2",
        "locationCode": LOCATION_CODE,
        "orderType": "CUSTOMER_RETURN",
        "awbNumber": "RAWB2",
        "transporter": "Delhivery",
        "orderItems": [{"channelSkuCode": SKU, "quantity": 1, "reason": "Too small"}],
    },
)
QC_EXAMPLE = body_example(
    "qc",
    {
        "returnOrderCode": RETURN_ORDER_CODE,
        "forwardOrderCode": ORDER_CODE,
        "locationCode": LOCATION_CODE,
        "orderItems": [{"itemCode": ITEM_CODE, "channelSkuCode": SKU, "qcStatus": "PASS"}],
    },
)
