"""The OpenAPI description of the returns API and Omni's return QC call (contract section 5).

Documentation only, like channel/api/schema.py: the views validate with returns/api/serializers.py.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from channel.api.schema import (
    LOCATION_CODE,
    ORDER_CODE,
    RETURN_ORDER_CODE,
    SKU,
    body_example,
    items,
    omni_text,
    operation,
    optional_text,
    path_code,
)
from returns.models import QcStatus, ReturnState, ReturnType
from returns.services import MAX_UNITS

ITEM_CODE = f"{RETURN_ORDER_CODE}-1"


class ReturnItemRequest(serializers.Serializer):
    """One unit (with `itemCode`), or `quantity` units of a SKU (itemCodes generated)."""

    itemCode = optional_text(help_text="Names one unit; leave it out to give a quantity.")
    channelSkuCode = omni_text()
    reason = serializers.CharField(help_text="Free text; cut to 255 characters.")
    quantity = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_UNITS, default=1, help_text="At most 10000."
    )
    orderItemCode = serializers.IntegerField(
        required=False, allow_null=True, help_text="Pins the unit to this order line."
    )


class ReturnCreateRequest(serializers.Serializer):
    forwardOrderCode = omni_text()
    returnOrderCode = optional_text(help_text="Generated (R-<orderCode>-<n>) when left out.")
    orderType = serializers.ChoiceField(choices=ReturnType.choices)
    locationCode = optional_text(help_text="Default: the forward order's location.")
    awbNumber = optional_text()
    transporter = optional_text()
    returnOrderTime = serializers.DateTimeField(required=False, allow_null=True)
    orderItems = items(ReturnItemRequest, min_length=1)


class ReturnOrderItem(serializers.Serializer):
    itemCode = serializers.CharField()
    channelSkuCode = serializers.CharField()
    reason = serializers.CharField()
    qcStatus = serializers.ChoiceField(choices=QcStatus.choices, allow_null=True)
    qcReason = serializers.CharField(allow_null=True)
    imageUrls = serializers.ListField(child=serializers.CharField())


class ReturnOrder(serializers.Serializer):
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


class QcItem(serializers.Serializer):
    itemCode = omni_text()
    channelSkuCode = optional_text()
    qcStatus = serializers.ChoiceField(choices=QcStatus.choices)
    qcReason = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    imageUrls = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True
    )


class QcRequest(serializers.Serializer):
    """Omni's Return Order Acknowledgement."""

    returnOrderCode = omni_text()
    forwardOrderCode = optional_text()
    locationCode = optional_text()
    orderItems = items(QcItem, min_length=1)


return_create = operation(
    "createReturn",
    "Create a return order",
    description=(
        "201 with the new return; a repeat with the same body answers 200 with the return as it "
        "is now; the same returnOrderCode with a different body, 409."
    ),
    request=ReturnCreateRequest,
    ok=ReturnOrder,
    ok_status=201,
    ok_description="Created (and queued for Omni).",
    more={200: OpenApiResponse(ReturnOrder, description="A repeat: the return as it is now.")},
    errors=[400, 404, 409],
    examples=[
        body_example(
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
    ],
)
return_detail = operation(
    "getReturn",
    "Get a return order",
    description="The return, its state and the QC result of every unit.",
    parameters=[path_code("return_order_code", "The returnOrderCode.", RETURN_ORDER_CODE)],
    ok=ReturnOrder,
    errors=[404],
)
return_qc = operation(
    "recordReturnQc",
    "Record the QC result of returned units (Omni's Return Order Acknowledgement)",
    description="Repeats are harmless. The answer is 200 with an empty body.",
    request=QcRequest,
    ok=None,
    ok_description="Recorded; the body is empty.",
    errors=[400, 404, 409],
    examples=[
        body_example(
            "qc",
            {
                "returnOrderCode": RETURN_ORDER_CODE,
                "forwardOrderCode": ORDER_CODE,
                "locationCode": LOCATION_CODE,
                "orderItems": [{"itemCode": ITEM_CODE, "channelSkuCode": SKU, "qcStatus": "PASS"}],
            },
        )
    ],
)
