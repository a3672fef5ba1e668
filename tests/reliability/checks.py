"""The consistency check: exactly one effect per intent, nothing lost.

Compares the proxy's database with what the fake Magento and fake Omni recorded. Every problem is
one readable line; an empty list means consistent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from channel.models import (
    InvoiceState,
    Operation,
    OperationState,
    Order,
    Shipment,
    ShipmentState,
    StockLevel,
    StockState,
)
from returns.models import ReturnOrder, ReturnState
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator

SENT_RETURN_STATES = [
    ReturnState.SENT,
    ReturnState.RECEIVED,
    ReturnState.QC_PASSED,
    ReturnState.QC_FAILED,
]


@dataclass
class Report:
    orders: int = 0
    shipments: int = 0
    invoices: int = 0
    magento_shipments: int = 0
    returns: int = 0
    stock_rows: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        ops = ", ".join(f"{state} {n}" for state, n in sorted(self.operations.items()))
        lines = [
            f"orders {self.orders}, shipments {self.shipments}, invoices {self.invoices}, "
            f"Magento shipments {self.magento_shipments}, returns {self.returns}, "
            f"stock rows {self.stock_rows}; operations: {ops}",
        ]
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["consistent"]
        return "\n".join(lines)


def consistency(magento: MagentoSimulator, omni: OmniSimulator, *, complete: bool = True) -> Report:
    """Check every order, shipment, return and stock row; `complete`: every order Magento has
    must also be complete there (every unit handed over)."""
    report = Report()
    orders = list(Order.objects.prefetch_related("shipments__invoice").order_by("pk"))
    report.orders = len(orders)
    _check_orders(magento, omni, orders, report, complete=complete)
    _check_returns(omni, report)
    _check_stock(magento, report)
    _check_operations(report)
    return report


def _check_orders(
    magento: MagentoSimulator,
    omni: OmniSimulator,
    orders: list[Order],
    report: Report,
    *,
    complete: bool,
) -> None:
    mirrored = {order.entity_id for order in orders}
    for entity_id in sorted(set(magento.orders) - mirrored):
        report.problems.append(f"Magento order {entity_id} was never mirrored")
    codes = {order.order_code for order in orders}
    for code in sorted(set(omni.orders) - codes):
        report.problems.append(f"Omni has order {code} the proxy does not know")
    for order in orders:
        if order.order_code not in omni.orders:
            report.problems.append(f"order {order.order_code} never reached Omni")
        _check_documents(magento, order, report)
        if complete:
            state = magento.get_order(order.entity_id)["state"]
            if state != "complete":
                report.problems.append(f"order {order.order_code} is {state} in Magento")


def _check_documents(magento: MagentoSimulator, order: Order, report: Report) -> None:
    shipments = [s for s in order.shipments.all() if s.state != ShipmentState.CANCELLED]
    report.shipments += len(shipments)
    invoices = magento.invoices_for(order.entity_id)
    made = magento.shipments_for(order.entity_id)
    report.invoices += len(invoices)
    report.magento_shipments += len(made)
    recorded_invoices = sorted(
        s.invoice.magento_invoice_id
        for s in shipments
        if hasattr(s, "invoice") and s.invoice.state == InvoiceState.CREATED
    )
    if sorted(int(i["entity_id"]) for i in invoices) != recorded_invoices:
        report.problems.append(
            f"order {order.order_code}: Magento invoices {[i['entity_id'] for i in invoices]}, "
            f"proxy recorded {recorded_invoices} for {len(shipments)} shipment(s)"
        )
    gone = [s for s in shipments if s.state in (ShipmentState.HANDED_OVER, ShipmentState.SHIPPED)]
    for shipment in gone:
        _check_shipment(order, shipment, report)
    recorded = sorted(s.magento_shipment_id for s in gone if s.magento_shipment_id)
    if sorted(int(m["entity_id"]) for m in made) != recorded:
        report.problems.append(
            f"order {order.order_code}: Magento shipments {[m['entity_id'] for m in made]}, "
            f"proxy recorded {recorded}"
        )
    tracks = Counter(str(t["track_number"]) for m in made for t in m.get("tracks") or [])
    for awb, count in tracks.items():
        if count > 1:
            report.problems.append(f"order {order.order_code}: AWB {awb} on {count} shipments")


def _check_shipment(order: Order, shipment: Shipment, report: Report) -> None:
    if shipment.state != ShipmentState.SHIPPED or not shipment.magento_shipment_id:
        report.problems.append(
            f"shipment {shipment.shipment_code} handed over but not shipped in Magento"
        )
    invoice = getattr(shipment, "invoice", None)
    if invoice is None or invoice.state != InvoiceState.CREATED:
        report.problems.append(f"shipment {shipment.shipment_code} has no Magento invoice")


def _check_returns(omni: OmniSimulator, report: Report) -> None:
    returns = list(ReturnOrder.objects.exclude(state=ReturnState.DRAFT))
    report.returns = len(returns)
    codes = {r.return_order_code for r in returns}
    for code in sorted(set(omni.returns) - codes):
        report.problems.append(f"Omni has return {code} the proxy does not know")
    for return_order in returns:
        code = return_order.return_order_code
        if return_order.state not in SENT_RETURN_STATES:
            report.problems.append(f"return {code} is {return_order.state}")
        if code not in omni.returns:
            report.problems.append(f"return {code} never reached Omni")


def _check_stock(magento: MagentoSimulator, report: Report) -> None:
    """Omni's latest quantity of every SKU is the last one written to Magento (Magento's own
    quantity moves on when it ships, so that is what can be compared)."""
    levels = list(StockLevel.objects.all())
    report.stock_rows = len(levels)
    for level in levels:
        if level.state != StockState.SYNCED:
            report.problems.append(f"stock {level.sku} is {level.state}: {level.last_error}")
        writes = magento.calls("PUT", rf"/V1/products/{re.escape(level.sku)}/stockItems/")
        last = writes[-1].json["stockItem"]["qty"] if writes else None
        if last != level.quantity:
            report.problems.append(
                f"stock {level.sku}: last written to Magento {last}, Omni's latest {level.quantity}"
            )


def _check_operations(report: Report) -> None:
    report.operations = Counter(Operation.objects.values_list("state", flat=True))
    for operation in Operation.objects.exclude(state=OperationState.DONE):
        report.problems.append(
            f"operation {operation.kind} {operation.target or operation.order_id} is "
            f"{operation.state}: {operation.last_error[:200]}"
        )


def settled() -> bool:
    """No operation is pending or running."""
    busy = [OperationState.PENDING, OperationState.RUNNING]
    return not Operation.objects.filter(state__in=busy).exists()


def unsettled() -> str:
    busy = [OperationState.PENDING, OperationState.RUNNING]
    rows = Operation.objects.filter(state__in=busy).values_list(
        "kind", "target", "state", "attempts", "last_error"
    )
    return "\n".join(str(row) for row in rows[:30])
