"""Orders (contract 2, 3.1, 3.2): the answers of the order list, detail, status, cancellations."""

from __future__ import annotations

from rest_framework import serializers

from channel.api.serializers.common import (
    ORDER_CODE,
    TEXT,
    TIMESTAMP,
    NumberField,
    out_text,
    path_code,
    query,
    stored,
)


class Address(serializers.Serializer):
    name = out_text()
    line1 = out_text()
    line2 = out_text()
    line3 = out_text()
    city = out_text()
    state = out_text()
    zip = out_text()
    country = out_text()
    email = out_text()
    phone = out_text()


class OutwardOrderItem(serializers.Serializer):
    channelSkuCode = serializers.CharField()
    orderItemCode = serializers.CharField()
    quantity = serializers.IntegerField(min_value=0)
    sellingPricePerUnit = NumberField(help_text="Tax-inclusive, before discount.")
    channelDiscountPerUnit = NumberField()
    shippingChargePerUnit = NumberField()


class ChannelMetadata(serializers.Serializer):
    entityId = serializers.IntegerField()
    status = out_text()
    paymentMethod = out_text()
    storeCredit = NumberField(required=False, help_text="Paid with store credit (8.2).")
    giftCards = NumberField(required=False, help_text="Paid with gift cards.")
    rewardPoints = NumberField(required=False, help_text="Paid with reward points.")


class TaxItemForm(serializers.Serializer):
    type = serializers.CharField(help_text="GST head: CGST, SGST, UTGST, IGST or CESS.")
    rate = NumberField()
    taxPerUnit = NumberField()


class TaxBreakupForm(serializers.Serializer):
    channelSkuId = serializers.CharField()
    baseSellingPricePerUnit = NumberField(help_text="Without tax, before discount.")
    taxItemForms = TaxItemForm(many=True)


class OrderCustomAttributes(serializers.Serializer):
    currency = out_text()
    channelMetadata = ChannelMetadata()


class OutwardOrder(serializers.Serializer):
    """The body of Omni's Create Outward Order API (contract 3.1)."""

    orderCode = serializers.CharField()
    orderTime = serializers.DateTimeField()
    orderType = serializers.ChoiceField(choices=["SO"])
    locationCode = serializers.CharField(allow_null=True)
    isSplitRequired = serializers.BooleanField()
    onHold = serializers.BooleanField()
    qcStatus = serializers.ChoiceField(choices=["PASS"])
    isPriority = serializers.BooleanField()
    gift = serializers.BooleanField()
    dispatchByTime = serializers.DateTimeField()
    startProcessingTime = serializers.DateTimeField()
    paymentMethod = serializers.ChoiceField(choices=["COD", "NCOD"])
    shippingAddress = stored(Address)()  # the order's stored JSON, as it is
    billingAddress = stored(Address)()
    orderItems = OutwardOrderItem(many=True)
    orderCustomAttributes = OrderCustomAttributes()
    taxBreakupForms = TaxBreakupForm(
        many=True, required=False, help_text="Only when Magento's taxes are GST heads (8.2)."
    )


class OrderDetail(OutwardOrder):
    """<OutwardOrder> plus whether Magento could not be asked (answered from the mirror)."""

    stale = serializers.BooleanField()


class OrderList(serializers.Serializer):
    page = serializers.IntegerField(min_value=1)
    pageSize = serializers.IntegerField(min_value=1, max_value=200)
    totalCount = serializers.IntegerField(min_value=0)
    orders = OutwardOrder(many=True)


class OrderStatus(serializers.Serializer):
    orderCode = serializers.CharField()
    status = out_text(help_text="Magento's status.")
    state = out_text(help_text="Magento's state.")
    updatedAt = serializers.DateTimeField()
    stale = serializers.BooleanField()


class CancelledItem(serializers.Serializer):
    channelSkuCode = serializers.CharField()
    orderItemCode = serializers.CharField()
    cancelledQuantity = serializers.IntegerField(min_value=0, help_text="Absolute.")


class CancelledOrder(serializers.Serializer):
    """The body of Omni's Customer Cancellation API, with the order code (contract 3.2)."""

    orderCode = serializers.CharField()
    locationCode = serializers.CharField(allow_null=True)
    orderItems = CancelledItem(many=True)


class CancelledOrderList(serializers.Serializer):
    page = serializers.IntegerField(min_value=1)
    pageSize = serializers.IntegerField(min_value=1, max_value=200)
    totalCount = serializers.IntegerField(min_value=0)
    orders = CancelledOrder(many=True)


# --- query and path parameters (read by channel/api/params.py) -----------------------------------


PAGE = query("page", {"type": "integer", "minimum": 1, "default": 1}, "From 1.")
PAGE_SIZE = query(
    "pageSize", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "1 to 200."
)
ORDER_CODE_PATH = path_code("order_code", "Omni's orderCode.", ORDER_CODE)
LIST_PARAMETERS = [
    query(
        "status",
        TEXT,
        "Comma-separated Magento statuses; default the configured new-order statuses.",
        example="pending,processing",
    ),
    query("createdFrom", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
    query("createdTo", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
    PAGE,
    PAGE_SIZE,
]
CANCELLED_PARAMETERS = [
    query("updatedFrom", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
    query("updatedTo", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
    PAGE,
    PAGE_SIZE,
]
