"""Real-shop money in the fake Magento: shipping discounts, payments other than the gateway,
GST-titled applied taxes and the HSN product attribute."""

from __future__ import annotations

import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import REST, search


def test_a_shipping_discount_is_inside_discount_amount_and_lowers_the_grand_total(
    magento: MagentoSimulator,
) -> None:
    order = magento.add_order(
        [{"sku": "A", "qty": 1, "price": 1000}], shipping_amount=100, shipping_discount=100
    )
    assert (order["shipping_amount"], order["shipping_discount_amount"]) == (100, 100)
    assert (order["discount_amount"], order["grand_total"]) == (-100, 1000)


def test_store_credit_gift_cards_and_reward_points_are_in_extension_attributes(
    magento: MagentoSimulator,
) -> None:
    payments = {"customer_balance_amount": 150, "gift_cards_amount": 50}
    order = magento.add_order([{"sku": "A", "qty": 1, "price": 1000}], payments=payments)
    extension = order["extension_attributes"]
    assert (extension["customer_balance_amount"], extension["gift_cards_amount"]) == (150, 50)
    assert order["grand_total"] == 800 and "shipping_assignments" in extension


def test_applied_taxes_are_titled_by_gst_head(magento: MagentoSimulator) -> None:
    intra = magento.add_order(
        [{"sku": "A", "qty": 2, "price": 1180, "tax_percent": 18}], gst="intra"
    )
    extension = intra["extension_attributes"]
    assert [(t["title"], t["percent"], t["amount"]) for t in extension["applied_taxes"]] == [
        ("CGST 9%", 9, 180),
        ("SGST 9%", 9, 180),
    ]
    (line,) = extension["item_applied_taxes"]
    assert line["item_id"] == intra["items"][0]["item_id"]
    inter = magento.add_order(
        [{"sku": "A", "qty": 1, "price": 1180, "tax_percent": 18}], gst="inter"
    )
    assert [t["title"] for t in inter["extension_attributes"]["applied_taxes"]] == ["IGST 18%"]


def test_the_hsn_code_is_a_product_attribute_searched_by_sku(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A/B", "qty": 1, "hsn": "6109"}, {"sku": "C", "qty": 1}])
    found = client.get(f"{REST}/products", params=search([[("sku", "A/B,C", "in")]])).json()
    attributes = {p["sku"]: p["custom_attributes"] for p in found["items"]}
    assert attributes == {"A/B": [{"attribute_code": "hsn_code", "value": "6109"}], "C": []}
