"""The OpenAPI description of /api/omni/ (served at /api/schema/; docs/api.md).

The views parse plain dicts; the serializers here only describe the bodies, in Omni's field names
and in the order of the contract (sections 0, 2 and 4), so that they can be checked against it line
by line. Each view method carries one of the `extend_schema` decorators built at the end of this
module. The examples are the contract's own; the fuzz test (tests/fuzz) puts exactly these orders,
shipments and returns in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from channel.api.auth import HasReturnsScope

MAX_STRING = 255  # Omni's limit for every string it sends, except free-text reasons
INT64_MAX = 2**63 - 1
INT_MAX = 2_000_000_000
OMNI_KEY = "omniKey"
RETURNS_KEY = "returnsKey"

# The contract's example identities (sections 2 to 5).
ORDER_CODE = "000000123"
LOCATION_CODE = "WH1"
SHIPMENT_ID = 120001
SHIPMENT_CODE = "000000123-1"
MANIFEST_ID = 87456
MANIFEST_CODE = "MF-WH1-20260131-0001"
RETURN_ORDER_CODE = "R-000000123-1"
AWB_NUMBER = "AWB1"
SKU = "SKU-1"


# --- fields ---------------------------------------------------------------------------------------


def omni_text(**kwargs: Any) -> serializers.CharField:
    """A string Omni sends: at most 255 characters (a longer one is a 400, not cut)."""
    return serializers.CharField(max_length=MAX_STRING, **kwargs)


def optional_text(**kwargs: Any) -> serializers.CharField:
    return omni_text(required=False, allow_null=True, allow_blank=True, **kwargs)


def out_text(**kwargs: Any) -> serializers.CharField:
    """A string the proxy answers (blank when Magento has none)."""
    return serializers.CharField(allow_blank=True, **kwargs)


@extend_schema_field(OpenApiTypes.BYTE)
class Base64Field(serializers.CharField):
    """A PDF, base64-encoded."""


@extend_schema_field({"type": "boolean", "enum": [True]})
class TrueField(serializers.BooleanField):
    pass


@extend_schema_field({"type": "boolean", "enum": [False]})
class FalseField(serializers.BooleanField):
    pass


@extend_schema_field({"type": "string", "maxLength": 0})
class EmptyTextField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "format": "int64"},
            {"type": "string", "maxLength": MAX_STRING},
        ],
        "description": "A number in Omni's examples; a string is accepted too.",
    }
)
class BoxIdField(serializers.Field):
    pass


def items(serializer: type[serializers.Serializer], **kwargs: Any) -> serializers.ListField:
    """A list of objects with its bounds (`min_length`, `max_length`) in the schema."""
    return serializers.ListField(child=serializer(), **kwargs)


def int64_id(**kwargs: Any) -> serializers.IntegerField:
    """shipmentId, manifestId: positive 64-bit integers (numeric strings are accepted too)."""
    return serializers.IntegerField(min_value=1, max_value=INT64_MAX, **kwargs)


# --- common bodies --------------------------------------------------------------------------------


class ErrorBody(serializers.Serializer):
    """Every error (contract section 0)."""

    hasError = TrueField()
    errorMessage = serializers.CharField(help_text="One readable sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors by field path, e.g. {"orderItems[0].quantity": ["..."]}.',
    )


class Ok(serializers.Serializer):
    """The success body of cancel and handover."""

    hasError = FalseField()
    errorMessage = EmptyTextField(allow_blank=True)


# --- orders (contract 2, 3.1, 3.2) ----------------------------------------------------------------


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
    sellingPricePerUnit = serializers.FloatField(help_text="Tax-inclusive, before discount.")
    channelDiscountPerUnit = serializers.FloatField()
    shippingChargePerUnit = serializers.FloatField()


class ChannelMetadata(serializers.Serializer):
    entityId = serializers.IntegerField()
    status = out_text()
    paymentMethod = out_text()


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
    shippingAddress = Address()
    billingAddress = Address()
    orderItems = OutwardOrderItem(many=True)
    orderCustomAttributes = OrderCustomAttributes()


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


# --- acknowledgement and cancellation (contract 4.1, 4.2) -----------------------------------------


class AcknowledgedOrder(serializers.Serializer):
    locationCode = optional_text()
    orderCode = omni_text()


class AcknowledgeRequest(serializers.Serializer):
    orders = items(AcknowledgedOrder, min_length=1)
    consolidationType = optional_text(help_text="NONE, or ALL (no location is stored).")


class AcknowledgeResponse(serializers.Serializer):
    successOrders = AcknowledgedOrder(
        many=True, help_text="The orders whose acknowledgement Magento recorded."
    )


class CancelItem(serializers.Serializer):
    channelSkuCode = omni_text()
    orderItemCode = optional_text()
    cancelledQuantity = serializers.IntegerField(min_value=0, help_text="Absolute.")


class CancelRequest(serializers.Serializer):
    orderCode = omni_text()
    locationCode = optional_text()
    orderItems = items(CancelItem, min_length=1)


# --- pack, invoices, labels, manifests, handover (contract 4.3 to 4.8) ----------------------------


class PackBox(serializers.Serializer):
    boxId = BoxIdField(required=False)
    awbNumber = optional_text()


class ShipmentItem(serializers.Serializer):
    channelSkuCode = omni_text()
    quantityToPack = serializers.IntegerField(min_value=1)
    orderItemCode = optional_text()


class PackInvoiceItem(serializers.Serializer):
    channelSkuCode = omni_text()
    quantity = serializers.IntegerField(min_value=1)
    orderItemCode = optional_text()


class PackInvoice(serializers.Serializer):
    """Omni's invoice block; only its items are read (when `shipmentItems` is absent)."""

    invoiceItems = PackInvoiceItem(many=True, required=False, allow_null=True)


class Dimensions(serializers.Serializer):
    length = serializers.FloatField(required=False, allow_null=True, min_value=0)
    breadth = serializers.FloatField(required=False, allow_null=True, min_value=0)
    height = serializers.FloatField(required=False, allow_null=True, min_value=0)


class PackRequest(serializers.Serializer):
    """Omni's Pack Order body. The items are `shipmentItems`, or else `invoice.invoiceItems`."""

    orderCode = omni_text()
    locationCode = omni_text()
    shipmentId = int64_id(help_text="Omni's id; the idempotency key. A numeric string is accepted.")
    packageSku = optional_text()
    weight = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=1_000_000_000, help_text="Grams."
    )
    fulfillmentType = optional_text()
    dimensions = Dimensions(required=False, allow_null=True)
    shipmentItems = ShipmentItem(many=True, required=False, allow_null=True)
    invoice = PackInvoice(required=False, allow_null=True)
    packBoxDetailsList = PackBox(many=True, required=False, allow_null=True)
    packboxDetailsList = PackBox(
        many=True, required=False, allow_null=True, help_text="The other spelling Omni uses."
    )


class PackResponse(serializers.Serializer):
    orderCode = serializers.CharField()
    locationCode = serializers.CharField()
    shipmentId = serializers.IntegerField(min_value=1, max_value=INT64_MAX)
    shipmentCode = serializers.CharField()


class InvoiceRequest(serializers.Serializer):
    orderCode = omni_text()
    shipmentCode = omni_text()


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
    invoiceDetails = InvoiceDetail(many=True)


class ShippingLabel(serializers.Serializer):
    awbNumber = serializers.CharField()
    transporter = out_text()
    shippingLabel = Base64Field()
    shippingLabelUrl = serializers.URLField(help_text="A signed link to the PDF; it expires.")


class ManifestItem(serializers.Serializer):
    orderCode = omni_text()
    shipmentCode = omni_text()
    awbNumber = optional_text()
    packBoxDetailsList = PackBox(many=True, required=False)
    packboxDetailsList = PackBox(many=True, required=False, help_text="The other spelling.")


class ManifestRequest(serializers.Serializer):
    transporter = omni_text()
    locationCode = omni_text()
    manifestId = int64_id(
        required=False,
        allow_null=True,
        help_text="The idempotency key; without it, the set of shipments is.",
    )
    manifestItems = items(ManifestItem, min_length=1)


class ManifestedShipment(serializers.Serializer):
    orderCode = serializers.CharField()
    shipmentCode = serializers.CharField()


class ManifestResponse(serializers.Serializer):
    manifestCode = serializers.CharField()
    manifestItems = ManifestedShipment(many=True)


class ManifestPdf(serializers.Serializer):
    manifestUrl = serializers.URLField(help_text="A signed link to the PDF; it expires.")
    manifest = Base64Field()


class HandoverItem(serializers.Serializer):
    orderCode = omni_text()
    shipmentCode = omni_text()
    gatePassCode = optional_text()
    packBoxDetailsList = PackBox(many=True, required=False, allow_null=True)
    packboxDetailsList = PackBox(
        many=True, required=False, allow_null=True, help_text="The other spelling."
    )


class HandoverRequest(serializers.Serializer):
    locationCode = omni_text()
    handoverItems = items(HandoverItem, min_length=1)


# --- inventory (contract 4.9) ---------------------------------------------------------------------


class LocationInventoryLine(serializers.Serializer):
    channelSkuCode = omni_text()
    quantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)


class LocationInventory(serializers.Serializer):
    """Location-wise quantities."""

    locationCode = omni_text()
    inventories = items(LocationInventoryLine, max_length=200)


class ConsolidatedInventoryLine(serializers.Serializer):
    channelSkuCode = omni_text()
    consolidatedQuantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)


class ConsolidatedInventory(serializers.Serializer):
    """Consolidated quantities (the presence of `consolidationType` selects this shape)."""

    consolidationType = serializers.ChoiceField(choices=["ALL", "STORE"])
    inventories = items(ConsolidatedInventoryLine, max_length=200)


class InventoryResponse(serializers.Serializer):
    successList = serializers.ListField(
        child=serializers.CharField(), help_text="SKUs written to Magento within this request."
    )
    failureList = serializers.ListField(
        child=serializers.CharField(), help_text="Unknown SKUs, and SKUs retried in the background."
    )


# --- authentication -------------------------------------------------------------------------------


class ApiKeySchemes(OpenApiAuthenticationExtension):
    """Two schemes with the same header: a key has one scope, omni or returns."""

    target_class = "channel.api.auth.ApiKeyAuthentication"
    name = [OMNI_KEY, RETURNS_KEY]

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[Any]]:
        returns = any(isinstance(p, HasReturnsScope) for p in auto_schema.view.get_permissions())
        return {RETURNS_KEY if returns else OMNI_KEY: []}

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        scopes = [
            ("omni", "/api/omni/", "create_api_key NAME"),
            ("returns", "/api/returns/", "create_api_key NAME --scope returns"),
        ]
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": settings.API_KEY_HEADER,
                "description": (
                    f"An API key of scope `{scope}` for `{prefix}` (`manage.py {command}`, or "
                    "Django admin). Missing or wrong: 401; another scope: 403."
                ),
            }
            for scope, prefix, command in scopes
        ]


class ProxyAutoSchema(AutoSchema):
    """The API's schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

    def get_tags(self) -> list[str]:
        path = self.path.removeprefix("/api/")
        if path.startswith("returns/") or path.startswith("omni/returns/"):
            return ["returns"]
        return [path.removeprefix("omni/").split("/")[0]]


# --- the operations -------------------------------------------------------------------------------

ERRORS = {
    400: "Bad input: a missing or malformed field, or a body that is not a JSON object.",
    401: "The API key is missing, wrong, revoked or expired.",
    403: "The API key has the other scope.",
    404: "Unknown order, shipment, manifest or return.",
    409: "The request conflicts with the current state (see the message).",
    429: "Too many calls with a wrong API key from this address; see Retry-After.",
    503: "Magento is unreachable and the answer needs it; retry.",
}
AUTH_ERRORS = (401, 403, 429)


def error(status: int) -> OpenApiResponse:
    return OpenApiResponse(ErrorBody, description=ERRORS[status])


def operation(
    operation_id: str,
    summary: str,
    *,
    description: str,
    ok: Any,
    ok_description: str = "Done.",
    ok_status: int = 200,
    more: dict[int, OpenApiResponse] | None = None,
    errors: Sequence[int] = (400,),
    request: Any = None,
    parameters: Sequence[OpenApiParameter] = (),
    examples: Sequence[OpenApiExample] = (),
) -> Callable[[Any], Any]:
    """`extend_schema` for one endpoint: its success body and every error status it can answer."""
    responses: dict[int, OpenApiResponse] = {
        ok_status: OpenApiResponse(ok, description=ok_description),
        **(more or {}),
    }
    for status in sorted({*errors, *AUTH_ERRORS}):
        responses[status] = error(status)
    kwargs: dict[str, Any] = {}
    if request is not None:
        kwargs["request"] = request
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=list(parameters),
        responses=responses,
        examples=list(examples),
        **kwargs,
    )


def query(
    name: str,
    schema: dict[str, Any],
    description: str,
    *,
    required: bool = False,
    example: Any = None,
) -> OpenApiParameter:
    examples = [OpenApiExample(name, value=example)] if example is not None else None
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.QUERY,
        required=required,
        description=description,
        examples=examples,
    )


def path_code(name: str, description: str, example: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample(name, value=example)],
    )


TEXT = {"type": "string", "maxLength": MAX_STRING}
TIMESTAMP = {"type": "string", "format": "date-time"}
PAGE = query("page", {"type": "integer", "minimum": 1, "default": 1}, "From 1.")
PAGE_SIZE = query(
    "pageSize", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "1 to 200."
)
ORDER_CODE_QUERY = query("orderCode", TEXT, "Omni's orderCode.", required=True, example=ORDER_CODE)
SHIPMENT_CODE_QUERY = query(
    "shipmentCode", TEXT, "The proxy's shipmentCode (answered by pack).", example=SHIPMENT_CODE
)


def body_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


ORDER_ITEM = {"channelSkuCode": SKU}  # orderItemCode is optional: Magento numbers the items
BOXES = [{"boxId": 1, "awbNumber": AWB_NUMBER}]

order_list = operation(
    "listOrders",
    "List orders (from the mirror)",
    description="Sorted by orderTime, then orderCode. A page past the end has no orders.",
    parameters=[
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
    ],
    ok=OrderList,
)
order_detail = operation(
    "getOrder",
    "Get an order (refreshed from Magento)",
    description=(
        "Refreshes the order from Magento; when Magento is unreachable the mirror answers with "
        '`"stale": true`. An order not mirrored yet is looked up in Magento.'
    ),
    parameters=[path_code("order_code", "Omni's orderCode.", ORDER_CODE)],
    ok=OrderDetail,
    errors=[404],
)
order_status = operation(
    "getOrderStatus",
    "Get an order's Magento status",
    description=(
        'Asks Magento; when Magento is unreachable the mirror answers with `"stale": true`.'
    ),
    parameters=[path_code("order_code", "Omni's orderCode.", ORDER_CODE)],
    ok=OrderStatus,
    errors=[404],
)
cancelled_list = operation(
    "listCancelledOrders",
    "List orders cancelled in Magento (fully or partly)",
    description=(
        "From the mirror, sorted by Magento's updated_at, then orderCode. `cancelledQuantity` is "
        "absolute (Magento's qty_canceled)."
    ),
    parameters=[
        query("updatedFrom", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
        query("updatedTo", TIMESTAMP, "ISO 8601; without an offset it is UTC."),
        PAGE,
        PAGE_SIZE,
    ],
    ok=CancelledOrderList,
)
acknowledge = operation(
    "acknowledgeOrders",
    "Acknowledge orders",
    description="Unknown orders, and orders Magento did not answer for, are left out.",
    request=AcknowledgeRequest,
    ok=AcknowledgeResponse,
    examples=[
        body_example(
            "acknowledge",
            {
                "orders": [{"locationCode": LOCATION_CODE, "orderCode": ORDER_CODE}],
                "consolidationType": "NONE",
            },
        )
    ],
)
cancel = operation(
    "cancelOrderItems",
    "Cancel order items (seller cancellation)",
    description="Quantities are absolute; the same quantities again change nothing.",
    request=CancelRequest,
    ok=Ok,
    errors=[400, 404, 409, 503],
    examples=[
        body_example(
            "cancel",
            {
                "orderCode": ORDER_CODE,
                "locationCode": LOCATION_CODE,
                "orderItems": [{**ORDER_ITEM, "cancelledQuantity": 1}],
            },
        )
    ],
)
pack = operation(
    "packShipment",
    "Pack a shipment",
    description=(
        "Idempotent on shipmentId: the same shipmentId with the same order, location and items "
        "answers the same body; with different ones, 409."
    ),
    request=PackRequest,
    ok=PackResponse,
    errors=[400, 404, 409],
    examples=[
        body_example(
            "pack",
            {
                "orderCode": ORDER_CODE,
                "locationCode": LOCATION_CODE,
                "shipmentId": SHIPMENT_ID + 1,
                "weight": 500,
                "dimensions": {"length": 30, "breadth": 20, "height": 10},
                "shipmentItems": [{**ORDER_ITEM, "quantityToPack": 1}],
            },
        )
    ],
)
invoice_get = operation(
    "getInvoice",
    "Get the invoice of a shipment",
    description="409 while Magento has not created it yet (with the last error), 404 if none.",
    parameters=[
        ORDER_CODE_QUERY,
        query(
            "shipmentCode",
            TEXT,
            "The proxy's shipmentCode.",
            required=True,
            example=SHIPMENT_CODE,
        ),
    ],
    ok=Invoice,
    errors=[400, 404, 409],
)
invoice_create = operation(
    "createInvoice",
    "Create the invoice of a shipment (idempotent)",
    description="409 while Magento has not created it yet, or when Magento refused it.",
    request=InvoiceRequest,
    ok=Invoice,
    errors=[400, 404, 409],
    examples=[
        body_example("invoice", {"orderCode": ORDER_CODE, "shipmentCode": SHIPMENT_CODE}),
    ],
)
shipping_label = operation(
    "getShippingLabel",
    "Get a shipment's shipping label and AWB",
    description="shipmentCode or shipmentId is required. Repeats answer the same AWB.",
    parameters=[
        ORDER_CODE_QUERY,
        SHIPMENT_CODE_QUERY,
        query(
            "shipmentId",
            {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX},
            "Omni's shipmentId.",
            example=SHIPMENT_ID,
        ),
        query("locationCode", TEXT, "The shipment's location.", example=LOCATION_CODE),
    ],
    ok=ShippingLabel,
    errors=[400, 404, 409],
)
manifest_create = operation(
    "createManifest",
    "Create a manifest",
    description="Idempotent on manifestId (or, without one, on the set of shipments).",
    request=ManifestRequest,
    ok=ManifestResponse,
    errors=[400, 404, 409],
    examples=[
        body_example(
            "manifest",
            {
                "transporter": "Delhivery",
                "locationCode": LOCATION_CODE,
                "manifestId": MANIFEST_ID,
                "manifestItems": [
                    {
                        "orderCode": ORDER_CODE,
                        "shipmentCode": SHIPMENT_CODE,
                        "awbNumber": AWB_NUMBER,
                        "packBoxDetailsList": BOXES,
                    }
                ],
            },
        )
    ],
)
manifest_get = operation(
    "getManifest",
    "Get a manifest's PDF",
    description="The manifest's PDF, base64 and as a signed link.",
    parameters=[
        query(
            "manifestCode", TEXT, "The proxy's manifestCode.", required=True, example=MANIFEST_CODE
        )
    ],
    ok=ManifestPdf,
    errors=[400, 404],
)
handover = operation(
    "handOver",
    "Hand shipments over to the courier",
    description=(
        "Recorded at once; Magento's shipments are created in the background. Unknown shipments "
        "(404) or another location (400) refuse the whole request. Repeats answer 200."
    ),
    request=HandoverRequest,
    ok=Ok,
    errors=[400, 404, 409],
    examples=[
        body_example(
            "handover",
            {
                "locationCode": LOCATION_CODE,
                "handoverItems": [
                    {
                        "orderCode": ORDER_CODE,
                        "shipmentCode": SHIPMENT_CODE,
                        "gatePassCode": "G1",
                        "packBoxDetailsList": BOXES,
                    }
                ],
            },
        )
    ],
)
inventory = operation(
    "updateInventory",
    "Update inventory (absolute quantities)",
    description=(
        "Location-wise, or consolidated when `consolidationType` is present. Up to 200 SKUs. A "
        "malformed line refuses the whole request (400); an unknown SKU goes to failureList."
    ),
    request=PolymorphicProxySerializer(
        component_name="InventoryRequest",
        serializers=[LocationInventory, ConsolidatedInventory],
        resource_type_field_name=None,
    ),
    ok=InventoryResponse,
    examples=[
        body_example(
            "location-wise",
            {
                "locationCode": LOCATION_CODE,
                "inventories": [{"channelSkuCode": SKU, "quantity": 40}],
            },
        ),
        body_example(
            "consolidated",
            {
                "consolidationType": "ALL",
                "inventories": [{"channelSkuCode": SKU, "consolidatedQuantity": 36}],
            },
        ),
    ],
)
