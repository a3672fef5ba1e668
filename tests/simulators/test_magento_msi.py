"""MSI in the fake Magento: stocks of several sources, reservations, salable quantities, routing
of awkward SKUs."""

from __future__ import annotations

import pytest
import requests

from simulators.magento import MagentoError, MagentoSimulator
from tests.support.simulators import REST, search


def salable(client: requests.Session, sku_in_path: str, stock_id: int = 1) -> requests.Response:
    return client.get(f"{REST}/inventory/get-product-salable-quantity/{sku_in_path}/{stock_id}")


def test_an_order_reserves_its_units_until_it_ships(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("A", qty=10)
    order = magento.add_order([{"sku": "A", "qty": 3}])
    assert (salable(client, "A").status_code, salable(client, "A").json()) == (200, 7)
    assert magento.products["A"]["sources"]["default"]["quantity"] == 10  # source untouched
    magento.ship(order["entity_id"])
    assert salable(client, "A").json() == 7
    assert magento.products["A"]["sources"]["default"]["quantity"] == 7
    assert magento.reserved("A") == 0


def test_cancel_and_credit_memo_compensate_what_is_still_reserved(
    magento: MagentoSimulator,
) -> None:
    magento.add_product("A", qty=10)
    cancelled = magento.add_order([{"sku": "A", "qty": 2}])
    refunded = magento.add_order([{"sku": "A", "qty": 4}])
    assert magento.salable_qty("A") == 4
    magento.cancel(cancelled["entity_id"])
    assert magento.salable_qty("A") == 6
    magento.invoice(refunded["entity_id"])
    magento.refund(refunded["entity_id"])
    assert magento.salable_qty("A") == 10
    events = [r["metadata"]["event_type"] for r in magento.reservations]
    assert events == ["order_placed", "order_placed", "order_canceled", "creditmemo_created"]


def test_a_configurable_reserves_its_child_sku_and_composites_have_no_salable_qty(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"type": "configurable", "sku": "TEE-M", "parent_sku": "TEE", "qty": 2}])
    assert magento.reserved("TEE-M") == -2
    refused = salable(client, "TEE")
    assert (refused.status_code, refused.json()["message"]) == (
        400,
        "Can't check requested quantity for products without Source Items support.",
    )
    unknown = salable(client, "NOPE")
    assert (unknown.status_code, unknown.json()["parameters"]) == (404, ["NOPE"])


def test_a_stock_of_several_sources_sums_its_in_stock_sources(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_stock(2, ["wh1", "wh2"], website="in")
    magento.add_product("A", sources={"wh1": 10, "wh2": 5, "wh3": 50})
    magento.add_product("B", sources={"wh3": 4})
    magento.products["A"]["sources"]["wh2"]["status"] = 0  # out of stock: not salable
    assert salable(client, "A", 2).json() == 10
    assert salable(client, "B", 2).json() == 0  # in no source of the stock
    magento.order_stock_id = 2
    magento.add_order([{"sku": "A", "qty": 1}])
    assert salable(client, "A", 2).json() == 9
    params = search([[("sku", "A,B", "in")]])
    export = client.get(f"{REST}/inventory/export-stock-salable-qty/website/in", params=params)
    assert export.json()["items"] == [{"sku": "A", "qty": 9, "is_salable": True}]


def test_a_shipment_fails_when_its_source_holds_fewer_units(magento: MagentoSimulator) -> None:
    magento.add_product("A", qty=1)
    order = magento.add_order([{"sku": "A", "qty": 2}])
    with pytest.raises(MagentoError) as caught:
        magento.ship(order["entity_id"])
    assert caught.value.response.json()["message"] == (
        "Not all of your products are available in the requested quantity."
    )


def test_without_msi_modules_an_order_lowers_the_legacy_quantity(
    magento: MagentoSimulator,
) -> None:
    magento.reservations_enabled = False
    magento.add_product("A", qty=10)
    magento.add_order([{"sku": "A", "qty": 3}])
    assert magento.products["A"]["stock"]["qty"] == 7 and magento.reservations == []


def test_path_segments_are_decoded_but_an_encoded_slash_never_routes(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("A/B", qty=3)
    magento.add_product("Ü-1 XL", qty=4)
    assert salable(client, "%C3%9C-1%20XL").json() == 4
    slash = salable(client, "A%2FB")
    assert (slash.status_code, slash.json()) == (
        404,
        {"message": "Request does not match any route."},
    )


def test_dot_segments_are_resolved_before_routing(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("1", qty=9)
    # "/V1/products/%2E%2E/stockItems/1" is "/V1/stockItems/1" for Magento: SKU "1", not "..".
    answer = client.get(f"{REST}/products/%2E%2E/stockItems/1")
    assert (answer.status_code, answer.json()["qty"]) == (200, 9)


def test_a_configurable_parent_stays_out_of_stock_when_a_child_is_restocked(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("TEE", type="configurable")
    magento.add_product("TEE-M", qty=1)
    magento.link_child("TEE", "TEE-M")
    assert magento.is_salable("TEE")
    client.put(f"{REST}/products/TEE-M/stockItems/1", json={"stockItem": {"qty": 0}})
    assert not magento.is_salable("TEE")
    client.put(f"{REST}/products/TEE-M/stockItems/1", json={"stockItem": {"qty": 5}})
    assert magento.is_salable("TEE-M") and not magento.is_salable("TEE")  # magento/inventory#3358
    client.put(f"{REST}/products/TEE/stockItems/1", json={"stockItem": {"is_in_stock": True}})
    assert magento.is_salable("TEE")
