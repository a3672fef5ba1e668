"""Pushing returns to Omni through the outbox: exact payloads, retries, BAD_DATA, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from channel import outbox
from channel.models import AuditEvent, ErrorClass, Flow, FlowState, Operation, OperationState
from returns import services
from returns.models import ReturnOrder, ReturnState
from returns.services import ItemInput
from simulators.omni import OmniSimulator
from tests.support.returns import at_omni, handed_over, shipped_order

pytestmark = pytest.mark.django_db
RETURN_TIME = datetime(2026, 2, 5, 8, 0, tzinfo=UTC)
REASON = "Size too small"


def create(**kwargs: object) -> ReturnOrder:
    args: dict = {
        "forward_order_code": "000000123",
        "order_type": "CUSTOMER_RETURN",
        "return_order_time": RETURN_TIME,
        "items": [ItemInput("SKU-1", "Size too small", quantity=2)],
        "actor": "test",
    }
    args.update(kwargs)
    return services.return_create(**args).return_order


def send_operation(ret: ReturnOrder) -> Operation:
    return Operation.objects.get(idempotency_key=f"omni.create_return:{ret.return_order_code}")


def run(ret: ReturnOrder) -> str | None:
    """Run the return's operation now (making it due first, as the backoff would)."""
    operation = send_operation(ret)
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=timezone.now())
    return outbox.run_operation(operation.pk)


def test_it_sends_a_customer_return_exactly_as_the_contract_says(
    omni: OmniSimulator,
) -> None:
    at_omni(omni, shipped_order())
    ret = create(return_order_code="R-000000123-1", awb_number="RAWB1", transporter="Delhivery")
    assert run(ret) == OperationState.DONE
    assert omni.returns == {
        "R-000000123-1": {
            "forwardOrderCode": "000000123",
            "returnOrderCode": "R-000000123-1",
            "locationCode": "WH1",
            "returnOrderTime": "2026-02-05T08:00:00.000+00:00",
            "orderType": "CUSTOMER_RETURN",
            "awbNumber": "RAWB1",
            "transporter": "Delhivery",
            "orderItems": [
                {
                    "itemCode": "R-000000123-1-1",
                    "reason": "Size too small",
                    "channelSkuCode": "SKU-1",
                },
                {
                    "itemCode": "R-000000123-1-2",
                    "reason": "Size too small",
                    "channelSkuCode": "SKU-1",
                },
            ],
        }
    }
    request = omni.calls("POST")[0]
    assert request.path == "/assure-magic2/return/return-orders"
    assert (
        request.headers["authUsername"],
        request.headers["authPassword"],
        request.headers["authDomainName"],
    ) == ("omni-user", "omni-password-secret", "tenant")
    ret.refresh_from_db()
    assert (ret.state, ret.last_error, ret.sent_at is not None) == (ReturnState.SENT, "", True)


def test_it_sends_a_self_ship_return_without_awb_as_null(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    ret = create(
        order_type="SELF_SHIP",
        location_code="WH2",
        items=[ItemInput("SKU-2", "Wrong colour", item_code="U-77")],
    )
    run(ret)
    assert omni.returns == {
        "R-000000123-1": {
            "forwardOrderCode": "000000123",
            "returnOrderCode": "R-000000123-1",
            "locationCode": "WH2",
            "returnOrderTime": "2026-02-05T08:00:00.000+00:00",
            "orderType": "SELF_SHIP",
            "awbNumber": None,
            "transporter": None,
            "orderItems": [
                {"itemCode": "U-77", "reason": "Wrong colour", "channelSkuCode": "SKU-2"},
            ],
        }
    }


def test_it_sends_an_rto_with_every_unit_of_the_shipment(omni: OmniSimulator) -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 0), (5502, "SKU-2", 1, 0)])
    at_omni(omni, order)
    shipment = handed_over(order, {"SKU-1": 2, "SKU-2": 1})
    result = services.return_mark_rto(shipment=shipment, actor="sam")
    ReturnOrder.objects.filter(pk=result.return_order.pk).update(return_order_time=RETURN_TIME)
    run(result.return_order)
    assert omni.returns == {
        "RTO-000000123-1": {
            "forwardOrderCode": "000000123",
            "returnOrderCode": "RTO-000000123-1",
            "locationCode": "WH1",
            "returnOrderTime": "2026-02-05T08:00:00.000+00:00",
            "orderType": "RETURN_TO_ORIGIN",
            "awbNumber": "AWB1",
            "transporter": "Delhivery",
            "orderItems": [
                {
                    "itemCode": "RTO-000000123-1-1",
                    "reason": "Return to origin (undelivered)",
                    "channelSkuCode": "SKU-1",
                },
                {
                    "itemCode": "RTO-000000123-1-2",
                    "reason": "Return to origin (undelivered)",
                    "channelSkuCode": "SKU-1",
                },
                {
                    "itemCode": "RTO-000000123-1-3",
                    "reason": "Return to origin (undelivered)",
                    "channelSkuCode": "SKU-2",
                },
            ],
        }
    }


def test_marking_rto_twice_finds_the_same_return() -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 0)])
    shipment = handed_over(order, {"SKU-1": 2})
    first = services.return_mark_rto(shipment=shipment, actor="sam")
    again = services.return_mark_rto(shipment=shipment, actor="sam")
    assert (first.created, again.created) == (True, False)
    assert ReturnOrder.objects.count() == 1


def test_rto_needs_a_handed_over_shipment() -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 0)])
    shipment = handed_over(order, {"SKU-1": 2})
    shipment.state = "packed"
    shipment.save()
    with pytest.raises(services.ReturnError) as info:
        services.return_mark_rto(shipment=shipment, actor="sam")
    assert info.value.message == (
        "Shipment 000000123-1 is packed: only a handed-over shipment can come back as RTO."
    )


def test_it_retries_while_omni_is_down_then_sends_once(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    ret = create()
    omni.inject("POST", "return-orders", "status", times=2, status=503)
    assert run(ret) == OperationState.PENDING
    ret.refresh_from_db()
    assert (ret.state, ret.last_error) == (ReturnState.QUEUED, "Omni answered HTTP 503")
    assert run(ret) == OperationState.PENDING
    assert run(ret) == OperationState.DONE
    ret.refresh_from_db()
    assert (ret.state, ret.last_error) == (ReturnState.SENT, "")
    assert len(omni.calls("POST", "return-orders")) == 3
    assert omni.return_attempts == {"R-000000123-1": 1} and len(omni.returns) == 1


def test_a_retry_after_a_lost_answer_counts_already_exists_as_sent(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    ret = create()
    omni.inject("POST", "return-orders", "timeout_after")
    assert run(ret) == OperationState.PENDING
    assert run(ret) == OperationState.DONE
    ret.refresh_from_db()
    assert ret.state == ReturnState.SENT
    assert send_operation(ret).result == {
        "returnOrderCode": "R-000000123-1",
        "alreadyExisted": True,
    }
    assert omni.return_attempts == {"R-000000123-1": 2} and len(omni.returns) == 1
    event = AuditEvent.objects.get(action="return.sent")
    assert event.message == "Created at Omni (Omni already had it)"


def test_already_exists_on_a_first_attempt_is_a_real_refusal(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    omni.returns["R-000000123-1"] = {"made": "elsewhere"}
    ret = create()
    assert run(ret) == OperationState.FAILED
    ret.refresh_from_db()
    assert ret.state == ReturnState.FAILED
    assert ret.last_error.startswith(
        "BAD_DATA: Return order already exists for returnOrderCode: R-000000123-1"
    )


def test_bad_data_fails_the_return_with_omnis_message(omni: OmniSimulator) -> None:
    shipped_order()  # but never created at Omni
    ret = create()
    assert run(ret) == OperationState.FAILED
    ret.refresh_from_db()
    operation = send_operation(ret)
    message = (
        "BAD_DATA: Forward order not found for orderCode: 000000123: "
        "Forward order not found for orderCode: 000000123"
    )
    assert (ret.state, ret.last_error) == (ReturnState.FAILED, message)
    assert (operation.error_class, operation.last_error) == (ErrorClass.PERMANENT, message)
    event = AuditEvent.objects.get(action="return.failed")
    assert (event.subject, event.order, event.actor) == ("return:R-000000123-1", ret.order, "omni")
    assert event.message == f"Omni refused the return: {message}"
    assert outbox.run_due() == 0  # waits for a person


def test_a_fixed_return_is_replayed_and_sent(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    omni.require_awb = True
    ret = create()
    run(ret)
    ret.refresh_from_db()
    assert (ret.state, ret.last_error) == (
        ReturnState.FAILED,
        "BAD_DATA: Input validation failed: "
        "[awbNumber: may not be null, transporter: may not be null]",
    )
    changes = {"awb_number": "RAWB9", "transporter": "Delhivery"}
    services.return_edit(return_order=ret, actor="sam", changes=changes)
    services.return_replay(return_order=ret, actor="sam")
    ret.refresh_from_db()
    assert (ret.state, ret.last_error) == (ReturnState.QUEUED, "")
    assert run(ret) == OperationState.DONE
    ret.refresh_from_db()
    assert ret.state == ReturnState.SENT
    sent = omni.returns["R-000000123-1"]
    assert (sent["awbNumber"], sent["transporter"]) == ("RAWB9", "Delhivery")
    events = AuditEvent.objects.filter(subject=ret.subject).order_by("pk")
    assert list(events.values_list("action", "actor")) == [
        ("return.created", "test"),
        ("return.queued", "test"),
        ("return.failed", "omni"),
        ("return.edited", "sam"),
        ("return.replayed", "sam"),
        ("return.sent", "system"),
    ]


def test_a_return_refused_for_an_order_omni_lacked_goes_through_after_replay(
    omni: OmniSimulator,
) -> None:
    order = shipped_order()
    ret = create()
    run(ret)
    at_omni(omni, order)  # support pushed the order to Omni
    services.return_replay(return_order=ret, actor="sam")
    assert run(ret) == OperationState.DONE
    assert list(omni.returns) == ["R-000000123-1"]


def test_a_failed_return_is_not_replayed_when_its_units_went_into_another_return(
    omni: OmniSimulator,
) -> None:
    shipped_order()
    ret = create()
    run(ret)
    create(items=[ItemInput("SKU-1", "again", quantity=2)])
    with pytest.raises(services.ReturnConflict) as info:
        services.return_replay(return_order=ret, actor="sam")
    assert info.value.message == (
        "Only 0 unit(s) of SKU-1 can still be returned; return R-000000123-1 has 2."
    )


def test_a_return_at_omni_cannot_be_replayed_or_edited(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    ret = create()
    run(ret)
    with pytest.raises(services.ReturnConflict):
        services.return_replay(return_order=ret, actor="sam")
    with pytest.raises(services.ReturnConflict):
        services.return_edit(return_order=ret, actor="sam", changes={"awb_number": "X"})


def test_omni_refusing_the_credentials_waits_for_configuration(omni: OmniSimulator) -> None:
    at_omni(omni, shipped_order())
    ret = create()
    omni.inject("POST", "return-orders", "status", status=401)
    assert run(ret) == OperationState.FAILED
    ret.refresh_from_db()
    assert send_operation(ret).error_class == ErrorClass.NEEDS_CONFIG
    assert ret.state == ReturnState.QUEUED and "credentials" in ret.last_error
    services.return_replay(return_order=ret, actor="sam")
    assert run(ret) == OperationState.DONE


def test_the_returns_flow_can_be_paused(omni: OmniSimulator) -> None:
    FlowState.objects.create(flow=Flow.RETURNS, paused=True)
    at_omni(omni, shipped_order())
    ret = create()
    assert outbox.run_due() == 0
    FlowState.objects.filter(flow=Flow.RETURNS).update(paused=False)
    Operation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox.run_due()
    ret.refresh_from_db()
    assert ret.state == ReturnState.SENT
