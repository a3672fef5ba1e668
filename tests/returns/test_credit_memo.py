"""Optional (RETURNS_CREDIT_MEMO): an offline Magento credit memo for units that passed QC."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from channel import outbox
from channel.models import AuditEvent, CreditMemo, Operation, OperationState, Order
from channel.services.orders import order_upsert
from returns import services
from returns.handlers import refund_return
from returns.models import ReturnItem
from returns.services import ItemInput, QcInput
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(magento: MagentoSimulator, settings: pytest.FixtureRequest) -> Order:
    """Two units of SKU-1 invoiced and shipped in Magento; one return of both, at Omni."""
    settings.RETURNS_CREDIT_MEMO = True
    raw = magento.add_order([{"sku": "SKU-1", "qty": 2, "price": 1180}], state="processing")
    magento.invoice(raw["entity_id"])
    magento.ship(raw["entity_id"])
    mirrored = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    mirrored.location_code = "WH1"
    mirrored.save()
    ret = services.return_create(
        forward_order_code=mirrored.order_code,
        return_order_code="R-1",
        order_type="CUSTOMER_RETURN",
        items=[ItemInput("SKU-1", "Too small", quantity=2)],
        actor="test",
    ).return_order
    services.return_mark_sent(return_order_code=ret.return_order_code)
    return mirrored


def pass_qc(*codes: str) -> Operation:
    services.return_record_qc(
        return_order_code="R-1", items=[QcInput(code, "PASS") for code in codes]
    )
    return Operation.objects.get(kind="magento.refund_return")


def run(operation: Operation) -> str | None:
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=timezone.now())
    return outbox.run_operation(operation.pk)


def test_it_refunds_the_passed_units_offline_without_shipping(
    magento: MagentoSimulator, order: Order
) -> None:
    operation = pass_qc("R-1-1")
    assert run(operation) == OperationState.DONE
    (memo,) = magento.creditmemos.values()
    line = order.lines.get()
    refund = magento.calls("POST", "/refund$")[0].json
    assert refund == {
        "items": [{"order_item_id": line.magento_item_id, "qty": 1}],
        "notify": False,
        "appendComment": True,
        "comment": {
            "comment": f"Proxy refund {CreditMemo.objects.get().intent_key}",
            "is_visible_on_front": 0,
        },
        "arguments": {
            "shipping_amount": 0,
            "adjustment_positive": 0,
            "adjustment_negative": 0,
            "extension_attributes": {"return_to_stock_items": []},
        },
    }
    assert ReturnItem.objects.get(item_code="R-1-1").magento_creditmemo_id == memo["entity_id"]
    assert ReturnItem.objects.get(item_code="R-1-2").magento_creditmemo_id is None
    assert AuditEvent.objects.filter(action="return.refunded", subject="return:R-1").exists()


def test_it_reads_magento_back_before_a_retry_and_never_refunds_twice(
    magento: MagentoSimulator, order: Order
) -> None:
    operation = pass_qc("R-1-1", "R-1-2")
    magento.inject("POST", "/refund$", "timeout_after")
    assert run(operation) == OperationState.PENDING
    assert run(operation) == OperationState.DONE
    assert len(magento.creditmemos) == 1
    assert len(magento.calls("POST", "/refund$")) == 1
    operation.refresh_from_db()
    (memo_id,) = magento.creditmemos
    assert operation.result == {"creditmemoId": memo_id, "readBack": True}
    assert set(ReturnItem.objects.values_list("magento_creditmemo_id", flat=True)) == {memo_id}


def test_no_credit_memo_for_failed_units(magento: MagentoSimulator, order: Order) -> None:
    services.return_record_qc(
        return_order_code="R-1", items=[QcInput("R-1-1", "FAIL", qc_reason="DAMAGED")]
    )
    assert not Operation.objects.filter(kind="magento.refund_return").exists()


def test_a_prepaid_return_is_refunded_online_and_the_amount_shows_in_admin(
    magento: MagentoSimulator, settings: pytest.FixtureRequest, admin_client: Client
) -> None:
    settings.RETURNS_CREDIT_MEMO = True
    magento.prepaid_methods = {"razorpay"}
    raw = magento.add_order([{"sku": "SKU-1", "qty": 2, "price": 1180}], payment_method="razorpay")
    magento.ship(raw["entity_id"])
    mirrored = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    mirrored.location_code = "WH1"
    mirrored.save()
    ret = services.return_create(
        forward_order_code=mirrored.order_code,
        return_order_code="R-9",
        order_type="CUSTOMER_RETURN",
        items=[ItemInput("SKU-1", "Too small", quantity=1)],
        actor="test",
    ).return_order
    services.return_mark_sent(return_order_code="R-9")
    services.return_record_qc(return_order_code="R-9", items=[QcInput("R-9-1", "PASS")])
    operation = Operation.objects.get(kind="magento.refund_return")
    assert run(operation) == OperationState.DONE
    (memo,) = magento.creditmemos.values()
    assert memo["transaction_id"] and memo["grand_total"] == 1180
    assert magento.calls("POST", r"/invoice/\d+/refund$")
    stored = CreditMemo.objects.get()
    assert (stored.online, stored.grand_total) == (True, Decimal("1180.00"))
    page = admin_client.get(f"/admin/returns/returnorder/{ret.pk}/change/")
    assert "1180.00 online (Magento credit memo 000000001)" in page.content.decode()


def test_a_return_of_25_lines_is_refunded_in_parts_of_at_most_20_never_twice(
    magento: MagentoSimulator, settings: pytest.FixtureRequest
) -> None:
    """Magento's REST input limit (8.6): one credit memo per part, each read back first."""
    settings.RETURNS_CREDIT_MEMO = True
    magento.input_limiting = True
    lines = [{"sku": f"L-{n:02d}", "qty": 1, "price": 100} for n in range(25)]
    raw = magento.add_order(lines, state="processing")
    magento.invoice(raw["entity_id"])
    magento.ship(raw["entity_id"])
    mirrored = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    mirrored.location_code = "WH1"
    mirrored.save()
    services.return_create(
        forward_order_code=mirrored.order_code,
        return_order_code="R-1",
        order_type="CUSTOMER_RETURN",
        items=[ItemInput(line["sku"], "Too small", quantity=1) for line in lines],
        actor="test",
    )
    services.return_mark_sent(return_order_code="R-1")
    codes = list(ReturnItem.objects.values_list("item_code", flat=True))
    operation = pass_qc(*codes)
    magento.inject("POST", "/refund$", "timeout_after", times=1)
    assert run(operation) != OperationState.DONE  # part 1 applied, its answer lost
    assert len(magento.creditmemos_for(mirrored.entity_id)) == 1
    assert run(operation) == OperationState.DONE
    memos = magento.creditmemos_for(mirrored.entity_id)
    assert len(memos) == 2
    assert max(len(m["items"]) for m in memos) == 20
    assert sorted(int(i["order_item_id"]) for m in memos for i in m["items"]) == sorted(
        line.magento_item_id for line in mirrored.lines.all()
    )
    assert all(len(r.json["items"]) <= 20 for r in magento.calls("POST", "/refund$"))
    assert set(ReturnItem.objects.values_list("magento_creditmemo_id", flat=True)) == {
        m["entity_id"] for m in memos
    }
    again = refund_return(Operation.objects.get(pk=operation.pk))  # a repeat makes nothing more
    assert again["creditmemoIds"] == [m["entity_id"] for m in memos]
    assert len(magento.creditmemos_for(mirrored.entity_id)) == 2
