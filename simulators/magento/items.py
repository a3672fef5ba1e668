"""Order item arithmetic shared by orders and documents: the quantities left to invoice, ship and
cancel, and the row/tax/discount share of a partial invoice or credit memo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.magento.common import num, set_money

_AMOUNT_NAMES = ("row", "tax", "discount")
_ORDERED_KEYS = ("row_total", "tax_amount", "discount_amount")
_INVOICED_KEYS = ("row_invoiced", "tax_invoiced", "discount_invoiced")
_REFUNDED_KEYS = ("amount_refunded", "tax_refunded", "discount_refunded")


def qty_to_invoice(item: Mapping[str, Any]) -> float:
    if item["_dummy_invoice"]:
        return 0.0
    return max(
        0.0, float(item["qty_ordered"]) - float(item["qty_invoiced"]) - float(item["qty_canceled"])
    )


def qty_to_ship(item: Mapping[str, Any]) -> float:
    if item["_dummy_ship"] or item["is_virtual"]:
        return 0.0
    return max(0.0, _simple_to_ship(item))


def _simple_to_ship(item: Mapping[str, Any]) -> float:
    used = float(item["qty_shipped"]) + float(item["qty_refunded"]) + float(item["qty_canceled"])
    return float(item["qty_ordered"]) - used


def qty_to_cancel(item: Mapping[str, Any]) -> float:
    """min(to invoice, to ship), computed without the dummy rule so that children follow
    their parents (Magento's bundle/configurable special cases give the same numbers)."""
    to_invoice = (
        float(item["qty_ordered"]) - float(item["qty_invoiced"]) - float(item["qty_canceled"])
    )
    if item["is_virtual"]:
        return max(0.0, to_invoice)
    return max(0.0, min(to_invoice, _simple_to_ship(item)))


def cancel_item(item: dict[str, Any], qty: float) -> None:
    item["qty_canceled"] = num(float(item["qty_canceled"]) + qty)
    ordered = float(item["qty_ordered"]) or 1.0
    set_money(item, tax_canceled=float(item["tax_amount"]) * qty / ordered)
    set_money(item, discount_canceled=float(item["discount_amount"]) * qty / ordered)


def invoice_share(item: Mapping[str, Any], qty: float) -> dict[str, float]:
    """Row, tax and discount for invoicing ``qty`` units; the last units take the rest."""
    ordered = float(item["qty_ordered"]) or 1.0
    totals = _amounts(item, _ORDERED_KEYS)
    if qty >= qty_to_invoice(item):
        billable = (ordered - float(item["qty_canceled"])) / ordered
        done = _amounts(item, _INVOICED_KEYS)
        return {k: round(totals[k] * billable - done[k], 2) for k in totals}
    return {k: round(totals[k] * qty / ordered, 2) for k in totals}


def refund_share(item: Mapping[str, Any], qty: float) -> dict[str, float]:
    """Row, tax and discount for refunding ``qty`` invoiced units; the last take the rest."""
    invoiced = float(item["qty_invoiced"]) or 1.0
    paid = _amounts(item, _INVOICED_KEYS)
    if qty >= float(item["qty_invoiced"]) - float(item["qty_refunded"]):
        done = _amounts(item, _REFUNDED_KEYS)
        return {k: round(paid[k] - done[k], 2) for k in paid}
    return {k: round(paid[k] * qty / invoiced, 2) for k in paid}


def _amounts(item: Mapping[str, Any], keys: tuple[str, str, str]) -> dict[str, float]:
    return {name: float(item.get(key) or 0) for name, key in zip(_AMOUNT_NAMES, keys, strict=True)}


def fill_amounts(
    line: dict[str, Any], item: Mapping[str, Any], qty: float, amounts: Mapping[str, float]
) -> None:
    set_money(line, price=float(item["price"]), price_incl_tax=float(item["price_incl_tax"]))
    set_money(line, row_total=amounts["row"], row_total_incl_tax=amounts["row"] + amounts["tax"])
    set_money(line, tax_amount=amounts["tax"], discount_amount=amounts["discount"])
    set_money(line, discount_tax_compensation_amount=0)
