"""POST and GET /api/omni/manifests (contract 4.7, Omni's Create Manifest and Get Manifest PDF)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api import schema
from channel.api.idempotency import run_once
from channel.api.views.labels import MAX_ID, refusals
from channel.services import manifests
from channel.services.documents import document_base64, signed_url


class BoxInput(serializers.Serializer):
    boxId = serializers.CharField(max_length=255)
    awbNumber = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ItemInput(serializers.Serializer):
    orderCode = serializers.CharField(max_length=255)
    shipmentCode = serializers.CharField(max_length=255)
    awbNumber = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    packBoxDetailsList = BoxInput(many=True, required=False, default=list)

    def to_internal_value(self, data: Any) -> Any:
        # Omni's JSON example spells it packboxDetailsList; its table, packBoxDetailsList.
        if isinstance(data, dict) and "packBoxDetailsList" not in data:
            data = {**data, "packBoxDetailsList": data.get("packboxDetailsList") or []}
        return super().to_internal_value(data)


class ManifestView(APIView):
    """POST /api/omni/manifests (create) and GET /api/omni/manifests?manifestCode= (the PDF)."""

    class Input(serializers.Serializer):
        transporter = serializers.CharField(max_length=255)
        locationCode = serializers.CharField(max_length=255)
        manifestId = serializers.IntegerField(
            min_value=0, max_value=MAX_ID, required=False, allow_null=True, default=None
        )
        manifestItems = ItemInput(many=True)

        def validate_manifestItems(self, items: list[dict]) -> list[dict]:
            if not items:
                raise serializers.ValidationError("This list may not be empty.")
            seen: set[str] = set()
            for index, item in enumerate(items):
                if item["shipmentCode"] in seen:
                    problem = {"shipmentCode": [f"{item['shipmentCode']} is listed twice."]}
                    raise serializers.ValidationError(
                        [problem if n == index else {} for n in range(len(items))]
                    )
                seen.add(item["shipmentCode"])
            return items

    class Query(serializers.Serializer):
        manifestCode = serializers.CharField(max_length=255)

    @schema.manifest_create
    def post(self, request: Request) -> HttpResponse:
        body = self.Input(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lines = [_line(item) for item in data["manifestItems"]]
        content = _content(data, lines)
        if data["manifestId"] is not None:
            scope, key = "manifest", str(data["manifestId"])
            label = f"manifestId {data['manifestId']}"
        else:
            codes = "\n".join(sorted(line.shipment_code for line in lines))
            scope, key = "manifest-set", hashlib.sha256(codes.encode()).hexdigest()
            label = "A manifest of these shipments"

        def create() -> tuple[int, dict[str, Any]]:
            with refusals():
                manifest = manifests.manifest_create(
                    transporter=data["transporter"],
                    location_code=data["locationCode"],
                    manifest_id=data["manifestId"],
                    lines=lines,
                    request=request.data,
                )
            return 200, manifests.manifest_body(manifest)

        return run_once(scope=scope, key=key, content=content, label=label, action=create)

    @schema.manifest_get
    def get(self, request: Request) -> Response:
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        with refusals():
            manifest = manifests.manifest_find(query.validated_data["manifestCode"])
            document = manifests.manifest_document(manifest)
        return Response(
            {"manifestUrl": signed_url(document, request), "manifest": document_base64(document)}
        )


def _line(item: dict[str, Any]) -> manifests.ManifestLine:
    return manifests.ManifestLine(
        order_code=item["orderCode"],
        shipment_code=item["shipmentCode"],
        awb=item["awbNumber"].strip(),
        box_awbs=tuple(dict(box) for box in item["packBoxDetailsList"]),
    )


def _content(data: dict[str, Any], lines: list[manifests.ManifestLine]) -> dict[str, Any]:
    """What makes two requests the same (the order of the items does not)."""
    return {
        "transporter": data["transporter"],
        "locationCode": data["locationCode"],
        "manifestId": data["manifestId"],
        "items": sorted(
            [line.shipment_code, line.order_code, line.awb, list(line.box_awbs)] for line in lines
        ),
    }
