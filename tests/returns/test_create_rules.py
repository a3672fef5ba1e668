"""Creating a return: one set of rules for admin, API and RTO (return_create)."""

from __future__ import annotations

import pytest

from channel.api.errors import domain_status
from channel.models import OrderLine
from returns import services
from returns.models import ReturnItem, ReturnOrder, ReturnState
from returns.services import ItemInput, ReturnConflict, ReturnError, ReturnNotFound
from tests.support.returns import handed_over, shipped_order

pytestmark = pytest.mark.django_db


def create(**kwargs: object) -> services.CreateResult:
    args: dict = {
        "forward_order_code": "000000123",
        "order_type": "CUSTOMER_RETURN",
        "items": [ItemInput("SKU-1", "Size too small", quantity=2)],
        "actor": "test",
    }
    args.update(kwargs)
    return services.return_create(**args)


def refused(exc_type: type = ReturnError, **kwargs: object) -> ReturnError:
    with pytest.raises(exc_type) as info:
        create(**kwargs)
    return info.value


def test_it_expands_a_quantity_into_one_item_per_unit_with_generated_codes() -> None:
    shipped_order()
    result = create()
    assert result.created
    ret = result.return_order
    assert (ret.return_order_code, ret.state, ret.location_code) == (
        "R-000000123-1",
        ReturnState.QUEUED,
        "WH1",
    )
    assert list(ret.items.values_list("item_code", "channel_sku_code", "reason")) == [
        ("R-000000123-1-1", "SKU-1", "Size too small"),
        ("R-000000123-1-2", "SKU-1", "Size too small"),
    ]


def test_it_numbers_the_next_return_of_the_same_order() -> None:
    shipped_order()
    create(items=[ItemInput("SKU-1", "Too big")])
    second = create(items=[ItemInput("SKU-1", "Too big"), ItemInput("SKU-2", "Colour")])
    assert second.return_order.return_order_code == "R-000000123-2"
    assert list(second.return_order.items.values_list("item_code", flat=True)) == [
        "R-000000123-2-1",
        "R-000000123-2-2",
    ]


def test_it_keeps_the_item_codes_it_is_given() -> None:
    shipped_order()
    ret = create(
        return_order_code="RMA-9",
        items=[ItemInput("SKU-1", "Damaged", item_code="U1"), ItemInput("SKU-2", "Late")],
    ).return_order
    assert list(ret.items.values_list("item_code", flat=True)) == ["U1", "RMA-9-2"]


def test_it_spreads_units_of_one_sku_over_several_lines() -> None:
    shipped_order(lines=[(1, "SKU-1", 1, 1), (2, "SKU-1", 2, 2)])
    ret = create(items=[ItemInput("SKU-1", "Gift", quantity=3)]).return_order
    assert list(ret.items.values_list("order_line__item_id", flat=True)) == [1, 2, 2]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"forward_order_code": ""}, "forwardOrderCode", "This field is required."),
        ({"items": []}, "orderItems", "At least one item is required."),
        (
            {"order_type": "EXCHANGE"},
            "orderType",
            "Must be one of SELF_SHIP, CUSTOMER_RETURN, RETURN_TO_ORIGIN, not 'EXCHANGE'.",
        ),
        (
            {"items": [ItemInput("", "x")]},
            "orderItems[0].channelSkuCode",
            "This field is required.",
        ),
        ({"items": [ItemInput("SKU-1", " ")]}, "orderItems[0].reason", "This field is required."),
        (
            {"items": [ItemInput("SKU-1", "x", quantity=0)]},
            "orderItems[0].quantity",
            "Must be a whole number of at least 1.",
        ),
        (
            {"items": [ItemInput("SKU-1", "x", item_code="U1", quantity=2)]},
            "orderItems[0].itemCode",
            "An itemCode names one unit: leave it out with quantity.",
        ),
        (
            {"return_order_code": " "},
            "returnOrderCode",
            "May not be blank (leave it out to have one generated).",
        ),
        (
            {"location_code": ""},
            "locationCode",
            "May not be blank (leave it out to use the order's location).",
        ),
    ],
)
def test_it_refuses_missing_and_malformed_fields(kwargs: dict, field: str, message: str) -> None:
    shipped_order()
    error = refused(**kwargs)
    assert error.errors[field] == [message]
    assert error.message == f"Invalid return: {field}: {message}"
    assert ReturnOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"return_order_code": "R" * 256}, "returnOrderCode"),
        ({"awb_number": "A" * 256}, "awbNumber"),
        ({"transporter": "T" * 256}, "transporter"),
        ({"location_code": "L" * 256}, "locationCode"),
        ({"items": [ItemInput("S" * 256, "x")]}, "orderItems[0].channelSkuCode"),
        ({"items": [ItemInput("SKU-1", "x", item_code="I" * 256)]}, "orderItems[0].itemCode"),
    ],
)
def test_it_refuses_strings_over_255_characters(kwargs: dict, field: str) -> None:
    shipped_order()
    assert "At most 255 characters" in refused(**kwargs).errors[field][0]


def test_it_cuts_a_long_reason_to_255_characters() -> None:
    shipped_order()
    ret = create(items=[ItemInput("SKU-1", "r" * 300)]).return_order
    assert ret.items.get().reason == "r" * 255


def test_it_refuses_a_generated_item_code_that_would_be_too_long() -> None:
    shipped_order()
    error = refused(return_order_code="R" * 254)
    assert error.errors["orderItems[0].itemCode"][0].startswith(
        "The generated itemCode would exceed 255 characters"
    )


def test_it_answers_not_found_for_an_unknown_forward_order() -> None:
    error = refused(ReturnNotFound, forward_order_code="000000999")
    assert (error.message, domain_status(error)) == ("Order 000000999 is unknown.", 404)


def test_it_refuses_a_sku_that_is_not_in_the_forward_order() -> None:
    shipped_order()
    error = refused(items=[ItemInput("SKU-1", "x"), ItemInput("SKU-9", "x")])
    assert error.errors == {"orderItems[1].channelSkuCode": ["SKU-9 is not in order 000000123."]}


def test_it_refuses_more_units_than_were_shipped() -> None:
    shipped_order(lines=[(5501, "SKU-1", 3, 2)])
    error = refused(items=[ItemInput("SKU-1", "x", quantity=3)])
    assert error.errors == {
        "orderItems[0].quantity": [
            "3 unit(s) of SKU-1 asked but only 2 can be returned "
            "(2 shipped, 0 already in other returns)."
        ]
    }


def test_it_refuses_units_that_were_never_shipped() -> None:
    shipped_order(lines=[(5501, "SKU-1", 2, 0)])
    assert "only 0 can be returned" in refused().message


def test_it_counts_units_handed_over_by_omni_as_shipped() -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 0)])
    OrderLine.objects.filter(order=order).update(qty_handed_over=2)
    assert create().created


def test_it_uses_magentos_shipped_quantity_when_it_is_larger() -> None:
    order = shipped_order(lines=[(5501, "SKU-1", 2, 2)])
    OrderLine.objects.filter(order=order).update(qty_handed_over=1)
    assert create().created


@pytest.mark.parametrize(
    "state",
    [
        ReturnState.DRAFT,
        ReturnState.QUEUED,
        ReturnState.SENT,
        ReturnState.RECEIVED,
        ReturnState.QC_PASSED,
        ReturnState.QC_FAILED,
    ],
)
def test_units_in_other_returns_count_in_every_state_but_failed(state: str) -> None:
    shipped_order()
    first = create(items=[ItemInput("SKU-1", "x")]).return_order
    ReturnOrder.objects.filter(pk=first.pk).update(state=state)
    error = refused(items=[ItemInput("SKU-1", "x", quantity=2)])
    assert error.errors["orderItems[0].quantity"] == [
        "2 unit(s) of SKU-1 asked but only 1 can be returned "
        "(2 shipped, 1 already in other returns)."
    ]


def test_units_of_a_failed_return_can_be_returned_again() -> None:
    shipped_order()
    first = create().return_order
    ReturnOrder.objects.filter(pk=first.pk).update(state=ReturnState.FAILED)
    assert create().created


def test_it_refuses_an_item_code_twice_in_one_return() -> None:
    shipped_order()
    error = refused(items=[ItemInput("SKU-1", "x", item_code="U1")] * 2)
    assert error.errors == {"orderItems[1].itemCode": ["U1 appears more than once."]}


def test_it_refuses_an_item_code_of_another_return() -> None:
    shipped_order()
    create(return_order_code="A", items=[ItemInput("SKU-1", "x", item_code="U1")])
    error = refused(
        ReturnConflict, return_order_code="B", items=[ItemInput("SKU-1", "y", item_code="U1")]
    )
    assert (error.message, domain_status(error)) == (
        "itemCode U1 is already used by another return.",
        409,
    )


def test_a_repeat_with_the_same_request_returns_the_existing_return() -> None:
    shipped_order()
    first = create(return_order_code="RMA-1", awb_number="RAWB1")
    again = create(return_order_code="RMA-1", awb_number="RAWB1")
    assert (first.created, again.created) == (True, False)
    assert again.return_order.pk == first.return_order.pk
    assert ReturnItem.objects.count() == 2


def test_the_same_code_with_a_different_request_is_a_conflict() -> None:
    shipped_order()
    create(return_order_code="RMA-1")
    error = refused(ReturnConflict, return_order_code="RMA-1", awb_number="OTHER")
    assert error.message == "Return RMA-1 already exists with different content."


def test_the_location_defaults_to_the_forward_orders_then_its_shipments() -> None:
    order = shipped_order(location="")
    error = refused()
    assert error.message == "locationCode is required: order 000000123 has no location yet."
    handed_over(order, {"SKU-2": 1})
    assert create().return_order.location_code == "WH1"
    assert (
        create(location_code="WH2", items=[ItemInput("SKU-2", "x")]).return_order.location_code
        == "WH2"
    )


def test_a_draft_waits_and_is_sent_on_submit() -> None:
    shipped_order()
    ret = create(submit=False).return_order
    sends = ret.order.operations.filter(kind="omni.create_return")
    assert ret.state == ReturnState.DRAFT and not sends.exists()
    services.return_submit(return_order=ret, actor="sam")
    ret.refresh_from_db()
    assert ret.state == ReturnState.QUEUED
    assert sends.get().target == "return:R-000000123-1"


def test_deleting_a_draft_frees_its_units() -> None:
    shipped_order()
    ret = create(submit=False).return_order
    services.return_delete_draft(return_order=ret, actor="sam")
    assert create().created
