"""The fake Increff Omni: auth, mandatory fields, duplicates, cancellations, returns."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from simulators.omni import OmniSimulator
from tests.support.simulators import OMNI

T0 = "2026-01-31T09:15:00.000+00:00"


def outward(code: str = "000000123", **changes: Any) -> dict[str, Any]:
    address = {
        "name": "Asha Rao",
        "line1": "No. 12",
        "line2": "Indiranagar",
        "line3": "",
        "city": "Bengaluru",
        "state": "Karnataka",
        "zip": "560038",
        "country": "IN",
        "email": "asha@example.com",
        "phone": "9845012345",
    }
    body: dict[str, Any] = {
        "orderCode": code,
        "orderTime": T0,
        "orderType": "SO",
        "locationCode": None,
        "isSplitRequired": True,
        "onHold": False,
        "qcStatus": "PASS",
        "isPriority": False,
        "gift": False,
        "dispatchByTime": "2026-02-02T09:15:00.000+00:00",
        "startProcessingTime": T0,
        "paymentMethod": "COD",
        "shippingAddress": address,
        "billingAddress": address,
        "orderItems": [
            {
                "channelSkuCode": "SKU-1",
                "orderItemCode": "5501",
                "quantity": 2,
                "sellingPricePerUnit": 1180.0,
                "channelDiscountPerUnit": 100.0,
                "shippingChargePerUnit": 0.0,
            },
            {
                "channelSkuCode": "SKU-2",
                "orderItemCode": "5502",
                "quantity": 1,
                "sellingPricePerUnit": 590.0,
            },
        ],
        "orderCustomAttributes": {"currency": "INR", "channelMetadata": {"entityId": 123}},
    }
    return body | changes


def return_order(code: str = "R-1", **changes: Any) -> dict[str, Any]:
    body = {
        "forwardOrderCode": "000000123",
        "returnOrderCode": code,
        "locationCode": "WH1",
        "returnOrderTime": T0,
        "orderType": "CUSTOMER_RETURN",
        "awbNumber": "RAWB1",
        "transporter": "Delhivery",
        "orderItems": [
            {"itemCode": f"{code}-1", "reason": "Size too small", "channelSkuCode": "SKU-1"}
        ],
    }
    return body | changes


def _create(client: requests.Session, body: dict[str, Any]) -> requests.Response:
    return client.post(f"{OMNI}/orders/outward", json=body)


def _cancel(client: requests.Session, code: str, qty: int, item: str = "5501") -> requests.Response:
    items = [
        {
            "channelSkuCode": "SKU-1" if item == "5501" else "SKU-2",
            "orderItemCode": item,
            "cancelledQuantity": qty,
        }
    ]
    return client.put(
        f"{OMNI}/orders/{code}/cancel", json={"locationCode": None, "orderItems": items}
    )


def test_it_creates_an_outward_order_with_an_empty_200(
    omni: OmniSimulator, omni_client: requests.Session
) -> None:
    response = _create(omni_client, outward())
    assert (response.status_code, response.content) == (200, b"")
    assert omni.orders["000000123"]["orderItems"][0]["quantity"] == 2
    assert omni.order_props["000000123"]["onHold"] is False


def test_it_lists_every_missing_mandatory_field(
    omni: OmniSimulator, omni_client: requests.Session
) -> None:
    body = outward()
    del body["orderTime"], body["paymentMethod"]
    response = _create(omni_client, body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "BAD_DATA",
        "message": "Input validation failed",
        "description": "[orderTime: may not be null, paymentMethod: may not be null]",
    }
    assert omni.orders == {}


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"channelSkuCode": None}, "[channelSkuCode: may not be null]"),
        ({"quantity": 1.5}, "[quantity: must be an integer]"),
        ({"quantity": 0}, "[quantity: must be greater than or equal to 1]"),
        ({"sellingPricePerUnit": None}, "[sellingPricePerUnit: may not be null]"),
    ],
)
def test_it_validates_order_items(
    omni_client: requests.Session, change: dict[str, Any], description: str
) -> None:
    body = outward()
    body["orderItems"][0] |= change
    assert _create(omni_client, body).json()["description"] == description


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"isSplitRequired": False}, "[locationCode: may not be null]"),
        ({"paymentMethod": "PREPAID"}, "[paymentMethod: must be one of [COD, NCOD]]"),
        ({"orderTime": "31/01/2026 09:15"}, "[orderTime: invalid date format '31/01/2026 09:15']"),
        ({"orderItems": []}, "[orderItems: may not be empty]"),
        ({"parentOrderCode": "x" * 256}, "[parentOrderCode: size must be between 0 and 255]"),
    ],
)
def test_it_validates_order_fields(
    omni_client: requests.Session, changes: dict[str, Any], description: str
) -> None:
    response = _create(omni_client, outward(**changes))
    assert (response.status_code, response.json()["description"]) == (400, description)


def test_it_checks_the_auth_headers(omni: OmniSimulator, omni_client: requests.Session) -> None:
    for header, value in (("authPassword", "wrong"), ("authDomainName", "other")):
        response = omni_client.post(
            f"{OMNI}/orders/outward", json=outward(), headers={header: value}
        )
        assert response.status_code == 401
    bare = requests.Session()
    bare.mount(OMNI, omni_client.get_adapter(OMNI))
    assert bare.post(f"{OMNI}/orders/outward", json=outward()).status_code == 401
    lower = {
        "authusername": "omni-user",
        "authpassword": "omni-pass",
        "authdomainname": "omni-domain",
    }
    assert bare.post(f"{OMNI}/orders/outward", json=outward(), headers=lower).status_code == 200
    assert omni.create_attempts["000000123"] == 1


def test_it_keeps_exactly_one_order_when_a_create_is_repeated(
    omni: OmniSimulator, omni_client: requests.Session
) -> None:
    omni.inject("POST", "/orders/outward", "timeout_after")
    with pytest.raises(requests.exceptions.ReadTimeout):
        _create(omni_client, outward())
    again = _create(omni_client, outward(onHold=True))
    assert (again.status_code, again.content) == (200, b"")  # Omni: duplicate -> success, no action
    assert list(omni.orders) == ["000000123"] and omni.orders["000000123"]["onHold"] is False
    assert (omni.create_attempts["000000123"], omni.duplicate_attempts("000000123")) == (2, 1)
    omni.duplicate_order_response = "bad_data"
    refused = _create(omni_client, outward())
    assert refused.status_code == 400 and refused.json()["code"] == "BAD_DATA"
    assert "already exists" in refused.json()["description"]


def test_it_records_absolute_cancelled_quantities(
    omni: OmniSimulator, omni_client: requests.Session
) -> None:
    _create(omni_client, outward())
    assert _cancel(omni_client, "000000123", 1).status_code == 200
    assert _cancel(omni_client, "000000123", 1).status_code == 200
    assert _cancel(omni_client, "000000123", 1, item="5502").status_code == 200
    assert omni.cancellations["000000123"] == {"5501": 1, "5502": 1}
    assert len(omni.cancel_requests["000000123"]) == 3
    too_many = _cancel(omni_client, "000000123", 3)
    assert (
        too_many.status_code == 400
        and "more than the ordered quantity" in too_many.json()["message"]
    )
    assert (
        _cancel(omni_client, "UNKNOWN", 1).json()["message"]
        == "Order not found for orderCode: UNKNOWN"
    )
    omni.mark_invoiced("000000123")
    assert _cancel(omni_client, "000000123", 2).status_code == 400
    missing = omni_client.put(
        f"{OMNI}/orders/000000123/cancel", json={"orderItems": [{"orderItemCode": "5501"}]}
    )
    assert missing.json()["description"] == (
        "[channelSkuCode: may not be null, cancelledQuantity: may not be null]"
    )


def test_it_updates_order_properties(omni: OmniSimulator, omni_client: requests.Session) -> None:
    _create(omni_client, outward())
    body = {"onHold": True, "dispatchByTime": T0, "startProcessingTime": T0, "locationCode": None}
    assert omni_client.put(f"{OMNI}/orders/000000123", json=body).status_code == 200
    assert omni.order_props["000000123"]["onHold"] is True
    assert omni_client.put(f"{OMNI}/orders/000000123", json=body | {"onHold": False}).ok
    assert [u["onHold"] for u in omni.updates["000000123"]] == [True, False]
    missing = omni_client.put(f"{OMNI}/orders/000000123", json={"onHold": True})
    assert missing.json()["description"] == (
        "[dispatchByTime: may not be null, startProcessingTime: may not be null]"
    )
    delivered = omni_client.put(
        f"{OMNI}/orders/000000123", json=body | {"orderStatus": "DELIVERED"}
    )
    assert delivered.json()["description"] == "[deliveredAt: may not be null]"
    omni.hold_via_update_allowed = False
    assert omni_client.put(f"{OMNI}/orders/000000123", json=body).status_code == 400
    assert omni_client.put(f"{OMNI}/orders/nope", json=body).status_code == 400


def test_it_creates_return_orders_once(omni: OmniSimulator, omni_client: requests.Session) -> None:
    url = f"{OMNI}/return/return-orders"
    unknown_forward = omni_client.post(url, json=return_order())
    assert unknown_forward.status_code == 400
    _create(omni_client, outward())
    assert (omni_client.post(url, json=return_order()).status_code, list(omni.returns)) == (
        200,
        ["R-1"],
    )
    duplicate = omni_client.post(url, json=return_order())
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "BAD_DATA")
    assert omni.return_attempts["R-1"] == 3 and len(omni.returns) == 1
    no_type = omni_client.post(url, json=return_order("R-2", orderType=None, locationCode=None))
    assert (
        no_type.json()["description"]
        == "[locationCode: may not be null, orderType: may not be null]"
    )
    wrong_sku = return_order("R-3")
    wrong_sku["orderItems"][0]["channelSkuCode"] = "SKU-9"
    assert "not part of order" in omni_client.post(url, json=wrong_sku).json()["message"]
    item = return_order("R-4")["orderItems"][0]
    twice = omni_client.post(url, json=return_order("R-4", orderItems=[item, item]))
    assert twice.json()["description"] == "[itemCode: duplicate value R-4-1]"


def test_it_uses_a_configurable_prefix_and_return_path() -> None:
    omni = OmniSimulator(path_prefix="/assure-magic2", return_path="/return-orders")
    session = requests.Session()
    from simulators.base import SimulatorAdapter

    session.mount(OMNI, SimulatorAdapter(omni))
    session.headers.update(omni.headers())
    assert session.post(f"{OMNI}/assure-magic2/orders/outward", json=outward()).status_code == 200
    assert (
        session.post(f"{OMNI}/assure-magic2/return-orders", json=return_order()).status_code == 200
    )
    assert session.post(f"{OMNI}/orders/outward", json=outward()).status_code == 404
