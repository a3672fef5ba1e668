"""POST and GET /api/omni/manifests (contract 4.7, Omni's Create Manifest and Get Manifest PDF)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.idempotency import run_once
from channel.api.schema import operation
from channel.api.serializers import manifests as io
from channel.api.serializers.common import render
from channel.services import manifests
from channel.services.documents import document_base64, signed_url


class ManifestView(APIView):
    """POST /api/omni/manifests (create) and GET /api/omni/manifests?manifestCode= (the PDF)."""

    Input = io.ManifestRequest
    Output = io.ManifestResponse
    Query = io.ManifestQuery

    @operation(
        "createManifest",
        "Create a manifest",
        description="Idempotent on manifestId (or, without one, on the set of shipments).",
        request=Input,
        ok=Output,
        errors=[400, 404, 409],
        examples=[io.MANIFEST_EXAMPLE],
    )
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
            manifest = manifests.manifest_create(
                transporter=data["transporter"],
                location_code=data["locationCode"],
                manifest_id=data["manifestId"],
                lines=lines,
                request=request.data,
            )
            return 200, render(self.Output, manifests.manifest_body(manifest))

        return run_once(scope=scope, key=key, content=content, label=label, action=create)

    @operation(
        "getManifest",
        "Get a manifest's PDF",
        description="The manifest's PDF, base64 and as a signed link.",
        parameters=io.QUERY_PARAMETERS,
        ok=io.ManifestPdf,
        errors=[400, 404],
    )
    def get(self, request: Request) -> Response:
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        manifest = manifests.manifest_find(query.validated_data["manifestCode"])
        document = manifests.manifest_document(manifest)
        return Response(
            render(
                io.ManifestPdf,
                {
                    "manifestUrl": signed_url(document, request),
                    "manifest": document_base64(document),
                },
            )
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
