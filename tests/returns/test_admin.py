"""Returns in admin: create from the order page, mark RTO, fix and replay, find, timeline."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from channel.models import Operation
from returns import services
from returns.models import ReturnOrder, ReturnState
from returns.services import ItemInput
from tests.support.admin import login
from tests.support.returns import handed_over, shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: None) -> Client:
    return login("root", superuser=True)


@pytest.fixture
def support(db: None) -> Client:
    return login("sam", "support")


@pytest.fixture
def auditor(db: None) -> Client:
    return login("ada", "auditor")


def new_return(**kwargs: object) -> ReturnOrder:
    args: dict = {
        "forward_order_code": "000000123",
        "order_type": "CUSTOMER_RETURN",
        "items": [ItemInput("SKU-1", "Too small", quantity=2)],
        "actor": "test",
    }
    args.update(kwargs)
    return services.return_create(**args).return_order


def create_form(order_pk: int, **fields: object) -> dict:
    data = {
        "order_type": "CUSTOMER_RETURN",
        "reason": "Size too small",
        "awb_number": "RAWB1",
        "transporter": "Delhivery",
        "location_code": "",
        "return_order_code": "",
        "send_now": "on",
    }
    data.update({k: v for k, v in fields.items()})
    return data


def test_a_superuser_creates_a_return_from_the_order_page(superuser: Client) -> None:
    started = time.monotonic()
    order = shipped_order()
    line1, line2 = order.lines.order_by("position")
    page = superuser.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    create_url = f"/admin/returns/returnorder/new/{order.pk}/"
    assert f'href="{create_url}">Create return</a>' in page
    form = superuser.get(create_url)
    assert form.status_code == 200
    assert "SKU-1" in form.content.decode() and f'name="qty_{line1.pk}"' in form.content.decode()
    response = superuser.post(
        create_url, create_form(order.pk, **{f"qty_{line1.pk}": 2, f"qty_{line2.pk}": 0})
    )
    ret = ReturnOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/returns/returnorder/{ret.pk}/change/"
    assert (ret.return_order_code, ret.state, ret.awb_number, ret.created_by) == (
        "R-000000123-1",
        ReturnState.QUEUED,
        "RAWB1",
        "root",
    )
    assert list(ret.items.values_list("item_code", "channel_sku_code", "reason")) == [
        ("R-000000123-1-1", "SKU-1", "Size too small"),
        ("R-000000123-1-2", "SKU-1", "Size too small"),
    ]
    page = superuser.get(response["Location"]).content.decode()
    assert "Return R-000000123-1 queued for Omni." in page
    assert "return.created" in page and "omni.create_return" in page
    assert time.monotonic() - started < 60


def test_the_form_saves_a_draft_when_not_sent_now(superuser: Client) -> None:
    order = shipped_order()
    line = order.lines.get(sku="SKU-2")
    data = create_form(order.pk, **{f"qty_{line.pk}": 1})
    del data["send_now"]
    superuser.post(f"/admin/returns/returnorder/new/{order.pk}/", data)
    assert ReturnOrder.objects.get().state == ReturnState.DRAFT


def test_the_form_asks_for_at_least_one_unit(superuser: Client) -> None:
    order = shipped_order()
    response = superuser.post(f"/admin/returns/returnorder/new/{order.pk}/", create_form(order.pk))
    assert response.status_code == 200
    assert "Pick at least one unit to return." in response.content.decode()
    assert not ReturnOrder.objects.exists()


def test_the_form_offers_only_returnable_units(superuser: Client) -> None:
    order = shipped_order()
    new_return(items=[ItemInput("SKU-1", "x")])
    line = order.lines.get(sku="SKU-1")
    response = superuser.post(
        f"/admin/returns/returnorder/new/{order.pk}/",
        create_form(order.pk, **{f"qty_{line.pk}": 2}),
    )
    assert "Ensure this value is less than or equal to 1." in response.content.decode()
    assert ReturnOrder.objects.count() == 1


def test_the_form_shows_the_services_refusal(superuser: Client) -> None:
    order = shipped_order()
    new_return(return_order_code="TAKEN", items=[ItemInput("SKU-2", "x")])
    line = order.lines.get(sku="SKU-1")
    response = superuser.post(
        f"/admin/returns/returnorder/new/{order.pk}/",
        create_form(order.pk, return_order_code="TAKEN", **{f"qty_{line.pk}": 1}),
    )
    assert "Return TAKEN already exists with different content." in response.content.decode()


def test_support_staff_may_create_returns_and_auditors_may_not(
    support: Client, auditor: Client
) -> None:
    order = shipped_order()
    line = order.lines.get(sku="SKU-1")
    url = f"/admin/returns/returnorder/new/{order.pk}/"
    assert (
        "Create return"
        not in auditor.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    )
    auditor.post(url, create_form(order.pk, **{f"qty_{line.pk}": 1}))
    assert not ReturnOrder.objects.exists()
    support.post(url, create_form(order.pk, **{f"qty_{line.pk}": 1}))
    assert ReturnOrder.objects.get().created_by == "sam"


def test_the_add_button_asks_for_the_order_first(superuser: Client) -> None:
    order = shipped_order()
    response = superuser.get("/admin/returns/returnorder/add/")
    assert response["Location"] == "/admin/returns/returnorder/new/"
    response = superuser.post("/admin/returns/returnorder/new/", {"order_code": "000000123"})
    assert response["Location"] == f"/admin/returns/returnorder/new/{order.pk}/"
    response = superuser.post("/admin/returns/returnorder/new/", {"order_code": "42"})
    assert "Order 42 is unknown." in response.content.decode()


def test_mark_rto_on_a_handed_over_shipment(superuser: Client) -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 0)])
    shipment = handed_over(order, {"SKU-1": 2})
    response = superuser.post(
        "/admin/channel/shipment/",
        {"action": "mark_rto", "_selected_action": [shipment.pk]},
        follow=True,
    )
    assert "RTO return RTO-000000123-1 queued for Omni." in response.content.decode()
    ret = ReturnOrder.objects.get()
    assert (ret.order_type, ret.shipment, ret.items.count()) == ("RETURN_TO_ORIGIN", shipment, 2)


def test_replay_action_queues_a_failed_return_again(support: Client) -> None:
    shipped_order()
    ret = new_return()
    services.return_mark_refused(
        return_order_code=ret.return_order_code, message="BAD_DATA: nope", permanent=True
    )
    operation = Operation.objects.get(kind="omni.create_return")
    Operation.objects.filter(pk=operation.pk).update(state="failed")
    page = support.get(f"/admin/returns/returnorder/{ret.pk}/change/").content.decode()
    assert "BAD_DATA: nope" in page
    response = support.post(
        "/admin/returns/returnorder/",
        {"action": "replay_selected", "_selected_action": [ret.pk]},
        follow=True,
    )
    assert "Queued 1 return(s) for Omni." in response.content.decode()
    ret.refresh_from_db()
    operation.refresh_from_db()
    assert (ret.state, operation.state) == (ReturnState.QUEUED, "pending")


def test_an_auditor_cannot_replay(auditor: Client) -> None:
    shipped_order()
    ret = new_return()
    services.return_mark_refused(
        return_order_code=ret.return_order_code, message="BAD_DATA: nope", permanent=True
    )
    assert "replay_selected" not in auditor.get("/admin/returns/returnorder/").content.decode()


def test_support_sends_a_failed_return_again_from_its_page(
    support: Client, auditor: Client
) -> None:
    shipped_order()
    ret = new_return()
    services.return_mark_refused(
        return_order_code=ret.return_order_code, message="BAD_DATA: nope", permanent=True
    )
    Operation.objects.filter(kind="omni.create_return").update(state="failed")
    url = f"/admin/returns/returnorder/{ret.pk}/send-again/"
    assert url in support.get(f"/admin/returns/returnorder/{ret.pk}/change/").content.decode()
    assert url not in auditor.get(f"/admin/returns/returnorder/{ret.pk}/change/").content.decode()
    assert auditor.post(url).status_code == 403
    assert support.get(url).status_code == 405
    response = support.post(url, follow=True)
    assert "Queued 1 return(s) for Omni." in response.content.decode()
    ret.refresh_from_db()
    assert ret.state == ReturnState.QUEUED
    assert Operation.objects.get(kind="omni.create_return").state == "pending"
    again = support.post(url, follow=True).content.decode()  # queued: sending again is harmless
    assert Operation.objects.filter(kind="omni.create_return").count() == 1, again[:500]


def test_support_fixes_a_failed_return_in_its_page(support: Client) -> None:
    shipped_order()
    ret = new_return(awb_number="OLD")
    services.return_mark_refused(
        return_order_code=ret.return_order_code, message="BAD_DATA: awb", permanent=True
    )
    items = list(ret.items.all())
    data = {
        "location_code": "WH2",
        "awb_number": "NEW",
        "transporter": "Delhivery",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data[f"items-{n}-id"] = str(item.pk)
        data[f"items-{n}-return_order"] = str(ret.pk)
    response = support.post(f"/admin/returns/returnorder/{ret.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ret.refresh_from_db()
    assert (ret.location_code, ret.awb_number) == ("WH2", "NEW")
    event = ret.order.events.get(action="return.edited")
    assert event.data == {
        "before": {"location_code": "WH1", "awb_number": "OLD", "transporter": ""},
        "after": {"location_code": "WH2", "awb_number": "NEW", "transporter": "Delhivery"},
    }


def test_a_sent_return_is_read_only(superuser: Client) -> None:
    shipped_order()
    ret = new_return()
    services.return_mark_sent(return_order_code=ret.return_order_code)
    page = superuser.get(f"/admin/returns/returnorder/{ret.pk}/change/").content.decode()
    assert 'name="awb_number"' not in page


def codes(page: str) -> list[str]:
    return re.findall(r'<th class="field-return_order_code"><a [^>]*>([^<]+)</a>', page)


@pytest.mark.parametrize(
    "term", ["R-000000123-2", "R-000000123-2-1", "RAWB2", "000000123", "000000124"]
)
def test_it_finds_a_return_by_any_code(superuser: Client, term: str) -> None:
    shipped_order()
    shipped_order(124, lines=[(6601, "SKU-1", 2, 2)])
    new_return(items=[ItemInput("SKU-1", "x")])
    new_return(awb_number="RAWB2", items=[ItemInput("SKU-1", "x")])
    new_return(forward_order_code="000000124", awb_number="RAWB3")
    page = superuser.get("/admin/returns/returnorder/", {"q": term}).content.decode()
    expected = {
        "R-000000123-2": ["R-000000123-2"],
        "R-000000123-2-1": ["R-000000123-2"],
        "RAWB2": ["R-000000123-2"],
        "000000123": ["R-000000123-2", "R-000000123-1"],
        "000000124": ["R-000000124-1"],
    }[term]
    assert codes(page) == expected


def test_it_filters_by_state_type_and_age(superuser: Client) -> None:
    shipped_order()
    old = new_return(items=[ItemInput("SKU-1", "x")])
    ReturnOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    new_return(order_type="SELF_SHIP", items=[ItemInput("SKU-2", "x")], submit=False)
    url = "/admin/returns/returnorder/"
    assert codes(superuser.get(url, {"state__exact": "draft"}).content.decode()) == [
        "R-000000123-2"
    ]
    assert codes(superuser.get(url, {"order_type__exact": "SELF_SHIP"}).content.decode()) == [
        "R-000000123-2"
    ]
    assert codes(superuser.get(url, {"age": "old"}).content.decode()) == ["R-000000123-1"]
    assert codes(superuser.get(url, {"age": "1d"}).content.decode()) == ["R-000000123-2"]
    order_url = f"{url}?order__id__exact={old.order_id}"
    assert len(codes(superuser.get(order_url).content.decode())) == 2


def test_the_order_timeline_lists_the_return(superuser: Client) -> None:
    order = shipped_order()
    new_return()
    page = superuser.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert "Return R-000000123-1 (Queued for Omni)" in page
    assert "Returns (1)" in page


def test_a_draft_may_be_deleted_and_a_sent_return_may_not(superuser: Client) -> None:
    shipped_order()
    draft = new_return(items=[ItemInput("SKU-1", "x")], submit=False)
    sent = new_return(items=[ItemInput("SKU-2", "x")])
    assert superuser.get(f"/admin/returns/returnorder/{sent.pk}/delete/").status_code == 403
    superuser.post(f"/admin/returns/returnorder/{draft.pk}/delete/", {"post": "yes"})
    assert list(ReturnOrder.objects.values_list("pk", flat=True)) == [sent.pk]
    assert draft.order.events.filter(action="return.deleted").exists()
