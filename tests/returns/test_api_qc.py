"""PUT /api/omni/returns/qc: Omni's Return Order Acknowledgement (QC result per unit)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from channel.models import AuditEvent, CallRecord, Operation
from returns import services
from returns.models import ReturnItem, ReturnOrder, ReturnState
from returns.services import ItemInput
from tests.support.returns import shipped_order

pytestmark = pytest.mark.django_db
URL = "/api/omni/returns/qc"


@pytest.fixture
def sent_return() -> ReturnOrder:
    shipped_order()
    ret = services.return_create(
        forward_order_code="000000123",
        order_type="CUSTOMER_RETURN",
        items=[ItemInput("SKU-1", "Size too small", quantity=2)],
        actor="test",
    ).return_order
    services.return_mark_sent(return_order_code=ret.return_order_code)
    return ret


def qc(*items: dict[str, Any], code: str = "R-000000123-1", **extra: Any) -> dict[str, Any]:
    return {
        "returnOrderCode": code,
        "forwardOrderCode": "000000123",
        "locationCode": "WH1",
        "orderItems": list(items),
        **extra,
    }


PASS_1 = {"itemCode": "R-000000123-1-1", "channelSkuCode": "SKU-1", "qcStatus": "PASS"}
FAIL_2 = {
    "itemCode": "R-000000123-1-2",
    "channelSkuCode": "SKU-1",
    "qcStatus": "FAIL",
    "qcReason": "DAMAGED",
    "imageUrls": ["https://increff.com/img.jpg"],
}


def put(api: APIClient, body: dict[str, Any]) -> Any:
    return api.put(URL, body, format="json")


def states(ret: ReturnOrder) -> list[tuple]:
    return list(ret.items.values_list("item_code", "qc_status", "qc_reason", "image_urls"))


def test_it_stores_qc_per_unit_and_answers_200_with_an_empty_body(
    api: APIClient, sent_return: ReturnOrder
) -> None:
    response = put(api, qc(PASS_1, FAIL_2))
    assert (response.status_code, response.content) == (200, b"")
    assert states(sent_return) == [
        ("R-000000123-1-1", "PASS", "", []),
        ("R-000000123-1-2", "FAIL", "DAMAGED", ["https://increff.com/img.jpg"]),
    ]
    sent_return.refresh_from_db()
    assert sent_return.state == ReturnState.QC_FAILED
    event = AuditEvent.objects.get(action="return.qc")
    assert event.message == "QC: R-000000123-1-1 PASS, R-000000123-1-2 FAIL (DAMAGED)"
    assert CallRecord.objects.get(path=URL).order == sent_return.order


def test_a_partly_checked_return_is_received_then_passed(
    api: APIClient, sent_return: ReturnOrder
) -> None:
    put(api, qc(PASS_1))
    sent_return.refresh_from_db()
    assert sent_return.state == ReturnState.RECEIVED
    put(api, qc({**PASS_1, "itemCode": "R-000000123-1-2"}))
    sent_return.refresh_from_db()
    assert sent_return.state == ReturnState.QC_PASSED


def test_the_returns_api_shows_the_qc(
    api: APIClient, returns_api: APIClient, sent_return: ReturnOrder
) -> None:
    put(api, qc(FAIL_2))
    body = returns_api.get("/api/returns/R-000000123-1").json()
    assert body["state"] == "received"
    assert body["orderItems"][1] == {
        "itemCode": "R-000000123-1-2",
        "channelSkuCode": "SKU-1",
        "reason": "Size too small",
        "qcStatus": "FAIL",
        "qcReason": "DAMAGED",
        "imageUrls": ["https://increff.com/img.jpg"],
    }


def test_a_repeat_is_harmless(api: APIClient, sent_return: ReturnOrder) -> None:
    first = put(api, qc(PASS_1, FAIL_2))
    again = put(api, qc(PASS_1, FAIL_2))
    assert (first.status_code, again.status_code, again.content) == (200, 200, b"")
    assert AuditEvent.objects.filter(action="return.qc").count() == 1
    assert ReturnItem.objects.filter(qc_status="").count() == 0


def test_a_different_result_for_a_checked_unit_is_409(
    api: APIClient, sent_return: ReturnOrder
) -> None:
    put(api, qc(FAIL_2))
    response = put(api, qc({**FAIL_2, "qcStatus": "PASS"}))
    assert (response.status_code, response.json()) == (
        409,
        {
            "hasError": True,
            "errorMessage": "itemCode R-000000123-1-2 already has QC FAIL (DAMAGED); "
            "a different result was sent.",
        },
    )


def test_an_unknown_return_is_404(api: APIClient, sent_return: ReturnOrder) -> None:
    response = put(api, qc(PASS_1, code="R-NOPE"))
    assert (response.status_code, response.json()) == (
        404,
        {"hasError": True, "errorMessage": "Return R-NOPE is unknown."},
    )


def test_an_unknown_item_is_404_and_nothing_is_stored(
    api: APIClient, sent_return: ReturnOrder
) -> None:
    response = put(api, qc(PASS_1, {**PASS_1, "itemCode": "R-000000123-1-9"}))
    assert (response.status_code, response.json()) == (
        404,
        {
            "hasError": True,
            "errorMessage": "Return R-000000123-1 has no itemCode R-000000123-1-9.",
        },
    )
    assert ReturnItem.objects.exclude(qc_status="").count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            qc({**PASS_1, "qcStatus": "OK"}),
            "qcStatus of R-000000123-1-1 must be PASS or FAIL, not 'OK'.",
        ),
        (
            qc({**PASS_1, "channelSkuCode": "SKU-2"}),
            "itemCode R-000000123-1-1 is SKU-1, not SKU-2.",
        ),
        (
            qc(PASS_1, forwardOrderCode="000000999"),
            "Return R-000000123-1 belongs to order 000000123, not 000000999.",
        ),
        (qc(), "orderItems must list at least one item."),
        (
            {"orderItems": [PASS_1]},
            "Invalid request: returnOrderCode: This field is required.",
        ),
        (
            qc({"channelSkuCode": "SKU-1", "qcStatus": "PASS"}),
            "Invalid request: orderItems[0].itemCode: This field is required.",
        ),
    ],
)
def test_it_refuses_malformed_qc(
    api: APIClient, sent_return: ReturnOrder, body: dict, message: str
) -> None:
    response = put(api, body)
    assert response.status_code == 400
    assert response.json()["errorMessage"] == message


def test_it_cuts_a_long_qc_reason(api: APIClient, sent_return: ReturnOrder) -> None:
    put(api, qc({**FAIL_2, "qcReason": "x" * 300}))
    assert ReturnItem.objects.get(item_code="R-000000123-1-2").qc_reason == "x" * 255


def test_no_credit_memo_by_default(api: APIClient, sent_return: ReturnOrder) -> None:
    put(api, qc(PASS_1))
    assert not Operation.objects.filter(kind="magento.refund_return").exists()
