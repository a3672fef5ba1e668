"""Factories for the returns tests: shipped orders in the mirror, handed-over shipments."""

from __future__ import annotations

from channel.models import Order, OrderLine, Shipment, ShipmentLine, ShipmentState
from channel.services import mapping
from channel.services.orders import order_upsert
from simulators.omni import OmniSimulator
from tests.support import magento_orders as mo


def at_omni(omni: OmniSimulator, order: Order) -> None:
    """The forward order as Omni has it (the fake refuses returns of orders it does not know)."""
    omni.orders[order.order_code] = mapping.outward_order(order)


def shipped_order(
    entity_id: int = 123,
    lines: list[tuple[int, str, int, int]] | None = None,
    *,
    location: str = "WH1",
) -> Order:
    """An order in the mirror whose lines (item_id, sku, ordered, shipped) Magento shipped."""
    lines = lines or [(5501, "SKU-1", 2, 2), (5502, "SKU-2", 1, 1)]
    items = [
        mo.item(item_id, sku, qty, qty_shipped=shipped, qty_invoiced=shipped)
        for item_id, sku, qty, shipped in lines
    ]
    order = order_upsert(raw=mo.order(entity_id, items=items, state="processing")).order
    order.location_code = location
    order.save(update_fields=["location_code"])
    return order


def handed_over(order: Order, quantities: dict[str, int], *, shipment_id: int = 120001) -> Shipment:
    """A shipment Omni packed and handed over (no Magento shipment yet)."""
    shipment = Shipment.objects.create(
        order=order,
        shipment_id=shipment_id,
        shipment_code=f"{order.order_code}-{shipment_id % 100}",
        location_code="WH1",
        state=ShipmentState.HANDED_OVER,
        awb_number="AWB1",
        transporter="Delhivery",
    )
    for sku, qty in quantities.items():
        line = OrderLine.objects.get(order=order, sku=sku)
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=qty)
        line.qty_packed += qty
        line.qty_handed_over += qty
        line.save(update_fields=["qty_packed", "qty_handed_over"])
    return shipment
