"""PUT /api/omni/orders/acknowledge (contract 4.1)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.schema import operation
from channel.api.serializers import acknowledge as io
from channel.api.serializers.common import render
from channel.api.views.orders import link_order
from channel.services.acknowledge import AckRequest, orders_acknowledge


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
        done = orders_acknowledge(orders=orders, consolidation_type=consolidation)
        return Response(render(self.Output, {"successOrders": done}))
