"""Omni's side of an order's life, scripted for end-to-end tests against the fakes."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from channel import outbox
from channel.models import Operation, OperationState, Order
from channel.services.sync import sync_magento


def drain(rounds: int = 10) -> None:
    """Run the outbox until nothing is pending, ignoring backoff (time passes)."""
    for _ in range(rounds):
        pending = Operation.objects.filter(state=OperationState.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())
        outbox.run_due()
    raise AssertionError(list(Operation.objects.exclude(state=OperationState.DONE).values()))


def intake() -> list[Order]:
    """Pull Magento's orders and push them to Omni."""
    sync_magento()
    drain()
    return list(Order.objects.order_by("entity_id"))


class OmniScript:
    """What Omni sends to the proxy."""

    def __init__(self, api: APIClient, location: str = "WH1") -> None:
        self.api = api
        self.location = location

    def ack(self, code: str) -> Any:
        body = {"orders": [{"orderCode": code, "locationCode": self.location}]}
        return self.api.put("/api/omni/orders/acknowledge", body, format="json")

    def pack(self, code: str, shipment_id: int, items: dict[str, int]) -> Any:
        body = {
            "orderCode": code,
            "locationCode": self.location,
            "shipmentId": shipment_id,
            "shipmentItems": [
                {"channelSkuCode": sku, "quantityToPack": qty} for sku, qty in items.items()
            ],
        }
        return self.api.post("/api/omni/shipments/pack", body, format="json")

    def invoice(self, code: str, shipment_code: str) -> Any:
        body = {"orderCode": code, "shipmentCode": shipment_code}
        return self.api.post("/api/omni/invoices", body, format="json")

    def get_invoice(self, code: str, shipment_code: str) -> Any:
        return self.api.get(
            "/api/omni/invoices", {"orderCode": code, "shipmentCode": shipment_code}
        )

    def handover(self, code: str, shipment_code: str, awb: str) -> Any:
        item = {
            "orderCode": code,
            "shipmentCode": shipment_code,
            "gatePassCode": "GP-1",
            "packBoxDetailsList": [{"boxId": 1, "awbNumber": awb}],
        }
        body = {"locationCode": self.location, "handoverItems": [item]}
        return self.api.post("/api/omni/handover", body, format="json")

    def ship(self, order: Order, shipment_id: int, items: dict[str, int]) -> str:
        """Acknowledge, pack, invoice and hand over; returns the shipment code."""
        assert self.ack(order.order_code).status_code == 200
        packed = self.pack(order.order_code, shipment_id, items)
        assert packed.status_code == 200, packed.content
        code = str(packed.json()["shipmentCode"])
        drain()
        assert self.handover(order.order_code, code, f"AWB{shipment_id}").status_code == 200
        drain()
        return code

    def push_stock(self, location: str, *lines: tuple[str, int]) -> Any:
        body = {
            "locationCode": location,
            "inventories": [{"channelSkuCode": sku, "quantity": qty} for sku, qty in lines],
        }
        return self.api.put("/api/omni/inventory", body, format="json")
