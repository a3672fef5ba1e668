"""Pack and handover from Omni (contract 4.3, 4.8), idempotent per shipment."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from channel.api.errors import ApiError
from channel.api.idempotency import run_once, run_once_each
from channel.api.schema import operation
from channel.api.serializers import shipments as io
from channel.api.serializers.common import OK, Ok, render
from channel.api.serializers.shipments import boxes
from channel.api.views.orders import link_order
from channel.services.shipments import (
    HandoverItem,
    PackItem,
    PackRequest,
    handover_validate,
    pack_response,
    shipment_pack,
    shipments_hand_over,
)


class PackView(APIView):
    """POST /api/omni/shipments/pack (idempotent on shipmentId)"""

    Input = io.PackRequest
    Output = io.PackResponse

    @operation(
        "packShipment",
        "Pack a shipment",
        description=(
            "Idempotent on shipmentId: the same shipmentId with the same order, location and "
            "items answers the same body; with different ones, 409."
        ),
        request=Input,
        ok=Output,
        errors=[400, 404, 409],
        examples=[io.PACK_EXAMPLE],
    )
    def post(self, request: Request) -> Any:
        body = request.data
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
            action=lambda: (200, render(self.Output, pack_response(shipment_pack(request=pack)))),
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
    items = io.PackInvoiceItem(data=raw, many=True)
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

    Input = io.HandoverRequest

    @operation(
        "handOver",
        "Hand shipments over to the courier",
        description=(
            "Recorded at once; Magento's shipments are created in the background. Unknown "
            "shipments (404) or another location (400) refuse the whole request. Repeats answer "
            "200."
        ),
        request=Input,
        ok=Ok,
        errors=[400, 404, 409],
        examples=[io.HANDOVER_EXAMPLE],
    )
    def post(self, request: Request) -> Any:
        body = request.data
        data = self.Input(data=body)
        data.is_valid(raise_exception=True)
        location = data.validated_data["locationCode"]
        items = _handover_items(data.validated_data["handoverItems"], body["handoverItems"])
        link_order(request, [item.order_code for item in items])
        handover_validate(location_code=location, items=items)
        by_code = {item.shipment_code: item for item in items}

        def record(codes: list[str]) -> tuple[int, dict[str, Any]]:
            shipments_hand_over(location_code=location, items=[by_code[c] for c in codes])
            return 200, render(Ok, OK)

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
