"""Create and get the invoice of a shipment (contract 4.4, 4.5)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.errors import ApiError
from channel.api.schema import operation
from channel.api.serializers import invoices as io
from channel.api.serializers.common import render
from channel.api.views.orders import find_order
from channel.integrations.magento import time_budget
from channel.models import Invoice, InvoiceState, Shipment, ShipmentState
from channel.services.invoices import (
    invoice_body,
    invoice_ensure,
    invoice_operation,
    invoice_try_now,
)


def find_shipment(data: dict, request: Request) -> Shipment:
    """The shipment `shipmentCode` of order `orderCode`, or a 404."""
    values = io.InvoiceRequest(data=data)
    values.is_valid(raise_exception=True)
    order = find_order(values.validated_data["orderCode"], request)
    code = values.validated_data["shipmentCode"]
    shipment = Shipment.objects.filter(order=order, shipment_code=code).first()
    if shipment is None:
        raise ApiError(f"Order {order.order_code} has no shipment {code}.", status_code=404)
    return shipment


def answer(invoice: Invoice, request: Request) -> Response:
    """The invoice once Magento has it; 409 while pending or when Magento refused it."""
    if invoice.state == InvoiceState.CREATED:
        return Response(render(io.Invoice, invoice_body(invoice, request)))
    if invoice.state == InvoiceState.FAILED:
        raise ApiError(invoice.last_error, status_code=409)
    operation = invoice_operation(invoice)
    last_error = invoice.last_error or (operation.last_error if operation else "")
    message = (
        f"The invoice for shipment {invoice.shipment.shipment_code} of order "
        f"{invoice.order.order_code} is pending in Magento"
    )
    raise ApiError(
        f"{message}; last error: {last_error}" if last_error else f"{message}.", status_code=409
    )


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
        invoice = Invoice.objects.filter(shipment=shipment).select_related("order").first()
        if invoice is None:
            raise ApiError(
                f"There is no invoice for shipment {shipment.shipment_code} of order "
                f"{shipment.order.order_code}.",
                status_code=404,
            )
        return answer(invoice, request)

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
        if shipment.state == ShipmentState.CANCELLED:
            raise ApiError(f"Shipment {shipment.shipment_code} is cancelled.", status_code=409)
        invoice = invoice_ensure(shipment=shipment)
        with time_budget(settings.MAGENTO_REQUEST_BUDGET):
            invoice = invoice_try_now(invoice=invoice)
        return answer(invoice, request)
