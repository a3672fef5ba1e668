"""GET /api/omni/shipping-label (contract 4.6, Omni's Get Shipping Label API)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api import schema
from channel.api.views.orders import find_order
from channel.services import labels
from channel.services.documents import document_base64, signed_url
from channel.services.errors import DomainError

MAX_ID = 2**63 - 1


@contextmanager
def refusals() -> Iterator[None]:
    """A service's refusal, answered by the API's exception handler (no traceback chained)."""
    try:
        yield
    except DomainError as exc:
        raise exc from None


class ShippingLabelView(APIView):
    """GET /api/omni/shipping-label?orderCode=&shipmentCode=&shipmentId=&locationCode="""

    class Input(serializers.Serializer):
        orderCode = serializers.CharField(max_length=255)
        shipmentCode = serializers.CharField(max_length=255, required=False, default="")
        shipmentId = serializers.IntegerField(
            min_value=0, max_value=MAX_ID, required=False, default=None
        )
        locationCode = serializers.CharField(max_length=255, required=False, default="")

        def validate(self, data: dict) -> dict:
            if not data["shipmentCode"] and data["shipmentId"] is None:
                raise serializers.ValidationError({"shipmentCode": ["shipmentCode is required."]})
            return data

    @schema.shipping_label
    def get(self, request: Request) -> Response:
        params = self.Input(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        order = find_order(query["orderCode"], request)
        with refusals():
            shipment = labels.shipment_find(
                order=order,
                shipment_code=query["shipmentCode"],
                shipment_id=query["shipmentId"],
                location_code=query["locationCode"],
            )
            label = labels.label_get(shipment=shipment)
        return Response(
            {
                "awbNumber": label.shipment.awb_number,
                "transporter": label.shipment.transporter,
                "shippingLabel": document_base64(label.document),
                "shippingLabelUrl": signed_url(label.document, request),
            }
        )
