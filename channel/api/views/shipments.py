"""Pack and handover from Omni (contract 4.3, 4.8), idempotent per shipment."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from channel.api import schema
from channel.api.errors import ApiError
from channel.api.idempotency import run_once, run_once_each
from channel.api.omni_fields import Int64Field, body_object, boxes, optional_text, text
from channel.api.views.acknowledge import OK, link_order
from channel.services.shipments import (
    HandoverItem,
    PackItem,
    PackRequest,
    handover_validate,
    pack_response,
    shipment_pack,
    shipments_hand_over,
)

MAX_WEIGHT_GRAMS = 1_000_000_000  # 1000 tonnes: nonsense beyond, and it fits the column


class PackView(APIView):
    """POST /api/omni/shipments/pack (idempotent on shipmentId)"""

    class Input(serializers.Serializer):
        class ShipmentItemIn(serializers.Serializer):
            channelSkuCode = text()
            orderItemCode = optional_text()
            quantityToPack = serializers.IntegerField(min_value=1)

        class InvoiceItemIn(serializers.Serializer):
            channelSkuCode = text()
            orderItemCode = optional_text()
            quantity = serializers.IntegerField(min_value=1)

        class InvoiceIn(serializers.Serializer):
            invoiceItems = serializers.ListField(required=False, allow_null=True)

        class DimensionsIn(serializers.Serializer):
            length = serializers.FloatField(required=False, allow_null=True, min_value=0)
            breadth = serializers.FloatField(required=False, allow_null=True, min_value=0)
            height = serializers.FloatField(required=False, allow_null=True, min_value=0)

        orderCode = text()
        locationCode = text()
        shipmentId = Int64Field()
        packageSku = optional_text()
        weight = serializers.FloatField(
            required=False, allow_null=True, min_value=0, max_value=MAX_WEIGHT_GRAMS
        )
        fulfillmentType = optional_text()
        dimensions = DimensionsIn(required=False, allow_null=True)
        # Not ShipmentItemIn(many=True, allow_null=True): DRF passes allow_null to the items too,
        # and a null item then reached _items() (a 500 found by fuzzing).
        shipmentItems = serializers.ListSerializer(
            child=ShipmentItemIn(), required=False, allow_null=True
        )
        invoice = InvoiceIn(required=False, allow_null=True)

    @schema.pack
    def post(self, request: Request) -> Any:
        body = body_object(request.data)
        data = self.Input(data=body)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pack = PackRequest(
            order_code=values["orderCode"],
            location_code=values["locationCode"],
            shipment_id=values["shipmentId"],
            items=_items(values),
            weight_grams=None if values.get("weight") is None else round(values["weight"]),
            dimensions={k: v for k, v in (values.get("dimensions") or {}).items() if v is not None},
            package_sku=values.get("packageSku") or "",
            box_awbs=boxes(body),
            raw=body,
        )
        link_order(request, [pack.order_code])
        return run_once(
            scope="pack",
            key=str(pack.shipment_id),
            content=_pack_content(pack),
            label=f"shipmentId {pack.shipment_id}",
            action=lambda: (200, pack_response(shipment_pack(request=pack))),
        )


def _items(values: dict[str, Any]) -> list[PackItem]:
    """`shipmentItems`, or else the items of the invoice block."""
    if values.get("shipmentItems"):
        return [
            PackItem(
                sku=item["channelSkuCode"],
                order_item_code=item.get("orderItemCode") or None,
                quantity=item["quantityToPack"],
            )
            for item in values["shipmentItems"]
        ]
    raw = (values.get("invoice") or {}).get("invoiceItems") or []
    items = PackView.Input.InvoiceItemIn(data=raw, many=True)
    if not raw or not items.is_valid():
        errors = items.errors if raw else ["shipmentItems (or invoice.invoiceItems) is required."]
        raise serializers.ValidationError({"shipmentItems": errors})
    return [
        PackItem(
            sku=item["channelSkuCode"],
            order_item_code=item.get("orderItemCode") or None,
            quantity=item["quantity"],
        )
        for item in items.validated_data
    ]


def _pack_content(pack: PackRequest) -> dict[str, Any]:
    """What makes two packs with one shipmentId the same: order, location and items."""
    items = sorted((i.sku, i.order_item_code or "", i.quantity) for i in pack.items)
    return {"orderCode": pack.order_code, "locationCode": pack.location_code, "items": items}


class HandoverView(APIView):
    """POST /api/omni/handover (idempotent per shipmentCode)"""

    class Input(serializers.Serializer):
        class ItemIn(serializers.Serializer):
            orderCode = text()
            shipmentCode = text()
            gatePassCode = optional_text()

        locationCode = text()
        handoverItems = ItemIn(many=True, allow_empty=False)

    @schema.handover
    def post(self, request: Request) -> Any:
        body = body_object(request.data)
        data = self.Input(data=body)
        data.is_valid(raise_exception=True)
        location = data.validated_data["locationCode"]
        items = _handover_items(data.validated_data["handoverItems"], body["handoverItems"])
        link_order(request, [item.order_code for item in items])
        handover_validate(location_code=location, items=items)
        by_code = {item.shipment_code: item for item in items}

        def record(codes: list[str]) -> tuple[int, dict[str, Any]]:
            shipments_hand_over(location_code=location, items=[by_code[c] for c in codes])
            return 200, OK

        return run_once_each(
            scope="handover",
            items={item.shipment_code: item.content(location) for item in items},
            label="shipmentCode",
            action=record,
        )


def _handover_items(values: list[dict[str, Any]], raw: list[dict[str, Any]]) -> list[HandoverItem]:
    items: dict[str, HandoverItem] = {}
    for value, source in zip(values, raw, strict=True):
        item = HandoverItem(
            order_code=value["orderCode"],
            shipment_code=value["shipmentCode"],
            gate_pass_code=value.get("gatePassCode") or "",
            boxes=boxes(source),
        )
        seen = items.get(item.shipment_code)
        if seen is not None and seen != item:
            raise ApiError(f"Shipment {item.shipment_code} appears twice with different details.")
        items[item.shipment_code] = item
    return list(items.values())
