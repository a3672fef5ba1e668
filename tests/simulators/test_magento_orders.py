"""Order shapes, routing, comments, cancel and hold in the fake Magento."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import MAGENTO, REST

STATUS_MESSAGE = 'Unable to add comment: The status "%1" is not part of the order status history.'


def _comment(client: requests.Session, order_id: int, **history: Any) -> requests.Response:
    body = {"statusHistory": {"comment": "note", "is_customer_notified": 0, **history}}
    return client.post(f"{REST}/orders/{order_id}/comments", json=body)


def test_it_builds_a_configurable_line_as_parent_and_child(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order(
        [{"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": 2, "price": 999}]
    )
    items = client.get(f"{REST}/orders/1").json()["items"]
    parent, child = items
    assert (parent["product_type"], parent["sku"], parent["price"]) == (
        "configurable",
        "TEE-RED-M",
        999,
    )
    assert parent["product_id"] == magento.products["TEE"]["product_id"]
    assert "parent_item_id" not in parent and "parent_item" not in parent
    assert (child["product_type"], child["sku"], child["price"], child["qty_ordered"]) == (
        "simple",
        "TEE-RED-M",
        0,
        2,
    )
    assert child["parent_item_id"] == parent["item_id"]
    assert child["parent_item"]["item_id"] == parent["item_id"]


def test_it_builds_bundles_priced_dynamically_or_fixed(magento: MagentoSimulator) -> None:
    children = [{"sku": "A", "qty": 2, "price": 100}, {"sku": "B", "qty": 1, "price": 50}]
    dynamic = magento.add_order([{"type": "bundle", "sku": "KIT", "qty": 2, "children": children}])
    parent, a, b = dynamic["items"]
    assert (parent["product_type"], parent["price"], parent["row_total"]) == ("bundle", 250, 500)
    assert (a["qty_ordered"], a["row_total"], b["qty_ordered"]) == (4, 400, 2)
    assert dynamic["subtotal"] == 500  # children carry the price, the parent is not counted
    fixed = magento.add_order(
        [
            {
                "type": "bundle",
                "sku": "KIT2",
                "price": 300,
                "dynamic_price": False,
                "children": children,
            }
        ]
    )
    parent, a, _ = fixed["items"]
    assert (parent["price"], a["price"], fixed["subtotal"]) == (300, 0, 300)


def test_it_includes_gst_in_prices_and_splits_discounts(magento: MagentoSimulator) -> None:
    order = magento.add_order(
        [{"sku": "KURTA", "qty": 2, "price": 1180}, {"sku": "MUG", "qty": 1, "price": 590}],
        tax_percent=18,
        shipping_amount=79,
        discount=295,
        coupon_code="WELCOME10",
    )
    kurta, mug = order["items"]
    assert (kurta["price"], kurta["price_incl_tax"], kurta["tax_amount"]) == (1000, 1180, 360)
    assert (mug["discount_amount"], kurta["discount_amount"]) == (59, 236)
    assert order["subtotal_incl_tax"] == 2950
    assert (order["discount_amount"], order["coupon_code"]) == (-295, "WELCOME10")
    assert order["grand_total"] == 2950 + 79 - 295
    shipping = order["extension_attributes"]["shipping_assignments"][0]["shipping"]
    assert shipping["method"] == "flatrate_flatrate"
    assert shipping["total"]["shipping_amount"] == 79


def test_it_omits_null_fields_but_keeps_non_nullable_nulls(magento: MagentoSimulator) -> None:
    guest = magento.add_order(guest=True, payment_method="cashondelivery")
    assert "customer_id" not in guest
    assert (guest["customer_is_guest"], guest["customer_group_id"]) == (1, 0)
    assert guest["payment"]["cc_last4"] is None and guest["payment"]["account_status"] is None
    assert guest["payment"]["method"] == "cashondelivery"
    assert guest["increment_id"] == "000000001" and guest["created_at"] == "2024-05-01 10:00:00"
    registered = magento.add_order(address={"street": ["Flat 1", "MG Road", "Near Metro"]})
    assert registered["customer_id"] == 1 and registered["customer_is_guest"] == 0
    address = registered["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]
    assert address["street"] == ["Flat 1", "MG Road", "Near Metro"]
    assert registered["billing_address"]["address_type"] == "billing"


def test_it_routes_store_codes_and_rejects_unknown_routes(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    for prefix in ("/rest/V1", "/rest/default/V1", "/rest/all/V1"):
        assert client.get(f"{MAGENTO}{prefix}/orders/1").status_code == 200
    for path in ("/rest/foo/V1/orders/1", "/rest/default/V1/ordres/1", "/rest/default/V2/orders"):
        response = client.get(f"{MAGENTO}{path}")
        assert (response.status_code, response.json()) == (
            404,
            {"message": "Request does not match any route."},
        )
    assert client.delete(f"{REST}/orders/1").status_code == 404
    patch = client.patch(f"{REST}/orders/1")
    assert (patch.status_code, patch.json()["parameters"]) == (405, ["PATCH"])


def test_it_answers_404_and_400_for_bad_ids(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    missing = client.get(f"{REST}/orders/999")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "The entity that was requested doesn't exist. Verify the entity and try again."
    }
    wrong_type = client.get(f"{REST}/orders/abc")
    assert wrong_type.status_code == 400 and wrong_type.json()["parameters"]["type"] == "int"
    zero = client.get(f"{REST}/orders/0")
    assert zero.json() == {"message": "An ID is needed. Set the ID and try again."}


def test_it_answers_the_status_as_a_bare_json_string(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    response = client.get(f"{REST}/orders/1/statuses")
    assert response.text == '"pending"'


def test_it_keeps_the_state_when_a_comment_sets_a_status_of_the_same_state(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.invoice(1)
    magento.add_status("processing", "packed")
    response = _comment(client, 1, status="packed")
    assert (response.status_code, response.json()) == (200, True)
    order = magento.get_order(1)
    assert (order["state"], order["status"]) == ("processing", "packed")
    assert order["status_histories"][0]["status"] == "packed"
    assert order["status_histories"][0]["entity_name"] == "order"


def test_it_rejects_a_status_of_another_state_in_same_state_mode(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    response = _comment(client, 1, status="processing")
    assert response.status_code == 400
    assert response.json() == {"message": STATUS_MESSAGE, "parameters": ["processing"]}
    assert magento.get_order(1)["status_histories"] == []


@pytest.mark.parametrize(
    ("mode", "expected_status"), [("ignored", "pending"), ("free", "processing")]
)
def test_it_follows_older_comment_status_rules(
    magento: MagentoSimulator, client: requests.Session, mode: str, expected_status: str
) -> None:
    magento.comments_status_mode = mode
    magento.add_order()
    assert _comment(client, 1, status="processing").json() is True
    order = magento.get_order(1)
    assert (order["state"], order["status"]) == ("new", expected_status)
    assert order["status_histories"][0]["status"] == expected_status


def test_it_lists_comments_newest_first_in_the_order(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    _comment(client, 1, comment="first")
    magento.advance_clock(5)
    _comment(client, 1, comment="second", is_customer_notified=1)
    listed = client.get(f"{REST}/orders/1/comments").json()
    assert [h["comment"] for h in listed["items"]] == ["first", "second"]
    assert listed["total_count"] == 2
    order = client.get(f"{REST}/orders/1").json()
    assert [h["comment"] for h in order["status_histories"]] == ["second", "first"]
    assert magento.notifications == [{"type": "order_comment", "order_id": 1, "comment": "second"}]
    assert order["updated_at"] == "2024-05-01 10:00:05"


def test_it_requires_the_status_history_parameter(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    response = client.post(f"{REST}/orders/1/comments", json={"comment": "x"})
    assert response.json()["parameters"] == {"fieldName": "statusHistory"}
    broken = client.post(
        f"{REST}/orders/1/comments", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert (broken.status_code, broken.json()) == (400, {"message": "Decoding error."})


def test_it_cancels_a_new_order_and_refuses_a_second_time(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 3, "price": 100}], shipping_amount=50)
    magento.advance_clock(60)
    first = client.post(f"{REST}/orders/1/cancel")
    assert (first.status_code, first.json()) == (200, True)
    order = magento.get_order(1)
    assert (order["state"], order["status"]) == ("canceled", "canceled")
    assert order["items"][0]["qty_canceled"] == 3
    assert (order["total_canceled"], order["subtotal_canceled"], order["shipping_canceled"]) == (
        350,
        300,
        50,
    )
    assert order["updated_at"] == "2024-05-01 10:01:00"
    second = client.post(f"{REST}/orders/1/cancel")
    assert (second.status_code, second.json()) == (200, False)


@pytest.mark.parametrize("setup", ["invoice", "hold", "complete"])
def test_it_answers_false_when_the_order_cannot_be_cancelled(
    magento: MagentoSimulator, client: requests.Session, setup: str
) -> None:
    magento.add_order()
    if setup == "hold":
        magento.hold(1)
    else:
        magento.invoice(1)
        if setup == "complete":
            magento.ship(1)
    before = magento.get_order(1)
    assert client.post(f"{REST}/orders/1/cancel").json() is False
    assert magento.get_order(1) == before


def test_it_cancels_the_rest_of_a_partially_invoiced_order(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 3, "price": 100}])
    item_id = magento.get_order(1)["items"][0]["item_id"]
    magento.invoice(1, [{"order_item_id": item_id, "qty": 1}])
    assert client.post(f"{REST}/orders/1/cancel").json() is True
    order = magento.get_order(1)
    item = order["items"][0]
    assert (item["qty_invoiced"], item["qty_canceled"]) == (1, 2)
    assert order["state"] == "processing"  # 1 invoiced unit still to ship
    magento.ship(1)
    assert magento.get_order(1)["state"] == "complete"


def test_it_cancels_a_shipped_but_uninvoiced_order_without_cancelling_quantities(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.ship(1)
    assert client.post(f"{REST}/orders/1/cancel").json() is True
    order = magento.get_order(1)
    assert (order["state"], order["items"][0]["qty_canceled"]) == ("canceled", 0)


def test_it_holds_and_unholds_with_magento_messages(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.invoice(1)
    assert client.post(f"{REST}/orders/1/hold").json() is True
    held = magento.get_order(1)
    assert (held["state"], held["status"]) == ("holded", "holded")
    assert (held["hold_before_state"], held["hold_before_status"]) == ("processing", "processing")
    again = client.post(f"{REST}/orders/1/hold")
    assert (again.status_code, again.json()) == (
        400,
        {"message": "A hold action is not available."},
    )
    assert client.post(f"{REST}/orders/1/unhold").json() is True
    released = magento.get_order(1)
    assert (released["state"], released["status"]) == ("processing", "processing")
    assert "hold_before_state" not in released
    twice = client.post(f"{REST}/orders/1/unhold")
    assert twice.json() == {"message": "You cannot remove the hold."}


def test_it_creates_held_orders_directly(magento: MagentoSimulator) -> None:
    order = magento.add_order(state="holded")
    assert (order["state"], order["status"], order["hold_before_state"]) == (
        "holded",
        "holded",
        "new",
    )
    magento.unhold(1)
    assert magento.get_order(1)["status"] == "pending"


def test_it_adds_a_state_change_history_row_with_the_knob(magento: MagentoSimulator) -> None:
    magento.state_change_history = True
    magento.add_order()
    magento.invoice(1)
    histories = magento.get_order(1)["status_histories"]
    assert [(h["comment"], h["status"]) for h in histories] == [("", "processing")]


def test_it_lets_tests_control_equal_and_explicit_creation_times(magento: MagentoSimulator) -> None:
    first, second = magento.add_order(), magento.add_order()
    assert first["created_at"] == second["created_at"]
    old = magento.add_order(created_at="2023-12-31 23:59:59")
    assert (old["created_at"], old["updated_at"]) == ("2023-12-31 23:59:59", "2023-12-31 23:59:59")
    magento.advance_clock(3600)
    magento.hold(old["entity_id"])
    assert magento.get_order(old["entity_id"])["updated_at"] == "2024-05-01 11:00:00"
