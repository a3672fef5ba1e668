"""The returns API (`/api/returns/`, returns scope) and Omni's return QC call (omni scope)."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api import middleware
from channel.api.auth import HasOmniScope, HasReturnsScope
from channel.api.schema import operation
from channel.api.serializers.common import RETURN_ORDER_CODE, path_code
from channel.models import ApiKey
from returns import services
from returns.api import serializers as io
from returns.api.serializers import return_body
from returns.models import ReturnOrder


def _link_call(request: Request, return_order: ReturnOrder) -> None:
    """The inbound call record of this request concerns the return's order."""
    middleware.link_order(request._request, return_order.order_id)


def _items(rows: list[dict]) -> list[services.ItemInput]:
    return [
        services.ItemInput(
            channel_sku_code=row["channelSkuCode"],
            reason=row["reason"],
            item_code=row.get("itemCode"),
            quantity=row["quantity"],
            order_item_code=row.get("orderItemCode"),
        )
        for row in rows
    ]


class ReturnCreateView(APIView):
    """POST /api/returns/: 201 with a new return, 200 with the same one again on a repeat."""

    permission_classes = [HasReturnsScope]
    Input = io.ReturnCreateRequest
    Output = io.ReturnOrderBody

    @operation(
        "createReturn",
        "Create a return order",
        description=(
            "201 with the new return; a repeat with the same body answers 200 with the return as "
            "it is now; the same returnOrderCode with a different body, 409."
        ),
        request=Input,
        ok=Output,
        ok_status=201,
        ok_description="Created (and queued for Omni).",
        more={200: OpenApiResponse(Output, description="A repeat: the return as it is now.")},
        errors=[400, 404, 409],
        examples=[io.RETURN_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        result = services.return_create(
            forward_order_code=body["forwardOrderCode"],
            return_order_code=body.get("returnOrderCode"),
            order_type=body["orderType"],
            location_code=body.get("locationCode"),
            awb_number=body.get("awbNumber") or "",
            transporter=body.get("transporter") or "",
            return_order_time=body.get("returnOrderTime"),
            items=_items(body["orderItems"]),
            actor=f"api:{cast(ApiKey, request.auth).name}",
        )
        _link_call(request, result.return_order)
        return Response(return_body(result.return_order), status=201 if result.created else 200)


class ReturnDetailView(APIView):
    """GET /api/returns/{returnOrderCode}"""

    permission_classes = [HasReturnsScope]
    Output = io.ReturnOrderBody

    @operation(
        "getReturn",
        "Get a return order",
        description="The return, its state and the QC result of every unit.",
        parameters=[path_code("return_order_code", "The returnOrderCode.", RETURN_ORDER_CODE)],
        ok=Output,
        errors=[404],
    )
    def get(self, request: Request, return_order_code: str) -> Response:
        return_order = services.return_find(return_order_code)
        _link_call(request, return_order)
        return Response(return_body(return_order))


class ReturnQcView(APIView):
    """PUT /api/omni/returns/qc (Omni's Return Order Acknowledgement): 200 with an empty body."""

    permission_classes = [HasOmniScope]
    Input = io.QcRequest

    @operation(
        "recordReturnQc",
        "Record the QC result of returned units (Omni's Return Order Acknowledgement)",
        description="Repeats are harmless. The answer is 200 with an empty body.",
        request=Input,
        ok=None,
        ok_description="Recorded; the body is empty.",
        errors=[400, 404, 409],
        examples=[io.QC_EXAMPLE],
    )
    def put(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        items = [
            services.QcInput(
                item_code=row["itemCode"],
                qc_status=row["qcStatus"],
                channel_sku_code=row.get("channelSkuCode"),
                qc_reason=row.get("qcReason") or "",
                image_urls=tuple(row.get("imageUrls") or ()),
            )
            for row in body["orderItems"]
        ]
        return_order = services.return_record_qc(
            return_order_code=body["returnOrderCode"],
            forward_order_code=body.get("forwardOrderCode"),
            items=items,
        )
        _link_call(request, return_order)
        return Response(status=200)
