"""PUT /api/omni/orders/cancel: seller cancellation (contract 4.2)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.schema import operation
from channel.api.serializers import cancel as io
from channel.api.serializers.common import OK, Ok, render
from channel.api.views.orders import find_order
from channel.services.cancel import CancelItem, cancel_refunds, order_cancel_by_omni
from channel.services.refunds import describe


class CancelView(APIView):
    """PUT /api/omni/orders/cancel"""

    Input = io.CancelRequest

    @operation(
        "cancelOrderItems",
        "Cancel order items (seller cancellation)",
        description="Quantities are absolute; the same quantities again change nothing.",
        request=Input,
        ok=io.CancelAnswer,
        errors=[400, 404, 409, 503],
        examples=[io.CANCEL_EXAMPLE],
    )
    def put(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        order = find_order(data.validated_data["orderCode"], request)
        items = [
            CancelItem(
                sku=item["channelSkuCode"],
                order_item_code=item.get("orderItemCode") or None,
                cancelled_quantity=item["cancelledQuantity"],
            )
            for item in data.validated_data["orderItems"]
        ]
        order_cancel_by_omni(
            order=order,
            items=items,
            location_code=data.validated_data.get("locationCode") or None,
        )
        memos = cancel_refunds(order)
        if not memos:
            return Response(render(Ok, OK))
        answer = {
            **OK,
            "message": f"Invoiced units refunded: {describe(memos)}",
            "refunds": [
                {"creditMemo": m.creditmemo_number, "way": m.way, "amount": m.grand_total}
                for m in memos
            ],
        }
        return Response(render(io.CancelAnswer, answer))
