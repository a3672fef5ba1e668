"""POST /api/returns/ and GET /api/returns/{returnOrderCode} (contract section 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from channel import outbox
from channel.models import CallRecord, Operation
from returns.models import ReturnOrder
from simulators.omni import OmniSimulator
from tests.support.returns import at_omni, shipped_order

pytestmark = pytest.mark.django_db

BODY = {
    "forwardOrderCode": "000000123",
    "returnOrderCode": "R-000000123-1",
    "orderType": "CUSTOMER_RETURN",
    "awbNumber": "RAWB1",
    "transporter": "Delhivery",
    "returnOrderTime": "2026-02-05T13:30:00+05:30",
    "orderItems": [{"channelSkuCode": "SKU-1", "quantity": 2, "reason": "Size too small"}],
}


def post(client: APIClient, body: dict[str, Any]) -> Any:
    return client.post("/api/returns/", body, format="json")


def without_created_at(body: dict[str, Any]) -> dict[str, Any]:
    assert body["createdAt"].endswith("+00:00")
    return {k: v for k, v in body.items() if k != "createdAt"}


def test_it_creates_a_return_and_answers_201_with_it(returns_api: APIClient) -> None:
    order = shipped_order()
    response = post(returns_api, BODY)
    assert response.status_code == 201
    assert without_created_at(response.json()) == {
        "returnOrderCode": "R-000000123-1",
        "forwardOrderCode": "000000123",
        "locationCode": "WH1",
        "orderType": "CUSTOMER_RETURN",
        "state": "queued",
        "awbNumber": "RAWB1",
        "transporter": "Delhivery",
        "returnOrderTime": "2026-02-05T08:00:00.000+00:00",
        "lastError": None,
        "orderItems": [
            {
                "itemCode": "R-000000123-1-1",
                "channelSkuCode": "SKU-1",
                "reason": "Size too small",
                "qcStatus": None,
                "qcReason": None,
                "imageUrls": [],
            },
            {
                "itemCode": "R-000000123-1-2",
                "channelSkuCode": "SKU-1",
                "reason": "Size too small",
                "qcStatus": None,
                "qcReason": None,
                "imageUrls": [],
            },
        ],
    }
    assert Operation.objects.filter(kind="omni.create_return").count() == 1
    call = CallRecord.objects.get(path="/api/returns/")
    assert (call.system, call.status, call.order) == ("returns", 201, order)


def test_it_accepts_one_item_per_unit(returns_api: APIClient) -> None:
    shipped_order()
    body = {
        **BODY,
        "orderItems": [
            {"itemCode": "U1", "channelSkuCode": "SKU-1", "reason": "Damaged"},
            {"itemCode": "U2", "channelSkuCode": "SKU-2", "reason": "Late", "extra": "ignored"},
        ],
    }
    response = post(returns_api, body)
    assert response.status_code == 201
    assert [i["itemCode"] for i in response.json()["orderItems"]] == ["U1", "U2"]


def test_a_repeat_answers_200_with_the_return_as_it_is_now(returns_api: APIClient) -> None:
    shipped_order()
    first = post(returns_api, BODY)
    ReturnOrder.objects.update(state="sent")
    again = post(returns_api, BODY)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "state": "sent"}
    assert ReturnOrder.objects.count() == 1
    assert Operation.objects.filter(kind="omni.create_return").count() == 1


def test_the_same_code_with_another_body_is_409(returns_api: APIClient) -> None:
    shipped_order()
    post(returns_api, BODY)
    response = post(returns_api, {**BODY, "awbNumber": "OTHER"})
    assert (response.status_code, response.json()) == (
        409,
        {
            "hasError": True,
            "errorMessage": "Return R-000000123-1 already exists with different content.",
        },
    )


def test_it_generates_the_return_code_when_none_is_given(returns_api: APIClient) -> None:
    shipped_order()
    body = {k: v for k, v in BODY.items() if k != "returnOrderCode"}
    assert post(returns_api, body).json()["returnOrderCode"] == "R-000000123-1"
    body["orderItems"] = [{"channelSkuCode": "SKU-2", "reason": "x"}]
    assert post(returns_api, body).json()["returnOrderCode"] == "R-000000123-2"


@pytest.mark.parametrize(
    ("change", "status", "message", "errors"),
    [
        (
            {"orderType": "EXCHANGE"},
            400,
            "Invalid return: orderType: Must be one of SELF_SHIP, CUSTOMER_RETURN, "
            "RETURN_TO_ORIGIN, not 'EXCHANGE'.",
            {
                "orderType": [
                    "Must be one of SELF_SHIP, CUSTOMER_RETURN, RETURN_TO_ORIGIN, not 'EXCHANGE'."
                ]
            },
        ),
        (
            {"forwardOrderCode": None},
            400,
            "Invalid request: forwardOrderCode: This field may not be null.",
            {"forwardOrderCode": ["This field may not be null."]},
        ),
        (
            {"orderItems": [{"channelSkuCode": "SKU-1"}]},
            400,
            "Invalid request: orderItems[0].reason: This field is required.",
            {"orderItems[0].reason": ["This field is required."]},
        ),
        (
            {"orderItems": [{"channelSkuCode": "SKU-1", "reason": "x", "quantity": "two"}]},
            400,
            "Invalid request: orderItems[0].quantity: A valid integer is required.",
            {"orderItems[0].quantity": ["A valid integer is required."]},
        ),
        (
            {"orderItems": [{"channelSkuCode": "SKU-1", "reason": "x", "quantity": 3}]},
            400,
            "Invalid return: orderItems[0].quantity: 3 unit(s) of SKU-1 asked but only 2 can be "
            "returned (2 shipped, 0 already in other returns).",
            {
                "orderItems[0].quantity": [
                    "3 unit(s) of SKU-1 asked but only 2 can be returned "
                    "(2 shipped, 0 already in other returns)."
                ]
            },
        ),
        (
            {"orderItems": [{"channelSkuCode": "SKU-9", "reason": "x"}]},
            400,
            "Invalid return: orderItems[0].channelSkuCode: SKU-9 is not in order 000000123.",
            {"orderItems[0].channelSkuCode": ["SKU-9 is not in order 000000123."]},
        ),
        (
            {"returnOrderCode": "R" * 256},
            400,
            "Invalid return: returnOrderCode: At most 255 characters (256 given).",
            {"returnOrderCode": ["At most 255 characters (256 given)."]},
        ),
        (
            {"forwardOrderCode": "000000999"},
            404,
            "Order 000000999 is unknown.",
            None,
        ),
    ],
)
def test_it_refuses_bad_requests_with_a_readable_message(
    returns_api: APIClient,
    change: dict,
    status: int,
    message: str,
    errors: dict | None,
) -> None:
    shipped_order()
    response = post(returns_api, {**BODY, **change})
    expected: dict[str, Any] = {"hasError": True, "errorMessage": message}
    if errors:
        expected["errors"] = errors
    assert (response.status_code, response.json()) == (status, expected)
    assert ReturnOrder.objects.count() == 0


def test_it_answers_400_for_a_body_that_is_not_json(returns_api: APIClient) -> None:
    response = returns_api.post("/api/returns/", "{", content_type="application/json")
    assert response.status_code == 400 and response.json()["hasError"] is True


def test_it_reads_a_return(returns_api: APIClient) -> None:
    shipped_order()
    created = post(returns_api, BODY).json()
    response = returns_api.get("/api/returns/R-000000123-1")
    assert (response.status_code, response.json()) == (200, created)


def test_it_answers_404_for_an_unknown_return(returns_api: APIClient) -> None:
    response = returns_api.get("/api/returns/R-NOPE")
    assert (response.status_code, response.json()) == (
        404,
        {"hasError": True, "errorMessage": "Return R-NOPE is unknown."},
    )


def test_it_answers_404_for_a_return_code_with_a_nul(returns_api: APIClient) -> None:
    """Found by fuzzing: PostgreSQL refused to compare the code, and the call answered 500."""
    response = returns_api.get("/api/returns/R-1%00")
    assert (response.status_code, response.json()) == (
        404,
        {"hasError": True, "errorMessage": "Return R-1\x00 is unknown."},
    )


def test_it_refuses_more_units_than_a_return_may_have(returns_api: APIClient) -> None:
    """A billion units were expanded one by one before any check: the memory ran out."""
    shipped_order()
    items = [{"channelSkuCode": "SKU-1", "quantity": 10**9, "reason": "Too many"}]
    response = post(returns_api, {**BODY, "orderItems": items})
    assert (response.status_code, response.json()) == (
        400,
        {
            "hasError": True,
            "errorMessage": "Invalid return: orderItems: At most 10000 units per return "
            "(1000000000 given).",
            "errors": {"orderItems": ["At most 10000 units per return (1000000000 given)."]},
        },
    )
    assert ReturnOrder.objects.count() == 0


def test_the_returns_api_needs_a_key_of_the_returns_scope(api: APIClient) -> None:
    shipped_order()
    assert post(api, BODY).status_code == 403
    assert api.get("/api/returns/R-1").status_code == 403
    assert APIClient().get("/api/returns/R-1").status_code == 401


def test_a_returns_key_cannot_call_omnis_endpoints(returns_api: APIClient) -> None:
    response = returns_api.put("/api/omni/returns/qc", {}, format="json")
    assert response.status_code == 403
    assert json.loads(response.content)["hasError"] is True


def test_end_to_end_api_to_omni_and_back(
    returns_api: APIClient, api: APIClient, omni: OmniSimulator
) -> None:
    at_omni(omni, shipped_order())
    assert post(returns_api, BODY).status_code == 201
    assert outbox.run_due() == 1
    assert returns_api.get("/api/returns/R-000000123-1").json()["state"] == "sent"
    assert list(omni.returns) == ["R-000000123-1"]
    items = [{"itemCode": f"R-000000123-1-{n}", "qcStatus": "PASS"} for n in (1, 2)]
    qc = {"returnOrderCode": "R-000000123-1", "orderItems": items}
    assert api.put("/api/omni/returns/qc", qc, format="json").status_code == 200
    body = returns_api.get("/api/returns/R-000000123-1").json()
    assert (body["state"], [i["qcStatus"] for i in body["orderItems"]]) == (
        "qc_passed",
        ["PASS", "PASS"],
    )
