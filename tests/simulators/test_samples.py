"""Seeded sample data for the fake Magento."""

from __future__ import annotations

import json
import random
from collections import Counter

import requests

from simulators.magento import MagentoSimulator
from simulators.samples import new_random_order, seed_magento
from tests.support.simulators import REST, search


def _snapshot(sim: MagentoSimulator) -> str:
    return json.dumps([sim.get_order(i) for i in sorted(sim.orders)], sort_keys=True)


def test_it_seeds_the_same_orders_for_the_same_seed() -> None:
    first, second, other = MagentoSimulator(), MagentoSimulator(), MagentoSimulator()
    seed_magento(first, 150, seed=7)
    seed_magento(second, 150, seed=7)
    seed_magento(other, 150, seed=8)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)


def test_it_seeds_a_realistic_indian_shop(magento: MagentoSimulator) -> None:
    seed_magento(magento, 400)
    orders = [magento.get_order(i) for i in sorted(magento.orders)]
    assert orders[1]["state"] == "holded" and orders[2]["is_virtual"] == 1
    assert Counter(o["state"] for o in orders)["holded"] == 1
    assert {o["order_currency_code"] for o in orders} == {"INR"}
    assert {o["payment"]["method"] for o in orders} == {"cashondelivery", "checkmo", "razorpay"}
    assert {o["customer_is_guest"] for o in orders} == {0, 1}
    assert {"new", "processing", "complete", "canceled"} <= {o["state"] for o in orders}
    types = {i["product_type"] for o in orders for i in o["items"]}
    assert {"simple", "configurable", "bundle", "virtual"} <= types
    taxed = [i for o in orders for i in o["items"] if float(i["tax_amount"])]
    assert {i["tax_percent"] for i in taxed} == {18}
    streets = [
        len(o["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["street"])
        for o in orders
        if not o["is_virtual"]
    ]
    assert set(streets) == {1, 2, 3}
    created = [o["created_at"] for o in orders]
    assert created == sorted(created) and len(set(created)) < len(created)  # some equal times
    assert magento.products["TEE-RED-M"]["stock"]["qty"] >= 0
    assert magento.now().strftime("%Y-%m-%d %H:%M:%S") == "2024-05-01 10:00:00"  # clock restored


def test_it_seeds_ten_thousand_orders(client: requests.Session) -> None:
    # How fast is for the benchmarks to say (tests do not time things).
    sim = MagentoSimulator()
    seed_magento(sim, 10_000)
    assert len(sim.orders) == 10_000 and sim.internal_errors == []


def test_it_adds_random_orders_over_time(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    rng = random.Random(3)
    first = new_random_order(magento, rng)
    magento.advance_clock(90)
    second = new_random_order(magento, rng)
    assert (first["state"], second["created_at"]) == ("new", "2024-05-01 10:01:30")
    newer = search(filters=[[("created_at", "2024-05-01 10:01:00", "gteq")]])
    assert [o["entity_id"] for o in client.get(f"{REST}/orders", params=newer).json()["items"]] == [
        2
    ]


def test_the_samples_carry_real_shop_money_and_limits(magento: MagentoSimulator) -> None:
    seed_magento(magento, 300)
    orders = [magento.get_order(i) for i in sorted(magento.orders)]
    titles = {
        t["title"] for o in orders for t in o["extension_attributes"].get("applied_taxes", [])
    }
    assert {"CGST 9%", "SGST 9%", "IGST 18%"} <= titles
    assert len(orders[4]["items"]) == 25
    assert any(float(o.get("shipping_discount_amount") or 0) for o in orders)
    paid = {k for o in orders for k in o["extension_attributes"] if k.endswith("_amount")}
    assert {"customer_balance_amount", "gift_cards_amount", "reward_currency_amount"} <= paid
    skus = {i["sku"] for o in orders for i in o["items"]}
    assert {"KURTA/SET-M", "SCHAL ÜBER XL"} <= skus
    assert magento.products["TEE-RED-M"]["attributes"] == {"hsn_code": "6109"}
