"""The invoice of a shipment (contract 4.4, 4.5)."""

from __future__ import annotations

from rest_framework import serializers

from channel.api.serializers.common import (
    ORDER_CODE,
    SHIPMENT_CODE,
    TEXT,
    Base64Field,
    OmniBody,
    body_example,
    query,
    stored,
    text,
)


class InvoiceRequest(OmniBody):
    """The body of POST, and the query of GET."""

    orderCode = text()
    shipmentCode = text()


class TaxItem(serializers.Serializer):
    type = serializers.CharField()
    rate = serializers.FloatField()
    taxPerUnit = serializers.FloatField()
    taxTotal = serializers.FloatField()


class InvoiceDetail(serializers.Serializer):
    channelSkuCode = serializers.CharField()
    orderItemCode = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    baseSellingPricePerUnit = serializers.FloatField()
    baseSellingPriceTotal = serializers.FloatField()
    actualSellingPricePerUnit = serializers.FloatField()
    actualSellingPriceTotal = serializers.FloatField()
    netTaxAmountPerUnit = serializers.FloatField()
    netTaxAmountTotal = serializers.FloatField()
    taxItems = TaxItem(many=True)


class Invoice(serializers.Serializer):
    """Omni's Get Invoice body (contract 4.5)."""

    invoiceCode = serializers.CharField(help_text="The Magento invoice's increment_id.")
    invoiceDate = serializers.DateTimeField()
    invoiceUrl = serializers.URLField(help_text="A signed link to the PDF; it expires.")
    invoice = Base64Field()
    invoiceDetails = stored(InvoiceDetail(many=True))()  # the invoice's stored lines, as they are


QUERY_PARAMETERS = [
    query("orderCode", TEXT, "Omni's orderCode.", required=True, example=ORDER_CODE),
    query("shipmentCode", TEXT, "The proxy's shipmentCode.", required=True, example=SHIPMENT_CODE),
]
INVOICE_EXAMPLE = body_example("invoice", {"orderCode": ORDER_CODE, "shipmentCode": SHIPMENT_CODE})
