"""Prepaid orders, credit memos and the courier extension in the fake Magento (contract 8.3,
8.5): invoiced at placement, refunded online or offline by Magento's rules, shipments that get
their track and label from a courier module, tracks added later and shipment e-mails."""

from __future__ import annotations

import base64
from typing import Any

import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import REST

MEMO_ERRORS = "Creditmemo Document Validation Error(s):\n"


def _prepaid(magento: MagentoSimulator, method: str = "razorpay", qty: int = 3) -> dict[str, Any]:
    magento.prepaid_methods = {"razorpay", "checkmo"}
    return magento.add_order([{"sku": "A", "qty": qty, "price": 100}], payment_method=method)


def _item_id(magento: MagentoSimulator, order_id: int) -> int:
    return int(magento.get_order(order_id)["items"][0]["item_id"])


def test_a_prepaid_order_is_invoiced_and_captured_online_at_placement(
    magento: MagentoSimulator,
) -> None:
    order = _prepaid(magento)
    assert (order["state"], order["items"][0]["qty_invoiced"]) == ("processing", 3)
    assert order["total_paid"] == 300
    (invoice,) = magento.invoices_for(order["entity_id"])
    assert invoice["transaction_id"]  # captured by the gateway


def test_other_methods_are_not_invoiced_at_placement(magento: MagentoSimulator) -> None:
    magento.prepaid_methods = {"razorpay"}
    order = magento.add_order([{"sku": "A", "qty": 1, "price": 100}], payment_method="checkmo")
    assert (order["state"], magento.invoices_for(order["entity_id"])) == ("new", [])


def test_cancel_of_a_fully_invoiced_order_answers_false(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = _prepaid(magento)
    response = client.post(f"{REST}/orders/{order['entity_id']}/cancel")
    assert (response.status_code, response.json()) == (200, False)
    assert magento.get_order(order["entity_id"])["state"] == "processing"


def test_an_online_invoice_refund_for_one_unit(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = _prepaid(magento)
    (invoice,) = magento.invoices_for(order["entity_id"])
    item_id = _item_id(magento, order["entity_id"])
    response = client.post(
        f"{REST}/invoice/{invoice['entity_id']}/refund",
        json={
            "items": [{"order_item_id": item_id, "qty": 1}],
            "isOnline": True,
            "arguments": {"extension_attributes": {"return_to_stock_items": []}},
        },
    )
    assert (response.status_code, response.json()) == (200, 1)
    memo = client.get(f"{REST}/creditmemo/1").json()
    assert (memo["invoice_id"], memo["grand_total"]) == (invoice["entity_id"], 100)
    assert memo["transaction_id"]  # the gateway refunded
    after = magento.get_order(order["entity_id"])
    assert (after["items"][0]["qty_refunded"], after["total_online_refunded"]) == (1, 100)
    assert after["state"] == "processing"


def test_an_invoice_refund_of_more_than_is_left_is_refused(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = _prepaid(magento)
    (invoice,) = magento.invoices_for(order["entity_id"])
    item_id = _item_id(magento, order["entity_id"])
    url = f"{REST}/invoice/{invoice['entity_id']}/refund"
    assert client.post(url, json={"items": [{"order_item_id": item_id, "qty": 2}]}).ok
    response = client.post(url, json={"items": [{"order_item_id": item_id, "qty": 2}]})
    assert response.status_code == 400
    assert "must not be greater than the unrefunded quantity" in response.json()["message"]


def test_online_refund_of_an_offline_invoice_is_refused(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = _prepaid(magento, method="checkmo")
    (invoice,) = magento.invoices_for(order["entity_id"])
    assert not invoice.get("transaction_id")
    response = client.post(f"{REST}/invoice/{invoice['entity_id']}/refund", json={"isOnline": True})
    assert (response.status_code, response.json()["message"]) == (
        400,
        MEMO_ERRORS + "We can't create creditmemo for the invoice.",
    )
    offline = client.post(f"{REST}/invoice/{invoice['entity_id']}/refund", json={})
    assert (offline.status_code, offline.json()) == (200, 1)
    assert not magento.creditmemos[1].get("transaction_id")


def test_an_unknown_invoice_is_404(client: requests.Session) -> None:
    assert client.post(f"{REST}/invoice/99/refund", json={}).status_code == 404


def test_a_full_refund_closes_the_order_and_lists_the_memo(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = _prepaid(magento)
    item_id = _item_id(magento, order["entity_id"])
    response = client.post(
        f"{REST}/order/{order['entity_id']}/refund",
        json={
            "items": [{"order_item_id": item_id, "qty": 3}],
            "arguments": {"extension_attributes": {"return_to_stock_items": [item_id]}},
        },
    )
    assert (response.status_code, response.json()) == (200, 1)
    assert magento.get_order(order["entity_id"])["state"] == "closed"
    params = {
        "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
        "searchCriteria[filter_groups][0][filters][0][value]": str(order["entity_id"]),
    }
    listed = client.get(f"{REST}/creditmemos", params=params).json()
    assert [m["entity_id"] for m in listed["items"]] == [1]


# --- the courier extension ----------------------------------------------------------------------
def test_the_courier_extension_adds_a_track_and_a_label_to_a_new_shipment(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.courier_extension = True
    order = magento.add_order([{"sku": "A", "qty": 1, "price": 100}])
    shipment_id = client.post(f"{REST}/order/{order['entity_id']}/ship", json={}).json()
    shipment = client.get(f"{REST}/shipment/{shipment_id}").json()
    (track,) = shipment["tracks"]
    assert (track["title"], track["carrier_code"]) == ("Delhivery", "delhivery")
    assert track["track_number"].startswith("DLV")
    assert base64.b64decode(shipment["shipping_label"]).startswith(b"%PDF")


def test_without_the_extension_a_shipment_has_no_track_and_no_label(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = magento.add_order([{"sku": "A", "qty": 1, "price": 100}])
    shipment_id = client.post(f"{REST}/order/{order['entity_id']}/ship", json={}).json()
    shipment = client.get(f"{REST}/shipment/{shipment_id}").json()
    assert (shipment["tracks"], shipment.get("shipping_label")) == ([], None)


def test_a_track_is_added_later_and_the_customer_notified(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    order = magento.add_order([{"sku": "A", "qty": 1, "price": 100}])
    shipment_id = client.post(f"{REST}/order/{order['entity_id']}/ship", json={}).json()
    entity = {
        "order_id": order["entity_id"],
        "parent_id": shipment_id,
        "track_number": "AWB9",
        "title": "Bluedart",
        "carrier_code": "custom",
    }
    track = client.post(f"{REST}/shipment/track", json={"entity": entity})
    assert (track.status_code, track.json()["track_number"]) == (200, "AWB9")
    assert [t["track_number"] for t in magento.shipments[shipment_id]["tracks"]] == ["AWB9"]
    emails = client.post(f"{REST}/shipment/{shipment_id}/emails")
    assert (emails.status_code, emails.json()) == (200, True)
    assert magento.shipments[shipment_id]["email_sent"] == 1
    assert magento.notifications[-1]["type"] == "shipment"


def test_a_track_needs_a_number_and_a_known_shipment(client: requests.Session) -> None:
    no_number = client.post(f"{REST}/shipment/track", json={"entity": {"parent_id": 1}})
    assert no_number.status_code == 400
    unknown = client.post(
        f"{REST}/shipment/track", json={"entity": {"parent_id": 9, "track_number": "X"}}
    )
    assert unknown.status_code == 404
    assert client.post(f"{REST}/shipment/9/emails").status_code == 404
