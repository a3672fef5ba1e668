"""Magento order JSON -> mirror fields and lines; mirror -> Omni's <OutwardOrder>.

Contract sections 1 (identity and money mapping) and 3.1 (Create Outward Order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from channel.lib.timefmt import parse_magento, to_omni

CENT = Decimal("0.01")
NOT_SHIPPED_TYPES = {"virtual", "downloadable"}


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def cut(value: Any, length: int = 255) -> str:
    return ("" if value is None else str(value))[:length]


@dataclass
class LineData:
    item_id: int
    magento_item_id: int
    parent_item_id: int | None
    sku: str
    name: str
    product_type: str
    quantities: dict[str, int]
    price_incl_tax: Decimal
    price_excl_tax: Decimal
    discount_total: Decimal
    tax_percent: Decimal
    tax_amount: Decimal
    row_total_incl_tax: Decimal
    tax_breakup: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OrderData:
    fields: dict[str, Any]
    lines: list[LineData]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def order_code_of(raw: dict[str, Any]) -> str:
    if settings.ORDER_CODE_FIELD == "entity_id":
        return str(raw["entity_id"])
    return str(raw["increment_id"])


def map_order(raw: dict[str, Any]) -> OrderData:
    """Everything the mirror keeps of one Magento order."""
    errors: list[str] = []
    notes: list[str] = []
    extension = raw.get("extension_attributes") or {}
    taxes = item_taxes(extension.get("item_applied_taxes") or [])
    lines = map_lines(raw.get("items") or [], errors, notes, taxes=taxes)
    fields = {
        "entity_id": int(raw["entity_id"]),
        "increment_id": str(raw["increment_id"]),
        "order_code": order_code_of(raw),
        "store_id": raw.get("store_id"),
        "magento_state": raw.get("state") or "",
        "magento_status": raw.get("status") or "",
        "magento_created_at": parse_magento(raw.get("created_at")),
        "magento_updated_at": parse_magento(raw.get("updated_at") or raw.get("created_at")),
        "customer_email": cut(raw.get("customer_email")),
        "customer_name": cut(
            " ".join(p for p in (raw.get("customer_firstname"), raw.get("customer_lastname")) if p)
        ),
        "is_guest": bool(raw.get("customer_is_guest")),
        "payment_method": cut((raw.get("payment") or {}).get("method"), 64),
        "currency": cut(raw.get("order_currency_code"), 8),
        "grand_total": money(raw.get("grand_total")),
        "shipping_incl_tax": shipping_net(raw),
        "amount_difference": amount_difference(raw, lines),
        "shipping_address": map_address(shipping_address_of(raw), raw),
        "billing_address": map_address(raw.get("billing_address") or {}, raw),
        "raw": raw,
    }
    return OrderData(fields=fields, lines=lines, errors=errors, notes=notes)


# --- money (contract 8.2) -----------------------------------------------------------------------
GST_HEADS = ("CGST", "SGST", "UTGST", "IGST", "CESS")
# Amounts paid otherwise than through the gateway (Adobe Commerce, Amasty): payments, not discounts.
PAYMENT_KEYS = {
    "customer_balance_amount": "storeCredit",
    "amstorecredit_amount": "storeCredit",
    "gift_cards_amount": "giftCards",
    "reward_currency_amount": "rewardPoints",
}


def shipping_net(raw: dict[str, Any]) -> Decimal:
    """The order's tax-inclusive shipping after its shipping discount (never below 0)."""
    if raw.get("shipping_incl_tax") is not None:
        gross = money(raw.get("shipping_incl_tax"))
    else:
        gross = money(raw.get("shipping_amount")) + money(raw.get("shipping_tax_amount"))
    return max(money(0), gross - money(raw.get("shipping_discount_amount")))


def payments_of(raw: dict[str, Any]) -> dict[str, float]:
    """Store credit, gift cards and reward points by kind (non-zero amounts only)."""
    extension = raw.get("extension_attributes") or {}
    paid: dict[str, Decimal] = {}
    for key, kind in PAYMENT_KEYS.items():
        amount = money(extension.get(key))
        if amount:
            paid[kind] = paid.get(kind, money(0)) + amount
    return {kind: float(amount) for kind, amount in paid.items()}


def amount_difference(raw: dict[str, Any], lines: list[LineData]) -> Decimal | None:
    """Σ(sellingPricePerUnit × quantity) + shipping − discounts − (grand_total + payments) over
    every priced line (virtual lines too: Magento's grand total has them); None when it adds up."""
    total = sum(
        (
            line.price_incl_tax * line.quantities["qty_ordered"] - line.discount_total
            for line in lines
        ),
        Decimal(0),
    )
    for item in raw.get("items") or []:
        if not item.get("parent_item_id") and (
            item.get("product_type") in NOT_SHIPPED_TYPES or item.get("is_virtual")
        ):
            total += money(item.get("row_total_incl_tax")) - money(item.get("discount_amount"))
    total += shipping_net(raw)
    paid = sum((Decimal(str(v)) for v in payments_of(raw).values()), Decimal(0))
    difference = money(total - money(raw.get("grand_total")) - paid)
    return difference or None


def tax_head(title: str) -> str:
    """A GST head from a tax title ("CGST 9%" -> "CGST"), else the title as Magento has it."""
    first = (title.split() or [""])[0].upper()
    return first if first in GST_HEADS else title.strip()


def item_taxes(entries: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Magento's item_applied_taxes by item_id: [{"type", "rate", "amount"}] per product line."""
    taxes: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.get("type", "product") != "product" or not entry.get("item_id"):
            continue
        taxes[int(entry["item_id"])] = [
            {
                "type": tax_head(str(tax.get("title") or tax.get("code") or "")),
                "rate": float(Decimal(str(tax.get("percent") or 0))),
                "amount": float(money(tax.get("amount"))),
            }
            for tax in entry.get("applied_taxes") or []
        ]
    return taxes


def is_gst(lines: list[Any]) -> bool:
    return any(t["type"] in GST_HEADS for line in lines for t in line.tax_breakup or [])


def shipping_address_of(raw: dict[str, Any]) -> dict[str, Any]:
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or []
    for assignment in assignments:
        address = (assignment.get("shipping") or {}).get("address")
        if address:
            return address
    return raw.get("billing_address") or {}


def map_address(address: dict[str, Any], raw: dict[str, Any]) -> dict[str, str]:
    street = list(address.get("street") or [])
    street += [""] * (3 - len(street))
    name = " ".join(p for p in (address.get("firstname"), address.get("lastname")) if p)
    return {
        "name": cut(name),
        "line1": cut(street[0]),
        "line2": cut(street[1]),
        "line3": cut(" ".join(s for s in street[2:] if s)),
        "city": cut(address.get("city")),
        "state": cut(address.get("region")),
        "zip": cut(address.get("postcode")),
        "country": cut(address.get("country_id")),
        "email": cut(address.get("email") or raw.get("customer_email")),
        "phone": cut(address.get("telephone")),
    }


def map_lines(
    items: list[dict[str, Any]],
    errors: list[str],
    notes: list[str],
    *,
    taxes: dict[int, list[dict[str, Any]]] | None = None,
) -> list[LineData]:
    children: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        if item.get("parent_item_id"):
            children.setdefault(int(item["parent_item_id"]), []).append(item)
    lines: list[LineData] = []
    for item in items:
        if item.get("parent_item_id"):
            continue
        kind = item.get("product_type") or "simple"
        if kind in NOT_SHIPPED_TYPES or item.get("is_virtual"):
            notes.append(f"{kind} line {item.get('sku')} ({item['item_id']}) is not sent to Omni")
        elif kind == "configurable":
            lines += _configurable_lines(item, children.get(int(item["item_id"]), []), errors)
        elif kind == "bundle":
            lines += _bundle_lines(item, children.get(int(item["item_id"]), []), errors)
        else:
            lines.append(_line(item, item, int(item["item_id"]), errors))
    for line in lines:
        _attach_taxes(line, items, taxes or {})
    return lines


def _attach_taxes(
    line: LineData, items: list[dict[str, Any]], taxes: dict[int, list[dict[str, Any]]]
) -> None:
    """The line's applied taxes: its own item's, or its money source's (a configurable parent,
    a fixed-price bundle parent, apportioned by the line's tax share)."""
    own = taxes.get(line.item_id)
    if own is not None:
        line.tax_breakup = own
        return
    source = taxes.get(line.magento_item_id) or taxes.get(line.parent_item_id or 0)
    if not source:
        return
    whole = sum((Decimal(str(t["amount"])) for t in source), Decimal(0))
    if not whole:
        return
    share = line.tax_amount / whole
    line.tax_breakup = [
        {**t, "amount": float(money(Decimal(str(t["amount"])) * share))} for t in source
    ]


def _configurable_lines(
    parent: dict[str, Any], kids: list[dict[str, Any]], errors: list[str]
) -> list[LineData]:
    """Parent + child are one item: SKU and id from the child, money and qty from the parent."""
    child = kids[0] if kids else parent
    line = _line(child, parent, int(parent["item_id"]), errors)
    line.parent_item_id = int(parent["item_id"]) if kids else None
    return [line]


def _bundle_lines(
    parent: dict[str, Any], kids: list[dict[str, Any]], errors: list[str]
) -> list[LineData]:
    """Each child is an item. Fixed-price bundles spread the parent's money over the units."""
    # Magento's REST order does not say how a bundle ships; `product_options.shipment_type` is
    # read where an extension exposes it, else the store-wide setting (Magento's default: together).
    shipment_type = (parent.get("product_options") or {}).get("shipment_type")
    if shipment_type is None:
        ships_separately = settings.MAGENTO_BUNDLES_SHIP_SEPARATELY
    else:
        ships_separately = str(shipment_type) == "1"
    dynamic = any(money(k.get("price_incl_tax") or k.get("price")) > 0 for k in kids)
    lines = []
    total_units = sum(_qty(k, "qty_ordered", errors) for k in kids) or 1
    for kid in kids:
        magento_id = int(kid["item_id"]) if ships_separately else int(parent["item_id"])
        line = _line(kid, kid, magento_id, errors)
        line.parent_item_id = int(parent["item_id"])
        if not dynamic:
            _apportion(line, parent, total_units)
        lines.append(line)
    return lines


def _apportion(line: LineData, parent: dict[str, Any], total_units: int) -> None:
    units = line.quantities["qty_ordered"]
    share = Decimal(units) / Decimal(total_units)
    row_incl = money(parent.get("row_total_incl_tax")) * share
    line.row_total_incl_tax = money(row_incl)
    line.price_incl_tax = money(row_incl / units) if units else money(0)
    line.price_excl_tax = (
        money(money(parent.get("row_total")) * share / units) if units else money(0)
    )
    line.discount_total = money(money(parent.get("discount_amount")) * share)
    line.tax_amount = money(money(parent.get("tax_amount")) * share)
    line.tax_percent = money(parent.get("tax_percent"))


def _line(
    identity: dict[str, Any], money_src: dict[str, Any], magento_item_id: int, errors: list[str]
) -> LineData:
    quantities = {
        name: _qty(money_src, name, errors)
        for name in ("qty_ordered", "qty_canceled", "qty_invoiced", "qty_shipped", "qty_refunded")
    }
    return LineData(
        item_id=int(identity["item_id"]),
        magento_item_id=magento_item_id,
        parent_item_id=None,
        sku=cut(identity.get("sku")),
        name=cut(identity.get("name") or money_src.get("name")),
        product_type=str(money_src.get("product_type") or "simple"),
        quantities=quantities,
        price_incl_tax=money(money_src.get("price_incl_tax", money_src.get("price"))),
        price_excl_tax=money(money_src.get("price")),
        discount_total=money(money_src.get("discount_amount")),
        tax_percent=money(money_src.get("tax_percent")),
        tax_amount=money(money_src.get("tax_amount")),
        row_total_incl_tax=money(money_src.get("row_total_incl_tax", money_src.get("row_total"))),
    )


def _qty(item: dict[str, Any], name: str, errors: list[str]) -> int:
    value = Decimal(str(item.get(name) or 0))
    if value != value.to_integral_value():
        errors.append(f"{name} of item {item.get('item_id')} ({item.get('sku')}) is {value}")
    return int(value)


def shipping_per_unit(lines: list[LineData], shipping_total: Decimal) -> dict[int, Decimal]:
    """Split the order's shipping over lines by tax-inclusive row total, then per unit."""
    base = sum((line.row_total_incl_tax for line in lines), Decimal(0))
    result = {}
    for line in lines:
        units = line.quantities["qty_ordered"]
        if not units or not base:
            result[line.item_id] = money(0)
            continue
        share = shipping_total * line.row_total_incl_tax / base
        result[line.item_id] = money(share / units)
    return result


# --- mirror -> Omni ------------------------------------------------------------------------------
def outward_order(order: Any) -> dict[str, Any]:
    """Omni's Create Outward Order body for a mirrored order (contract 3.1)."""
    # Once acknowledged, the order is at the location Omni named; before, its store's location
    # (contract 8.4), else the one location.
    stores = settings.MAGENTO_STORE_LOCATIONS
    location = order.location_code or stores.get(str(order.store_id), settings.OMNI_LOCATION_CODE)
    location = location or None
    order_time = order.magento_created_at
    lines = list(order.lines.all())
    body = {
        "orderCode": order.order_code,
        "orderTime": to_omni(order_time),
        "orderType": "SO",
        "locationCode": location,
        "isSplitRequired": location is None,
        "onHold": order.magento_state == "holded",
        "qcStatus": "PASS",
        "isPriority": False,
        "gift": False,
        "dispatchByTime": to_omni(order_time + timedelta(days=settings.OMNI_SLA_DAYS)),
        "startProcessingTime": to_omni(order_time),
        "paymentMethod": "COD" if order.is_cod else "NCOD",
        "shippingAddress": order.shipping_address,
        "billingAddress": order.billing_address,
        "orderItems": outward_items(lines),
        "orderCustomAttributes": {
            "currency": order.currency,
            "channelMetadata": {
                "entityId": order.entity_id,
                "status": order.magento_status,
                "paymentMethod": order.payment_method,
                **payments_of(order.raw or {}),
            },
        },
    }
    if is_gst(lines):
        body["taxBreakupForms"] = tax_breakup_forms(lines)
    return body


def tax_breakup_forms(lines: list[Any]) -> list[dict[str, Any]]:
    """Omni's taxBreakupForms: one per SKU, taxes per unit by GST head."""
    forms = []
    for group in sku_groups(lines):
        units = sum(line.qty_ordered for line in group) or 1
        heads: dict[tuple[str, float], Decimal] = {}
        for line in group:
            for tax in line.tax_breakup or []:
                key = (str(tax["type"]), float(tax["rate"]))
                heads[key] = heads.get(key, Decimal(0)) + Decimal(str(tax["amount"]))
        forms.append(
            {
                "channelSkuId": group[0].sku,
                "baseSellingPricePerUnit": _per_unit(group, "price_excl_tax"),
                "taxItemForms": [
                    {"type": head, "rate": rate, "taxPerUnit": float(money(amount / units))}
                    for (head, rate), amount in heads.items()
                ],
            }
        )
    return forms


# --- one Omni item per SKU (contract 8.2) --------------------------------------------------------
def sku_groups(lines: list[Any]) -> list[list[Any]]:
    """The order's lines by SKU, in order of first appearance, each group oldest line first: Omni
    gets one item per SKU, named by the group's first line (its orderItemCode)."""
    groups: dict[str, list[Any]] = {}
    for line in sorted(lines, key=lambda line: (line.position, line.item_id)):
        groups.setdefault(line.sku, []).append(line)
    return list(groups.values())


def omni_item_codes(lines: list[Any]) -> dict[str, str]:
    """SKU -> the orderItemCode Omni knows it by (the first line of the SKU)."""
    return {group[0].sku: str(group[0].item_id) for group in sku_groups(lines)}


def _per_unit(group: list[Any], field_name: str) -> float:
    units = sum(line.qty_ordered for line in group)
    if not units:
        return float(getattr(group[0], field_name))
    total = sum((getattr(line, field_name) * line.qty_ordered for line in group), Decimal(0))
    return float(money(total / units))


def outward_items(lines: list[Any]) -> list[dict[str, Any]]:
    """Omni's orderItems: Magento lines of the same SKU become one item with the summed quantity
    and unit amounts averaged over the units."""
    items = []
    for group in sku_groups(lines):
        if len(group) == 1:
            items.append(outward_item(group[0]))
            continue
        items.append(
            {
                "channelSkuCode": group[0].sku,
                "orderItemCode": str(group[0].item_id),
                "quantity": sum(line.qty_ordered for line in group),
                "sellingPricePerUnit": _per_unit(group, "selling_price_per_unit"),
                "channelDiscountPerUnit": _per_unit(group, "discount_per_unit"),
                "shippingChargePerUnit": _per_unit(group, "shipping_charge_per_unit"),
            }
        )
    return items


def outward_item(line: Any) -> dict[str, Any]:
    return {
        "channelSkuCode": line.sku,
        "orderItemCode": str(line.item_id),
        "quantity": line.qty_ordered,
        "sellingPricePerUnit": float(line.selling_price_per_unit),
        "channelDiscountPerUnit": float(line.discount_per_unit),
        "shippingChargePerUnit": float(line.shipping_charge_per_unit),
    }


def cancellation_items(order: Any) -> list[dict[str, Any]]:
    """Omni's Customer Cancellation items: absolute Magento qty_canceled per Omni item (the
    SKU's lines summed)."""
    items = []
    for group in sku_groups(list(order.lines.all())):
        cancelled = sum(line.qty_canceled for line in group)
        if cancelled:
            items.append(
                {
                    "channelSkuCode": group[0].sku,
                    "orderItemCode": str(group[0].item_id),
                    "cancelledQuantity": cancelled,
                }
            )
    return items
