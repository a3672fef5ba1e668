"""Invoices, shipments and credit memos in the fake Magento: bookkeeping and exact errors."""

from __future__ import annotations

from typing import Any

import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import REST

INVOICE_ERRORS = "Invoice Document Validation Error(s):\n"
SHIP_ERRORS = "Shipment Document Validation Error(s):\n"
TRACK = {"track_number": "AWB123", "title": "Delhivery", "carrier_code": "custom"}


def _items(magento: MagentoSimulator, order_id: int) -> list[dict[str, Any]]:
    return magento.get_order(order_id)["items"]


def _invoice(client: requests.Session, order_id: int, **body: Any) -> requests.Response:
    return client.post(f"{REST}/order/{order_id}/invoice", json=body)


def _ship(client: requests.Session, order_id: int, **body: Any) -> requests.Response:
    return client.post(f"{REST}/order/{order_id}/ship", json=body)


def test_it_invoices_part_then_the_rest(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order(
        [{"sku": "A", "qty": 3, "price": 118}, {"sku": "B", "qty": 1, "price": 236}],
        tax_percent=18,
        shipping_amount=40,
    )
    a, b = _items(magento, 1)
    first = _invoice(client, 1, items=[{"order_item_id": a["item_id"], "qty": 2}])
    assert (first.status_code, first.json()) == (200, 1)
    order = magento.get_order(1)
    assert (order["state"], order["status"]) == ("processing", "processing")
    assert order["items"][0]["qty_invoiced"] == 2 and order["items"][1]["qty_invoiced"] == 0
    invoice = client.get(f"{REST}/invoices/1").json()
    assert (invoice["state"], invoice["order_id"], invoice["total_qty"]) == (2, 1, 2)
    assert (invoice["subtotal"], invoice["tax_amount"], invoice["shipping_amount"]) == (200, 36, 40)
    assert invoice["grand_total"] == 276 and invoice["items"][0]["order_item_id"] == a["item_id"]
    second = _invoice(client, 1)
    assert second.json() == 2
    order = magento.get_order(1)
    assert [i["qty_invoiced"] for i in order["items"]] == [3, 1]
    assert order["total_invoiced"] == order["total_paid"] == order["grand_total"] == 630
    assert order["total_due"] == 0 and magento.invoices[2]["shipping_amount"] == 0
    assert [i["entity_id"] for i in magento.invoices_for(1)] == [1, 2]


def test_it_rejects_over_invoicing_with_the_exact_message(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    item_id = _items(magento, 1)[0]["item_id"]
    response = _invoice(client, 1, items=[{"order_item_id": item_id, "qty": 2}])
    assert response.status_code == 400
    assert response.json() == {
        "message": INVOICE_ERRORS + "The quantity to invoice must not be greater than the "
        'uninvoiced quantity for product SKU "TS-1".'
    }
    assert magento.invoices == {}


def test_it_joins_invoice_and_order_errors_for_a_fully_invoiced_order(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.invoice(1)
    response = _invoice(client, 1)
    assert response.json() == {
        "message": INVOICE_ERRORS
        + "The invoice can't be created without products. Add products and try again.\n"
        "The order does not allow an invoice to be created."
    }


def test_it_refuses_to_invoice_held_orders_and_unknown_items(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.hold(1)
    held = _invoice(client, 1)
    assert held.json()["message"].endswith(
        "An invoice cannot be created when an order has a status of holded"
    )
    magento.unhold(1)
    unknown = _invoice(client, 1, items=[{"order_item_id": 999, "qty": 1}])
    assert unknown.json()["message"] == (
        INVOICE_ERRORS
        + "The invoice contains one or more items that are not part of the original order.\n"
        "The invoice can't be created without products. Add products and try again."
    )


def test_it_invoices_and_ships_configurable_parents_with_children_following(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": 2}])
    parent, child = _items(magento, 1)
    only_child = _invoice(client, 1, items=[{"order_item_id": child["item_id"], "qty": 2}])
    assert only_child.json()["message"].endswith("Add products and try again.")
    assert _invoice(client, 1, items=[{"order_item_id": parent["item_id"], "qty": 1}]).ok
    parent, child = _items(magento, 1)
    assert (parent["qty_invoiced"], child["qty_invoiced"]) == (1, 1)
    invoice = magento.invoices[1]
    assert [(i["order_item_id"], i["qty"], i["price"]) for i in invoice["items"]] == [
        (parent["item_id"], 1, parent["price"]),
        (child["item_id"], 1, 0),
    ]
    assert _ship(client, 1, items=[{"order_item_id": parent["item_id"], "qty": 2}]).ok
    parent, child = _items(magento, 1)
    assert (parent["qty_shipped"], child["qty_shipped"]) == (2, 2)


def test_it_invoices_dynamic_bundles_through_their_children(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    children = [{"sku": "A", "qty": 2, "price": 100}, {"sku": "B", "qty": 1, "price": 50}]
    magento.add_order([{"type": "bundle", "sku": "KIT", "qty": 2, "children": children}])
    parent, a, b = _items(magento, 1)
    assert _invoice(client, 1, items=[{"order_item_id": a["item_id"], "qty": 2}]).ok
    parent, a, b = _items(magento, 1)
    assert (parent["qty_invoiced"], a["qty_invoiced"], b["qty_invoiced"]) == (0, 2, 0)
    assert _invoice(client, 1, items=[{"order_item_id": b["item_id"], "qty": 1}]).ok
    parent, a, b = _items(magento, 1)
    assert parent["qty_invoiced"] == 1  # one complete set of children invoiced
    assert magento.invoices[2]["items"][-1]["order_item_id"] == parent["item_id"]


def test_it_invoices_the_children_of_a_dynamic_bundle_asked_for_by_its_parent(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    # Magento's InvoiceService::prepareItemsQty: the children get parent qty x qty per bundle
    children = [{"sku": "A", "qty": 2, "price": 100}, {"sku": "B", "qty": 1, "price": 50}]
    magento.add_order([{"type": "bundle", "sku": "KIT", "qty": 2, "children": children}])
    parent, a, b = _items(magento, 1)
    assert _invoice(client, 1, items=[{"order_item_id": parent["item_id"], "qty": 1}]).ok
    parent, a, b = _items(magento, 1)
    assert (parent["qty_invoiced"], a["qty_invoiced"], b["qty_invoiced"]) == (1, 2, 1)
    invoice = magento.invoices[1]
    assert [(i["order_item_id"], i["qty"]) for i in invoice["items"]] == [
        (a["item_id"], 2),
        (b["item_id"], 1),
        (parent["item_id"], 1),
    ]


def test_it_ships_bundles_together_or_separately(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    children = [{"sku": "A", "qty": 2, "price": 100}, {"sku": "B", "qty": 1, "price": 50}]
    magento.add_order([{"type": "bundle", "sku": "KIT", "children": children}])
    magento.add_order(
        [{"type": "bundle", "sku": "KIT", "children": children, "ship_together": False}]
    )
    together, t_a, _ = _items(magento, 1)
    wrong = _ship(client, 1, items=[{"order_item_id": t_a["item_id"], "qty": 2}])
    assert wrong.json()["message"] == (
        SHIP_ERRORS + "You can't create a shipment without products.\n"
        'Cannot create shipment as bundle product "KIT" has shipment type "Together". '
        "Bundle product itself should be shipped instead."
    )
    assert _ship(client, 1, items=[{"order_item_id": together["item_id"], "qty": 1}]).ok
    assert [i["qty_shipped"] for i in _items(magento, 1)] == [1, 2, 1]
    separate, s_a, s_b = _items(magento, 2)
    refused = _ship(client, 2, items=[{"order_item_id": separate["item_id"], "qty": 1}])
    assert 'has shipment type "Separately". Bundle product options' in refused.json()["message"]
    assert _ship(client, 2, items=[{"order_item_id": s_a["item_id"], "qty": 2}]).ok
    assert _ship(client, 2, items=[{"order_item_id": s_b["item_id"], "qty": 1}]).ok
    assert [i["qty_shipped"] for i in _items(magento, 2)] == [1, 2, 1]


def test_it_clamps_shipped_quantities_and_keeps_track_nulls(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}])
    item_id = _items(magento, 1)[0]["item_id"]
    response = _ship(client, 1, items=[{"order_item_id": item_id, "qty": 5}], tracks=[TRACK])
    assert response.json() == 1
    shipment = client.get(f"{REST}/shipment/1").json()
    assert (shipment["total_qty"], shipment["items"][0]["qty"]) == (2, 2)
    track = shipment["tracks"][0]
    assert (track["track_number"], track["parent_id"], track["order_id"]) == ("AWB123", 1, 1)
    assert track["weight"] is None and track["qty"] is None and track["description"] is None
    assert shipment["extension_attributes"] == {"source_code": "default"}
    order = magento.get_order(1)
    assert (order["state"], order["items"][0]["qty_shipped"]) == ("processing", 2)


def test_it_completes_an_order_once_invoiced_and_shipped(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}])
    magento.invoice(1)
    item_id = _items(magento, 1)[0]["item_id"]
    assert _ship(client, 1, items=[{"order_item_id": item_id, "qty": 1}]).ok
    assert magento.get_order(1)["state"] == "processing"
    magento.advance_clock(30)
    assert _ship(client, 1, tracks=[TRACK]).ok
    order = magento.get_order(1)
    assert (order["state"], order["status"]) == ("complete", "complete")
    assert order["updated_at"] == "2024-05-01 10:00:30"
    nothing_left = _ship(client, 1)
    assert nothing_left.json()["message"] == (
        SHIP_ERRORS + "The order does not allow a shipment to be created.\n"
        "You can't create a shipment without products."
    )


def test_it_moves_a_shipped_uninvoiced_order_to_processing_until_invoiced(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    assert _ship(client, 1).ok
    assert magento.get_order(1)["state"] == "processing"
    assert _invoice(client, 1).ok
    assert magento.get_order(1)["state"] == "complete"


def test_it_rejects_empty_tracking_numbers_and_virtual_orders(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    no_number = _ship(
        client, 1, tracks=[{"track_number": "", "title": "x", "carrier_code": "custom"}]
    )
    assert no_number.json()["message"] == SHIP_ERRORS + "Please enter a tracking number."
    magento.add_order([{"type": "virtual", "sku": "GIFTCARD", "price": 500}])
    virtual = _ship(client, 2)
    assert virtual.json()["message"].startswith(
        SHIP_ERRORS + "A shipment cannot be created when an order has a status of pending"
    )
    magento.invoice(2)
    assert magento.get_order(2)["state"] == "complete"


def test_it_requires_a_known_source_code_in_multi_source_mode(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.msi_multi_source = True
    magento.add_product("A", qty=10, sources={"default": 4, "wh-blr": 6})
    magento.add_order([{"sku": "A", "qty": 2}])
    for extension in ({}, {"source_code": "wh-nowhere"}):
        refused = _ship(client, 1, arguments={"extension_attributes": extension})
        assert (refused.status_code, refused.json()) == (
            400,
            {"message": "Could not save a shipment, see error log for details"},
        )
    ok = _ship(client, 1, arguments={"extension_attributes": {"source_code": "wh-blr"}})
    assert ok.ok
    assert magento.products["A"]["sources"]["wh-blr"]["quantity"] == 4
    assert magento.shipments[1]["extension_attributes"]["source_code"] == "wh-blr"


def test_it_creates_a_second_document_when_a_request_is_repeated(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}])
    item_id = _items(magento, 1)[0]["item_id"]
    body = {"items": [{"order_item_id": item_id, "qty": 1}]}
    assert [_ship(client, 1, **body).json() for _ in range(3)][:2] == [1, 2]
    assert len(magento.shipments_for(1)) == 2
    assert [_invoice(client, 1, **body).status_code for _ in range(3)] == [200, 200, 400]


def test_it_refunds_offline_and_closes_a_fully_refunded_order(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}], shipping_amount=50)
    magento.invoice(1)
    magento.ship(1)
    item_id = _items(magento, 1)[0]["item_id"]
    part = client.post(
        f"{REST}/order/1/refund", json={"items": [{"order_item_id": item_id, "qty": 1}]}
    )
    assert part.json() == 1
    memo = client.get(f"{REST}/creditmemo/1").json()
    assert (memo["subtotal"], memo["shipping_amount"], memo["grand_total"]) == (100, 50, 150)
    assert magento.get_order(1)["state"] == "complete"
    too_much = client.post(
        f"{REST}/order/1/refund", json={"items": [{"order_item_id": item_id, "qty": 2}]}
    )
    assert "must not be greater than the unrefunded quantity" in too_much.json()["message"]
    assert client.post(f"{REST}/order/1/refund", json={}).json() == 2
    order = magento.get_order(1)
    assert (order["state"], order["items"][0]["qty_refunded"]) == ("closed", 2)
    assert order["total_refunded"] == 250 and len(magento.creditmemos_for(1)) == 2


def test_it_returns_created_ids_as_strings_with_the_knob(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.id_as_string = True
    magento.add_order()
    assert _invoice(client, 1).text == '"1"'
    assert _ship(client, 1).json() == "1"


def test_it_accepts_camel_case_fields_inside_items(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}])
    item_id = _items(magento, 1)[0]["item_id"]
    assert _invoice(client, 1, items=[{"orderItemId": item_id, "qty": 1}]).ok
    assert _items(magento, 1)[0]["qty_invoiced"] == 1
