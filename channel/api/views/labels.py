"""GET /api/omni/shipping-label (contract 4.6, Omni's Get Shipping Label API)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.schema import operation
from channel.api.serializers import labels as io
from channel.api.serializers.common import render
from channel.api.views.orders import find_order
from channel.services import labels
from channel.services.documents import document_base64, signed_url


class ShippingLabelView(APIView):
    """GET /api/omni/shipping-label?orderCode=&shipmentCode=&shipmentId=&locationCode="""

    Input = io.ShippingLabelQuery
    Output = io.ShippingLabel

    @operation(
        "getShippingLabel",
        "Get a shipment's shipping label and AWB",
        description="shipmentCode or shipmentId is required. Repeats answer the same AWB.",
        parameters=io.QUERY_PARAMETERS,
        ok=Output,
        errors=[400, 404, 409],
    )
    def get(self, request: Request) -> Response:
        params = self.Input(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        order = find_order(query["orderCode"], request)
        shipment = labels.shipment_find(
            order=order,
            shipment_code=query["shipmentCode"],
            shipment_id=query["shipmentId"],
            location_code=query["locationCode"],
        )
        label = labels.label_get(shipment=shipment)
        return Response(
            render(
                self.Output,
                {
                    "awbNumber": label.shipment.awb_number,
                    "transporter": label.shipment.transporter,
                    "shippingLabel": document_base64(label.document),
                    "shippingLabelUrl": signed_url(label.document, request),
                },
            )
        )
