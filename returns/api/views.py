"""The returns API (`/api/returns/`, returns scope) and Omni's return QC call (omni scope)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.auth import HasOmniScope, HasReturnsScope
from channel.api.errors import ApiError
from returns import services
from returns.api import schema
from returns.api.serializers import QcIn, ReturnCreateIn, return_body
from returns.models import ReturnOrder


def _refused(exc: services.ReturnError) -> ApiError:
    return ApiError(exc.message, status_code=exc.status, errors=exc.errors)


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

    @schema.return_create
    def post(self, request: Request) -> Response:
        data = ReturnCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        try:
            result = services.return_create(
                forward_order_code=body["forwardOrderCode"],
                return_order_code=body.get("returnOrderCode"),
                order_type=body["orderType"],
                location_code=body.get("locationCode"),
                awb_number=body.get("awbNumber") or "",
                transporter=body.get("transporter") or "",
                return_order_time=body.get("returnOrderTime"),
                items=_items(body["orderItems"]),
                actor=f"api:{request.auth.name}",
            )
        except services.ReturnError as exc:
            raise _refused(exc) from None
        request._request.order_id = result.return_order.order_id
        return Response(return_body(result.return_order), status=201 if result.created else 200)


class ReturnDetailView(APIView):
    """GET /api/returns/{returnOrderCode}"""

    permission_classes = [HasReturnsScope]

    @schema.return_detail
    def get(self, request: Request, return_order_code: str) -> Response:
        returns = ReturnOrder.objects.select_related("order").prefetch_related("items")
        # A code with a NUL character (from the URL) names no return; PostgreSQL cannot compare it.
        found = "\x00" not in return_order_code
        return_order = (
            returns.filter(return_order_code=return_order_code).first() if found else None
        )
        if return_order is None:
            raise ApiError(f"Return {return_order_code} is unknown.", status_code=404)
        request._request.order_id = return_order.order_id
        return Response(return_body(return_order))


class ReturnQcView(APIView):
    """PUT /api/omni/returns/qc (Omni's Return Order Acknowledgement): 200 with an empty body."""

    permission_classes = [HasOmniScope]

    @schema.return_qc
    def put(self, request: Request) -> Response:
        data = QcIn(data=request.data)
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
        try:
            return_order = services.return_record_qc(
                return_order_code=body["returnOrderCode"],
                forward_order_code=body.get("forwardOrderCode"),
                items=items,
            )
        except services.ReturnError as exc:
            raise _refused(exc) from None
        request._request.order_id = return_order.order_id
        return Response(status=200)
