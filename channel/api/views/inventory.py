"""PUT /api/omni/inventory (contract 4.9): Omni's absolute stock, location-wise or consolidated."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.errors import ApiError
from channel.api.schema import operation
from channel.api.serializers import inventory as io
from channel.api.serializers.common import render
from channel.services import inventory
from channel.services.inventory import MAX_SKUS, StockLine

TOO_MANY = f"At most {MAX_SKUS} SKUs per call; this one has {{count}}."


class InventoryView(APIView):
    """Store the quantities, write them to Magento within the time budget, list what made it."""

    Output = io.InventoryResponse

    @operation(
        "updateInventory",
        "Update inventory (absolute quantities)",
        description=(
            "Location-wise, or consolidated when `consolidationType` is present. Up to 200 SKUs. "
            "A malformed line refuses the whole request (400); an unknown SKU goes to failureList."
        ),
        request=io.InventoryRequest,
        ok=Output,
        examples=io.INVENTORY_EXAMPLES,
    )
    def put(self, request: Request) -> Response:
        received_at = timezone.now()
        deadline = time.monotonic() + settings.INVENTORY_TIME_BUDGET_SECONDS
        location_code, lines = self._parse(request.data)
        result = inventory.inventory_update(
            location_code=location_code, lines=lines, received_at=received_at, deadline=deadline
        )
        return Response(
            render(self.Output, {"successList": result.success, "failureList": result.failure})
        )

    def _parse(self, data: Any) -> tuple[str, list[StockLine]]:
        if not isinstance(data, dict):
            raise ApiError("The body must be a JSON object.")
        if isinstance(data.get("inventories"), list) and len(data["inventories"]) > MAX_SKUS:
            count = len(data["inventories"])
            raise ApiError(
                TOO_MANY.format(count=count),
                errors={"inventories": [f"At most {MAX_SKUS} SKUs per call."]},
            )
        if "consolidationType" in data:
            consolidated = io.ConsolidatedInventory(data=data)
            consolidated.is_valid(raise_exception=True)
            rows = consolidated.validated_data["inventories"]
            lines = [StockLine(r["channelSkuCode"], r["consolidatedQuantity"]) for r in rows]
            return "", _unique(lines)
        serializer = io.LocationInventory(data=data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["inventories"]
        lines = [StockLine(r["channelSkuCode"], r["quantity"]) for r in rows]
        return serializer.validated_data["locationCode"], _unique(lines)


def _unique(lines: list[StockLine]) -> list[StockLine]:
    """A SKU may repeat with the same quantity; with two different ones the push is ambiguous."""
    seen: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        if seen.setdefault(line.sku, line.quantity) != line.quantity:
            errors[f"inventories[{index}].channelSkuCode"] = [
                f"{line.sku} appears more than once with different quantities."
            ]
    if errors:
        field, messages = next(iter(errors.items()))
        raise ApiError(f"Invalid request: {field}: {messages[0]}", errors=errors)
    return list({line.sku: line for line in lines}.values())
