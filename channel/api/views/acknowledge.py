"""Acknowledgement and seller cancellation from Omni (contract 4.1, 4.2)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.schema import operation
from channel.api.serializers import acknowledge as io
from channel.api.serializers.common import OK, Ok, render
from channel.api.views.orders import find_order
from channel.integrations.magento import time_budget
from channel.models import Order
from channel.services.acknowledge import AckRequest, orders_acknowledge
from channel.services.cancel import CancelItem, order_cancel_by_omni


class AcknowledgeView(APIView):
    """PUT /api/omni/orders/acknowledge"""

    Input = io.AcknowledgeRequest
    Output = io.AcknowledgeResponse

    @operation(
        "acknowledgeOrders",
        "Acknowledge orders",
        description="Unknown orders, and orders Magento did not answer for, are left out.",
        request=Input,
        ok=Output,
        examples=[io.ACKNOWLEDGE_EXAMPLE],
    )
    def put(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        orders = [
            AckRequest(order_code=o["orderCode"], location_code=o.get("locationCode") or None)
            for o in data.validated_data["orders"]
        ]
        link_order(request, [o.order_code for o in orders])
        consolidation = (data.validated_data.get("consolidationType") or "").upper() or None
        with time_budget(settings.MAGENTO_REQUEST_BUDGET):
            done = orders_acknowledge(orders=orders, consolidation_type=consolidation)
        return Response(render(self.Output, {"successOrders": done}))


def link_order(request: Request, codes: list[str]) -> None:
    """Link the call record to the order when the request concerns exactly one."""
    if len(set(codes)) == 1:
        pk = Order.objects.filter(order_code=codes[0]).values_list("pk", flat=True).first()
        request._request.order_id = pk


class CancelView(APIView):
    """PUT /api/omni/orders/cancel"""

    Input = io.CancelRequest

    @operation(
        "cancelOrderItems",
        "Cancel order items (seller cancellation)",
        description="Quantities are absolute; the same quantities again change nothing.",
        request=Input,
        ok=Ok,
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
        with time_budget(settings.MAGENTO_REQUEST_BUDGET):
            order_cancel_by_omni(
                order=order,
                items=items,
                location_code=data.validated_data.get("locationCode") or None,
            )
        return Response(render(Ok, OK))
