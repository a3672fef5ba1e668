"""Issue 19's support desk: readable records, buttons on a record's own page, list links, the
order's related records inline, one timeline with expected refusals marked, one time format."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from channel.models import (
    CallRecord,
    Document,
    ErrorClass,
    Invoice,
    Operation,
    OperationState,
    Order,
)
from channel.services.timeline import expected_refusal, order_timeline
from tests.support.shipping import make_shipment, mirror_order


def _failed_operation(order: Order) -> Operation:
    return Operation.objects.create(
        kind="omni.push_order",
        order=order,
        target=f"order:{order.order_code}",
        idempotency_key=f"test:{order.pk}",
        state=OperationState.FAILED,
        error_class=ErrorClass.PERMANENT,
        attempts=3,
        last_error="Omni refused: " + "x" * 200,
        payload={"orderCode": order.order_code, "lines": [{"sku": "SKU-1"}]},
    )


@pytest.fixture
def order(db: None) -> Order:
    order = mirror_order(100)
    shipment = make_shipment(order, pack_request={"shipmentItems": [{"sku": "SKU-1"}]})
    Invoice.objects.create(order=order, shipment=shipment, invoice_number="INV-100-1")
    Document.objects.create(
        kind="label", key=f"{shipment.shipment_code}", order=order, content=b"%PDF", size=4
    )
    return order


def test_order_page_shows_addresses_as_addresses_and_json_indented(
    support: Client, order: Order
) -> None:
    page = support.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert '<address class="proxy-address">Asha Rao<br>12 MG Road<br>Indiranagar<br>' in page
    assert "560038 Bengaluru" in page
    assert '<details class="proxy-json"' in page
    assert "\n  &quot;entity_id&quot;: 100,\n" in page  # indented, real line breaks
    assert "\\n" not in page.split('class="proxy-json"')[1][:2000]


def test_order_page_lists_its_shipments_invoices_and_documents_linked(
    auditor: Client, order: Order
) -> None:
    page = auditor.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    shipment = order.shipments.get()
    invoice = order.invoices.get()
    document = Document.objects.get(order=order)
    headings = re.findall(r'class="inline-heading">\s*(?:<[^>]+>\s*)*([^<]+?)\s*<', page)
    assert {"Shipments", "Invoices", "Documents", "Returns"} <= set(headings), headings
    assert f"/admin/channel/shipment/{shipment.pk}/change/" in page
    assert f"/admin/channel/invoice/{invoice.pk}/change/" in page
    assert f"/admin/channel/document/{document.pk}/change/" in page


def test_order_page_lists_its_returns(support: Client, order: Order) -> None:
    from returns.models import ReturnOrder

    made = ReturnOrder.objects.create(
        return_order_code="R-100-1",
        order=order,
        order_type="SELF_SHIP",
        location_code="WH1",
        created_by="sam",
    )
    page = support.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert f"/admin/returns/returnorder/{made.pk}/change/" in page


def test_repull_button_only_for_support(support: Client, auditor: Client, order: Order) -> None:
    url = f"/admin/channel/order/{order.pk}/change/"
    assert "Re-pull from Magento" in support.get(url).content.decode()
    assert "Re-pull from Magento" not in auditor.get(url).content.decode()
    assert auditor.post(f"/admin/channel/order/{order.pk}/repull/").status_code == 403
    assert support.get(f"/admin/channel/order/{order.pk}/repull/").status_code == 405


def test_operation_page_replays_and_cancels(support: Client, order: Order) -> None:
    operation = _failed_operation(order)
    page = support.get(f"/admin/channel/operation/{operation.pk}/change/").content.decode()
    assert "Replay now" in page and "Cancel operation" in page
    assert f"/admin/channel/order/{order.pk}/change/" in page
    assert f"?operation__id__exact={operation.pk}" in page  # its calls
    assert '<details class="proxy-json" open>' in page  # the payload, indented

    response = support.post(f"/admin/channel/operation/{operation.pk}/replay/", follow=True)
    assert "queued to run now" in response.content.decode()
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING

    support.post(f"/admin/channel/operation/{operation.pk}/cancel/")
    operation.refresh_from_db()
    assert operation.state == OperationState.CANCELLED


def test_auditor_gets_no_operation_buttons(auditor: Client, order: Order) -> None:
    operation = _failed_operation(order)
    page = auditor.get(f"/admin/channel/operation/{operation.pk}/change/").content.decode()
    assert "Replay now" not in page
    assert auditor.post(f"/admin/channel/operation/{operation.pk}/replay/").status_code == 403
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED


def test_operations_list_links_and_truncates_the_error(support: Client, order: Order) -> None:
    operation = _failed_operation(order)
    page = support.get("/admin/channel/operation/").content.decode()
    assert f'href="/admin/channel/order/{order.pk}/change/">{order.order_code}</a>' in page
    assert f"/admin/channel/order/?q={order.order_code}" in page  # the target
    assert f"/admin/channel/callrecord/?operation__id__exact={operation.pk}" in page
    assert f'title="{operation.last_error}"' in page  # whole on hover
    assert "x" * 100 not in page.replace(operation.last_error, "")  # cut in the cell


def _call(system: str, status: int, path: str, request: str = "", response: str = "") -> CallRecord:
    return CallRecord(
        direction="out",
        system=system,
        method="POST",
        path=path,
        status=status,
        request_body=request,
        response_body=response,
    )


def test_expected_refusals_are_named() -> None:
    comment = _call("magento", 400, "/V1/orders/7/comments", '{"statusHistory": {"status": "x"}}')
    exists = _call("omni", 400, "/orders/outward", response='{"message": "Order already exists"}')
    other = _call("omni", 400, "/orders/outward", response='{"message": "bad SKU"}')
    assert "without a status" in expected_refusal(comment)
    assert "already has it" in expected_refusal(exists)
    assert expected_refusal(other) == ""


def test_timeline_marks_expected_refusals_and_failures(support: Client, order: Order) -> None:
    exists = _call("omni", 400, "/orders/outward", response="Order already exists")
    exists.order = order
    exists.save()
    bad = _call("omni", 400, "/orders/outward", response="bad SKU")
    bad.order = order
    bad.save()
    entries = {e.url: e for e in order_timeline(order)}
    assert entries[f"/admin/channel/callrecord/{exists.pk}/change/"].expected
    assert not entries[f"/admin/channel/callrecord/{exists.pk}/change/"].failed
    assert entries[f"/admin/channel/callrecord/{bad.pk}/change/"].failed
    page = support.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert "Expected: Omni already has it" in page
    assert "timeline-failed" in page


def test_one_time_format_with_the_zone(support: Client, order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(
        acknowledged_at=datetime(2026, 12, 2, 4, 26, 49, 123456, tzinfo=UTC)
    )
    page = support.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert "2026-12-02 04:26:49 UTC" in page
    listing = support.get("/admin/channel/order/").content.decode()
    assert "a.m." not in listing and "p.m." not in listing


def test_return_page_uses_the_timeline_component(support: Client, order: Order) -> None:
    from returns.models import ReturnOrder

    made = ReturnOrder.objects.create(
        return_order_code="R-100-2",
        order=order,
        order_type="SELF_SHIP",
        location_code="WH1",
        created_by="sam",
    )
    operation = Operation.objects.create(
        kind="omni.create_return",
        target=made.subject,
        idempotency_key="ret:1",
        state=OperationState.FAILED,
        last_error="Omni said no",
    )
    page = support.get(f"/admin/returns/returnorder/{made.pk}/change/").content.decode()
    assert "proxy-timeline" in page and "Timeline (newest first)" in page
    assert f"/admin/channel/operation/{operation.pk}/change/" in page
    assert "timeline-failed" in page


def test_history_shows_readable_values_and_who(support: Client, order: Order) -> None:
    from django.contrib.auth.models import User

    order.lifecycle = "fulfilled"
    order.acknowledged_at = datetime(2026, 12, 2, 4, 26, 49, 123456, tzinfo=UTC)
    order._history_user = User.objects.get(username="sam")  # type: ignore[attr-defined]
    order.save()
    page = support.get(f"/admin/channel/order/{order.pk}/history/").content.decode()
    flat = re.sub(r"\s+", " ", page)
    assert "New &nbsp;&rarr;&nbsp;&nbsp;Everything handed over" in flat  # labels, not codes
    assert "— &nbsp;&rarr;&nbsp;&nbsp;2026-12-02 04:26:49 UTC" in flat  # no microseconds
    assert "<td> sam </td>" in flat  # the user, as text
    assert "the proxy (sync, API or worker)" in page  # the mirror's own changes
