"""Legacy stock items and MSI source items in the fake Magento."""

from __future__ import annotations

import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import REST, search


def test_it_reads_a_stock_item_and_answers_404_for_unknown_skus(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("KURTA BLUE Ü", qty=7)
    item = client.get(f"{REST}/stockItems/KURTA%20BLUE%20%C3%9C").json()
    assert (item["qty"], item["is_in_stock"], item["stock_id"]) == (7, True, 1)
    assert item["low_stock_date"] is None
    missing = client.get(f"{REST}/stockItems/NOPE")
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": 'Product with SKU "%1" does not exist', "parameters": ["NOPE"]},
    )


def test_it_updates_a_stock_item_by_sku_whatever_the_item_id(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    product = magento.add_product("A", qty=1)
    response = client.put(
        f"{REST}/products/A/stockItems/999", json={"stockItem": {"qty": 25, "is_in_stock": True}}
    )
    assert (response.status_code, response.json()) == (200, product["stock"]["item_id"])
    assert client.get(f"{REST}/stockItems/A").json()["qty"] == 25
    assert magento.products["A"]["sources"]["default"] == {
        "sku": "A",
        "source_code": "default",
        "quantity": 25,
        "status": 1,
    }
    client.put(
        f"{REST}/products/A/stockItems/1", json={"stockItem": {"qty": 0, "is_in_stock": True}}
    )
    emptied = client.get(f"{REST}/stockItems/A").json()
    assert (emptied["qty"], emptied["is_in_stock"]) == (0, False)  # Magento's auto stock status
    client.put(f"{REST}/products/A/stockItems/1", json={"stockItem": {"qty": 3}})
    assert client.get(f"{REST}/stockItems/A").json()["is_in_stock"] is True
    unknown = client.put(f"{REST}/products/B/stockItems/1", json={"stockItem": {"qty": 1}})
    assert unknown.status_code == 404 and unknown.json()["parameters"] == ["B"]
    no_body = client.put(f"{REST}/products/A/stockItems/1", json={})
    assert no_body.json()["parameters"] == {"fieldName": "stockItem"}


def test_it_lists_source_items_by_search_criteria(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("A", sources={"default": 5, "wh-blr": 2})
    magento.add_product("B", qty=9)
    response = client.get(
        f"{REST}/inventory/source-items", params=search(filters=[[("sku", "A", "eq")]])
    )
    assert response.json()["items"] == [
        {"sku": "A", "source_code": "default", "quantity": 5, "status": 1},
        {"sku": "A", "source_code": "wh-blr", "quantity": 2, "status": 1},
    ]
    assert client.get(f"{REST}/inventory/source-items").status_code == 400


def test_it_saves_source_items_all_or_nothing(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("A", qty=1)
    url = f"{REST}/inventory/source-items"
    good = {"sku": "A", "source_code": "default", "quantity": 12, "status": 1}
    bad_sku = {"sku": "NOPE", "source_code": "default", "quantity": 1, "status": 1}
    refused = client.post(url, json={"sourceItems": [good, bad_sku]})
    assert refused.status_code == 400
    assert (
        refused.json()["message"]
        == 'Validation Failed: Product with requested "sku": "NOPE" was was not found.'
    )
    assert refused.json()["errors"][0]["parameters"] == {"field": "sku", "value": "NOPE"}
    assert magento.products["A"]["stock"]["qty"] == 1
    unknown_source = client.post(url, json={"sourceItems": [good | {"source_code": "wh-x"}]})
    assert unknown_source.json() == {"message": "Could not save Source Item"}
    empty = client.post(url, json={"sourceItems": []})
    assert empty.json() == {"message": "Input data is empty"}
    saved = client.post(url, json={"sourceItems": [good]})
    assert (saved.status_code, saved.json()) == (200, [])
    assert magento.products["A"]["stock"]["qty"] == 12


def test_it_caps_arrays_at_twenty_items_with_input_limiting(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    items = []
    for n in range(21):
        magento.add_product(f"S{n}")
        items.append({"sku": f"S{n}", "source_code": "default", "quantity": n, "status": 1})
    url = f"{REST}/inventory/source-items"
    magento.input_limiting = True
    capped = client.post(url, json={"sourceItems": items})
    assert capped.status_code == 400
    assert capped.json()["message"] == 'Maximum items of type "%type" is %max'
    assert capped.json()["parameters"]["max"] == 20
    assert client.post(url, json={"sourceItems": items[:20]}).ok


def test_it_deducts_shipped_quantities_from_the_source(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_product("TEE-RED-M", qty=10)
    magento.add_order([{"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": 3}])
    magento.ship(1)
    assert client.get(f"{REST}/stockItems/TEE-RED-M").json()["qty"] == 7
