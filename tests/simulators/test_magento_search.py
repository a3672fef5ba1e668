"""searchCriteria semantics of the fake Magento: filters, sorting, paging, knobs."""

from __future__ import annotations

import pytest
import requests

from simulators.magento import MagentoSimulator
from tests.support.simulators import REST, search


def _ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [order["entity_id"] for order in response.json()["items"]]


@pytest.fixture
def shop(magento: MagentoSimulator) -> MagentoSimulator:
    """Five orders: 1 pending, 2 processing, 3 pending guest, 4 canceled, 5 pending."""
    emails = ["a@shop.in", "b@shop.in", "c@other.com", "d@shop.in", "e@other.com"]
    for n, email in enumerate(emails, start=1):
        magento.advance_clock(60)
        magento.add_order(
            [{"sku": f"SKU-{n}", "qty": 1, "price": 100 * n}],
            customer={"email": email},
            guest=n == 3,
        )
    magento.invoice(2)
    magento.cancel(4)
    return magento


def test_it_requires_search_criteria(shop: MagentoSimulator, client: requests.Session) -> None:
    response = client.get(f"{REST}/orders")
    assert response.status_code == 400
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }
    everything = client.get(f"{REST}/orders", params={"searchCriteria": ""})
    assert _ids(everything) == [1, 2, 3, 4, 5]
    assert everything.json()["search_criteria"] == {"filter_groups": []}


def test_it_ors_filters_in_a_group_and_ands_groups(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    params = search(
        filters=[
            [("status", "pending", "eq"), ("status", "processing", "eq")],
            [("customer_email", "%@shop.in", "like")],
        ]
    )
    response = client.get(f"{REST}/orders", params=params)
    assert _ids(response) == [1, 2]
    assert response.json()["total_count"] == 2


def test_it_accepts_camel_case_and_snake_case_keys(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    filters = [[("state", "new", "eq")]]
    snake = client.get(f"{REST}/orders", params=search(filters=filters))
    camel = client.get(f"{REST}/orders", params=search(filters=filters, camel=True))
    assert _ids(snake) == _ids(camel) == [1, 3, 5]
    assert camel.json()["search_criteria"]["filter_groups"][0]["filters"][0] == {
        "field": "state",
        "value": "new",
        "condition_type": "eq",
    }


@pytest.mark.parametrize(
    ("field", "value", "condition", "expected"),
    [
        ("increment_id", "000000002", "eq", [2]),
        ("state", "NEW", "eq", [1, 3, 5]),  # MySQL compares case-insensitively
        ("state", "new", "neq", [2, 4]),
        ("grand_total", "300", "gt", [4, 5]),
        ("grand_total", "300", "gteq", [3, 4, 5]),
        ("grand_total", "400", "lt", [1, 2, 3]),
        ("grand_total", "400", "lteq", [1, 2, 3, 4]),
        ("grand_total", "400", "moreq", [4, 5]),
        ("grand_total", "200", "from", [2, 3, 4, 5]),
        ("grand_total", "200", "to", [1, 2]),
        ("status", "pending,canceled", "in", [1, 3, 4, 5]),
        ("status", "pending,canceled", "nin", [2]),
        ("customer_email", "%other%", "like", [3, 5]),
        ("customer_email", "_@shop.in", "like", [1, 2, 4]),
        ("customer_email", "%other%", "nlike", [1, 2, 4]),
        ("customer_id", "", "null", [3]),
        ("customer_id", "", "notnull", [1, 2, 4, 5]),
        ("total_paid", "0", "gteq", [2]),  # NULL never matches a comparison
        ("status", "pending", "finset", [1, 3, 5]),
        ("status", "pending", "nfinset", [2, 4]),
    ],
)
def test_it_supports_every_condition_type(
    shop: MagentoSimulator,
    client: requests.Session,
    field: str,
    value: str,
    condition: str,
    expected: list[int],
) -> None:
    response = client.get(f"{REST}/orders", params=search(filters=[[(field, value, condition)]]))
    assert _ids(response) == expected


def test_it_sorts_by_several_keys_with_desc_as_default(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    by_state = client.get(
        f"{REST}/orders", params=search(sorts=[("state", "ASC"), ("entity_id", None)])
    )
    assert _ids(by_state) == [4, 5, 3, 1, 2]
    echo = by_state.json()["search_criteria"]["sort_orders"]
    assert echo == [{"field": "state", "direction": "ASC"}, {"field": "entity_id"}]


def test_it_breaks_equal_created_at_only_by_an_explicit_entity_id_sort(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    for _ in range(30):
        magento.add_order()  # frozen clock: all created in the same second
    magento.shuffle_ties = True
    stable = search(sorts=[("created_at", "ASC"), ("entity_id", "ASC")], page_size=10)
    pages = [
        _ids(client.get(f"{REST}/orders", params=stable | {"searchCriteria[currentPage]": str(p)}))
        for p in (1, 2, 3)
    ]
    assert pages == [list(range(1, 11)), list(range(11, 21)), list(range(21, 31))]
    unstable = search(sorts=[("created_at", "ASC")])
    orders = [_ids(client.get(f"{REST}/orders", params=unstable)) for _ in range(3)]
    assert all(sorted(o) == list(range(1, 31)) for o in orders)
    assert any(o != list(range(1, 31)) for o in orders)  # ties come back in any order


def test_it_answers_an_empty_page_past_the_end(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    params = search(sorts=[("entity_id", "ASC")], page_size=2, current_page=4)
    response = client.get(f"{REST}/orders", params=params)
    assert response.json()["items"] == []
    assert response.json()["total_count"] == 5
    assert response.json()["search_criteria"]["current_page"] == 4
    last = client.get(f"{REST}/orders", params=params | {"searchCriteria[currentPage]": "3"})
    assert _ids(last) == [5]


def test_it_repeats_the_last_page_with_the_legacy_knob(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    shop.paging_last_page_repeat = True
    params = search(sorts=[("entity_id", "ASC")], page_size=2, current_page=9)
    response = client.get(f"{REST}/orders", params=params)
    assert _ids(response) == [5]
    assert response.json()["search_criteria"]["current_page"] == 9


def test_it_treats_a_page_below_one_as_the_first(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    params = search(sorts=[("entity_id", "ASC")], page_size=2, current_page=0)
    assert _ids(client.get(f"{REST}/orders", params=params)) == [1, 2]


def test_it_limits_page_size_with_input_limiting(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    for _ in range(25):
        magento.add_order()
    assert len(_ids(client.get(f"{REST}/orders", params=search()))) == 25
    magento.input_limiting = True
    limited = client.get(f"{REST}/orders", params=search())
    assert len(_ids(limited)) == 20
    assert limited.json()["search_criteria"]["page_size"] == 20
    too_big = client.get(f"{REST}/orders", params=search(page_size=301))
    assert too_big.status_code == 400
    assert too_big.json() == {
        "message": "Maximum SearchCriteria pageSize is %max",
        "parameters": {"max": 300},
    }


def test_it_trims_the_response_with_fields(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    params = search(page_size=1) | {"fields": "items[entity_id,increment_id],total_count"}
    response = client.get(f"{REST}/orders", params=params)
    assert response.json() == {
        "items": [{"entity_id": 1, "increment_id": "000000001"}],
        "total_count": 5,
    }


def test_it_answers_500_for_an_unknown_column(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    response = client.get(f"{REST}/orders", params=search(filters=[[("nope", "1", "eq")]]))
    assert response.status_code == 500
    assert response.json()["message"].startswith("Internal Error. Details are available in Magento")


def test_it_rejects_a_non_numeric_page_size(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    response = client.get(f"{REST}/orders", params={"searchCriteria[pageSize]": "ten"})
    assert response.status_code == 400
    assert response.json()["parameters"] == {"value": "ten", "type": "int"}


def test_it_searches_invoices_shipments_and_credit_memos_by_order(
    shop: MagentoSimulator, client: requests.Session
) -> None:
    shop.ship(2)
    shop.refund(2)
    for path in ("invoices", "shipments", "creditmemos"):
        response = client.get(f"{REST}/{path}", params=search(filters=[[("order_id", "2", "eq")]]))
        assert response.status_code == 200, response.text
        assert [d["order_id"] for d in response.json()["items"]] == [2]
        empty = client.get(f"{REST}/{path}", params=search(filters=[[("order_id", "1", "eq")]]))
        assert empty.json()["total_count"] == 0


def test_it_pages_by_a_cursor_over_two_fields_with_or_and_two_sort_orders(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    """The proxy's keyset page: time >= T AND (time > T OR entity_id > X), sorted by both."""
    for _ in range(3):
        magento.add_order()  # ids 1-3 at the same second
    magento.advance_clock(1)
    magento.add_order()  # id 4 a second later
    stamp = magento.get_order(1)["created_at"]
    cursor = [
        [("created_at", stamp, "gteq")],
        [("created_at", stamp, "gt"), ("entity_id", "2", "gt")],
    ]
    sorts = [("created_at", "ASC"), ("entity_id", "ASC")]
    response = client.get(f"{REST}/orders", params=search(cursor, sorts, page_size=10))
    assert _ids(response) == [3, 4] and response.json()["total_count"] == 2
    both = [("created_at", "ASC"), ("entity_id", "DESC")]
    assert _ids(client.get(f"{REST}/orders", params=search(cursor[:1], both))) == [3, 2, 1, 4]
