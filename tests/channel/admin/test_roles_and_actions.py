"""The admin as support staff and as an auditor: what each can see and do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from channel import outbox
from channel.integrations.magento import MagentoError
from channel.models import Flow, FlowState, Operation, OperationState
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo

pytestmark = pytest.mark.django_db


@outbox.register("test.admin.refused", flow=Flow.PUSH)
def refused(operation: Operation) -> dict:
    raise MagentoError(
        "Invoice Document Validation Error(s):\nThe order does not allow an invoice."
    )


def failed_operation() -> Operation:
    order = order_upsert(raw=mo.order(100)).order
    operation = outbox.enqueue("test.admin.refused", key="adm-1", order=order)
    outbox.run_operation(operation.pk)
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED
    return operation


def post_action(client: Client, url: str, action: str, ids: list[int]) -> object:
    return client.post(url, {"action": action, "_selected_action": ids}, follow=True)


def test_the_migration_creates_the_support_and_auditor_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"support", "auditor"}


def test_an_auditor_sees_orders_and_operations_but_cannot_replay(auditor: Client) -> None:
    operation = failed_operation()
    assert auditor.get("/admin/channel/order/").status_code == 200
    assert auditor.get(f"/admin/channel/operation/{operation.pk}/change/").status_code == 200
    page = auditor.get("/admin/channel/operation/").content.decode()
    assert "replay_selected" not in page
    post_action(auditor, "/admin/channel/operation/", "replay_selected", [operation.pk])
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED


def test_support_replays_a_failed_operation_and_is_told_what_happened(support: Client) -> None:
    operation = failed_operation()
    response = post_action(support, "/admin/channel/operation/", "replay_selected", [operation.pk])
    assert "Queued 1 operation(s) to run now; 0 were done or running." in response.content.decode()
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING


def test_support_replays_all_failures_of_an_error_class(support: Client) -> None:
    operation = failed_operation()
    response = post_action(
        support, "/admin/channel/operation/", "replay_all_of_class", [operation.pk]
    )
    assert "Queued 1 failed operation(s) of class Permanent" in response.content.decode()


def test_support_pauses_and_resumes_a_flow(support: Client) -> None:
    support.get("/admin/channel/flowstate/")
    intake = FlowState.objects.get(flow=Flow.INTAKE)
    response = post_action(support, "/admin/channel/flowstate/", "pause", [intake.pk])
    assert "Paused: Order intake from Magento" in response.content.decode()
    intake.refresh_from_db()
    assert intake.paused and intake.paused_by == "sam"
    post_action(support, "/admin/channel/flowstate/", "resume", [intake.pk])
    intake.refresh_from_db()
    assert not intake.paused


def test_an_auditor_cannot_pause_a_flow(auditor: Client) -> None:
    auditor.get("/admin/channel/flowstate/")
    intake = FlowState.objects.get(flow=Flow.INTAKE)
    post_action(auditor, "/admin/channel/flowstate/", "pause", [intake.pk])
    intake.refresh_from_db()
    assert not intake.paused


def test_mirrors_are_read_only_for_support(support: Client) -> None:
    order = order_upsert(raw=mo.order(100)).order
    page = support.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    response = support.post(f"/admin/channel/order/{order.pk}/change/", {"location_code": "X"})
    assert response.status_code == 403


def test_the_order_page_shows_the_timeline(superuser: Client) -> None:
    operation = failed_operation()
    page = superuser.get(f"/admin/channel/order/{operation.order_id}/change/").content.decode()
    assert "Timeline (newest first)" in page
    assert "order.mirrored" in page
    assert "Operation test.admin.refused queued" in page
    assert "Attempt #1 of test.admin.refused: permanent" in page


def test_search_finds_an_order_by_any_code(superuser: Client) -> None:
    order_upsert(raw=mo.order(100, items=[mo.item(1001, "RARE-SKU")]))
    order_upsert(raw=mo.order(200))
    for term in ("000000100", "100", "RARE-SKU"):
        page = superuser.get("/admin/channel/order/", {"q": term}).content.decode()
        assert "000000100" in page and "000000200" not in page, term


def test_the_order_list_and_page_use_a_fixed_number_of_queries(
    superuser: Client, django_assert_max_num_queries
) -> None:
    for n in range(1, 31):
        order_upsert(raw=mo.order(n, items=[mo.item(n * 10, f"SKU-{n}")]))
    with django_assert_max_num_queries(12):
        assert superuser.get("/admin/channel/order/").status_code == 200
    order = order_upsert(raw=mo.order(99, items=[mo.item(991, "A"), mo.item(992, "B")])).order
    for n in range(20):
        outbox.enqueue("test.admin.refused", key=f"q{n}", order=order)
    with django_assert_max_num_queries(30):
        assert superuser.get(f"/admin/channel/order/{order.pk}/change/").status_code == 200


def test_the_dashboard_counts_backlog_failures_and_lifecycle(superuser: Client) -> None:
    failed_operation()
    order = order_upsert(raw=mo.order(300)).order
    outbox.enqueue("test.admin.refused", key="pending-1", order=order)
    page = superuser.get("/admin/").content.decode()
    assert "Outbox backlog" in page
    assert "test.admin.refused" in page
    assert "permanent" in page
    assert 'href="/admin/channel/order/?new=on_its_way">New: not sent to Omni yet</a></td>' in page
    # Other steps: orders of the last DASHBOARD_ORDER_DAYS days (tests/channel/admin/test_scale.py).
    assert (
        'href="/admin/channel/order/?lifecycle__exact=acknowledged&amp;magento_created_at__gte='
        in page
    )


def test_search_finds_an_order_by_awb_shipment_manifest_and_return_code(superuser: Client) -> None:
    from channel.models import Manifest, ManifestItem
    from returns.models import ReturnOrder
    from tests.support.shipping import make_shipment, mirror_order

    order = mirror_order(100)
    mirror_order(200)
    shipment = make_shipment(order, awb_number="DLV123", transporter="Delhivery")
    manifest = Manifest.objects.create(
        manifest_code="MF-WH1-20260131-0001", transporter="Delhivery", location_code="WH1"
    )
    ManifestItem.objects.create(manifest=manifest, shipment=shipment)
    ReturnOrder.objects.create(
        order=order, return_order_code="R-CODE-1", location_code="WH1", order_type="SELF_SHIP"
    )
    for term in ("DLV123", shipment.shipment_code, "MF-WH1-20260131-0001", "R-CODE-1"):
        page = superuser.get("/admin/channel/order/", {"q": term}).content.decode()
        assert "000000100" in page and "000000200" not in page, term


def test_a_shipment_edited_in_admin_shows_in_the_order_timeline_with_before_and_after(
    superuser: Client,
) -> None:
    from django.contrib.auth.models import User

    from tests.support.shipping import make_shipment, mirror_order

    order = mirror_order(100)
    shipment = make_shipment(order)
    shipment._history_user = User.objects.get(username="root")
    shipment.transporter = "BlueDart"
    shipment.save()
    page = superuser.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert "Shipment edited in admin" in page
    assert "transporter: &#x27;&#x27; → &#x27;BlueDart&#x27;" in page
