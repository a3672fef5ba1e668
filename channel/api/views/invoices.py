"""Create and get the invoice of a shipment (contract 4.4, 4.5)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.schema import operation
from channel.api.serializers import invoices as io
from channel.api.serializers.common import render
from channel.api.views.orders import find_order
from channel.models import Invoice, Shipment
from channel.services.invoices import (
    invoice_body,
    invoice_create_now,
    invoice_of_shipment,
    invoice_shipment,
)


def find_shipment(data: dict, request: Request) -> Shipment:
    """The shipment `shipmentCode` of order `orderCode` (404 otherwise)."""
    values = io.InvoiceRequest(data=data)
    values.is_valid(raise_exception=True)
    order = find_order(values.validated_data["orderCode"], request)
    return invoice_shipment(order=order, shipment_code=values.validated_data["shipmentCode"])


def answer(invoice: Invoice, request: Request) -> Response:
    return Response(render(io.Invoice, invoice_body(invoice, request)))


class InvoiceView(APIView):
    """GET /api/omni/invoices?orderCode=&shipmentCode=, POST /api/omni/invoices"""

    @operation(
        "getInvoice",
        "Get the invoice of a shipment",
        description="409 while Magento has not created it yet (with the last error), 404 if none.",
        parameters=io.QUERY_PARAMETERS,
        ok=io.Invoice,
        errors=[400, 404, 409],
    )
    def get(self, request: Request) -> Response:
        shipment = find_shipment(request.query_params.dict(), request)
        return answer(invoice_of_shipment(shipment=shipment), request)

    @operation(
        "createInvoice",
        "Create the invoice of a shipment (idempotent)",
        description="409 while Magento has not created it yet, or when Magento refused it.",
        request=io.InvoiceRequest,
        ok=io.Invoice,
        errors=[400, 404, 409],
        examples=[io.INVOICE_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        shipment = find_shipment(request.data, request)
        return answer(invoice_create_now(shipment=shipment), request)
