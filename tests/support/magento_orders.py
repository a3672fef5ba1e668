"""Literal Magento order JSON (the shape of GET /V1/orders/{id}) for unit tests."""

from __future__ import annotations

import copy
from typing import Any

ADDRESS = {
    "address_type": "shipping",
    "firstname": "Asha",
    "lastname": "Rao",
    "street": ["12 MG Road", "Indiranagar"],
    "city": "Bengaluru",
    "region": "Karnataka",
    "region_code": "KA",
    "postcode": "560038",
    "country_id": "IN",
    "telephone": "+919800000001",
    "email": "asha@example.com",
}


def item(item_id: int, sku: str, qty: int = 1, price_incl: float = 1180.0, **extra: Any) -> dict:
    base = {
        "item_id": item_id,
        "sku": sku,
        "name": sku.title(),
        "product_type": "simple",
        "qty_ordered": qty,
        "qty_canceled": 0,
        "qty_invoiced": 0,
        "qty_shipped": 0,
        "qty_refunded": 0,
        "price": round(price_incl / 1.18, 2),
        "price_incl_tax": price_incl,
        "row_total": round(price_incl / 1.18 * qty, 2),
        "row_total_incl_tax": price_incl * qty,
        "tax_percent": 18,
        "tax_amount": round((price_incl - price_incl / 1.18) * qty, 2),
        "discount_amount": 0,
        "is_virtual": 0,
    }
    base.update(extra)
    return base


def order(
    entity_id: int = 100,
    *,
    items: list[dict] | None = None,
    state: str = "new",
    status: str = "pending",
    method: str = "checkmo",
    created_at: str = "2026-01-31 09:15:00",
    updated_at: str | None = None,
    shipping: float = 0.0,
    guest: bool = False,
) -> dict[str, Any]:
    shipping_address = copy.deepcopy(ADDRESS)
    billing = copy.deepcopy(ADDRESS) | {"address_type": "billing", "street": ["1 Billing St"]}
    raw: dict[str, Any] = {
        "entity_id": entity_id,
        "increment_id": f"{entity_id:09d}",
        "state": state,
        "status": status,
        "created_at": created_at,
        "updated_at": updated_at or created_at,
        "store_id": 1,
        "customer_email": "asha@example.com",
        "customer_firstname": "Asha",
        "customer_lastname": "Rao",
        "customer_is_guest": int(guest),
        "order_currency_code": "INR",
        "grand_total": 0,
        "shipping_amount": shipping,
        "shipping_incl_tax": shipping,
        "payment": {"method": method, "cc_last4": None, "account_status": None},
        "billing_address": billing,
        "items": items if items is not None else [item(entity_id * 10 + 1, "SKU-1", 2)],
        "extension_attributes": {
            "shipping_assignments": [{"shipping": {"address": shipping_address}}]
        },
    }
    if not guest:
        raw["customer_id"] = 7
    return raw
