"""The fake Magento's indexed searches answer exactly as a scan of every row does.

A scan is ``run_search`` over every row in the handler's own order; its filters (compiled once
per search) are checked against ``_condition``, the per-row definition of the SQL semantics, and
its one-sort-per-direction ordering against successive stable sorts."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from simulators.magento import MagentoSimulator
from simulators.magento.search import (
    SearchCriteria,
    _condition,
    _sort_key,
    compile_filter,
    parse_search_criteria,
    run_search,
    sort_rows,
)
from tests.support.simulators import REST, search

CONDITIONS = [
    "eq", "neq", "gt", "gteq", "moreq", "from", "lt", "lteq", "to", "like", "nlike",
    "in", "nin", "finset", "nfinset", "null", "notnull", "bogus",
]  # fmt: skip
COLUMNS: list[Any] = [
    None, True, False, 0, 1, 2, 1.0, 2.5, -3, "1", "1.0", "abc", "ABC", "a,b", " a", "Sku-1",
    "sku-1", "x_y", "x%y", "10", "9", [1], "2025-01-01 10:00:00",
]  # fmt: skip
RAWS = [
    "", "1", "1.0", " 1", "abc", "Abc", "a,b", "a, b", "1,abc", "1, 2", "x_y", "x%", "%b%",
    "\\%", "2", "nan", "inf", "sku-1", "SKU-1,9", "2025-01-01 10:00:00", ",",
]  # fmt: skip


def test_a_compiled_filter_agrees_with_the_per_row_definition() -> None:
    for column in COLUMNS:
        for raw in RAWS:
            for condition in CONDITIONS:
                test = compile_filter("c", raw, condition)
                assert test({"c": column}) == _condition(column, raw, condition), (
                    column,
                    raw,
                    condition,
                )
    assert compile_filter("c", "1", "eq")({}) is False  # a missing column is NULL


def test_sorting_agrees_with_successive_stable_sorts() -> None:
    rng = random.Random(5)
    for _ in range(300):
        rows = [
            {"a": rng.choice([None, 1, 2, "x", "X"]), "b": rng.choice([1, 2.5, "y", None])}
            for _ in range(12)
        ]
        sorts = [
            (rng.choice("ab"), rng.choice(["ASC", "DESC", None])) for _ in range(rng.randint(0, 3))
        ]
        expected = list(rows)
        for name, direction in reversed(sorts):
            expected.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=direction != "ASC")
        got = list(rows)
        sort_rows(got, sorts)
        assert [id(r) for r in got] == [id(r) for r in expected]


# -- SKU searches: source items, salable quantities, products ------------------------------------


@pytest.fixture
def catalog(magento: MagentoSimulator) -> MagentoSimulator:
    magento.add_stock(2, ["default", "wh2"], website="in")
    for n in range(40):
        sources = {"default": n % 5} if n % 3 else {"default": n, "wh2": 2}
        magento.add_product(f"Sku-{n}", qty=n, sources=sources)
    magento.add_product("sku-1", qty=3)  # the same SKU but for the case: Magento matches both
    magento.add_product("A,B", qty=1)
    magento.add_product("KIT", type="bundle")
    magento.add_product("Sku-7", qty=70)  # replaced: keeps its place
    del magento.products["Sku-8"]  # gone (a test's shortcut): the index notices
    return magento


def _scan_source_items(sim: MagentoSimulator, criteria: SearchCriteria) -> tuple[list, int]:
    rows = [s for p in sim.products.values() for s in p["sources"].values()]
    return run_search(rows, criteria, sim._options({"sku", "source_code", "quantity", "status"}))


def _scan_salable(sim: MagentoSimulator, criteria: SearchCriteria) -> tuple[list, int]:
    rows = []
    for sku, product in sim.products.items():
        if product["type"] in ("simple", "virtual", "downloadable") and any(
            c in product["sources"] for c in sim.stocks[2]
        ):
            qty = sim.salable_qty(sku, 2)
            rows.append({"sku": sku, "qty": qty, "is_salable": qty > 0})
    return run_search(rows, criteria, sim._options({"sku", "qty", "is_salable"}))


def _random_sku_search(rng: random.Random, skus: list[str]) -> dict[str, str]:
    picked = rng.sample(skus, rng.randint(1, 8))
    variants = [s.upper() if rng.random() < 0.2 else s for s in picked] + ["NOPE"]
    if rng.random() < 0.5:
        sku_group = [("sku", ", ".join(v for v in variants if "," not in v), "in")]
    else:
        sku_group = [("sku", v, "eq") for v in variants[:3]]
    groups = [sku_group]
    if rng.random() < 0.5:
        groups.append([("source_code", rng.choice(["default", "wh2"]), "eq")])
    if rng.random() < 0.2:
        groups.insert(0, [("sku", "Sku-1%", "like")])  # not indexable: the next group is used
    sorts = [("sku", rng.choice(["ASC", "DESC"]))] if rng.random() < 0.3 else []
    size = rng.choice([None, 1, 2, 5, 50])
    page = rng.choice([None, 1, 2, 9])
    return search(groups, sorts, size, page)


@pytest.mark.parametrize("repeat_last_page", [False, True])
def test_sku_searches_use_the_index_and_answer_as_a_scan(
    catalog: MagentoSimulator, client: requests.Session, repeat_last_page: bool
) -> None:
    catalog.paging_last_page_repeat = repeat_last_page
    rng = random.Random(7)
    skus = list(catalog.products)
    for _ in range(150):
        params = _random_sku_search(rng, skus)
        criteria = parse_search_criteria(params.items())
        assert criteria is not None
        got = client.get(f"{REST}/inventory/source-items", params=params).json()
        items, total = _scan_source_items(catalog, criteria)
        assert (got["items"], got["total_count"]) == (items, total), params
        params = {k: v for k, v in params.items() if "source_code" not in v}
        criteria = parse_search_criteria(params.items())
        assert criteria is not None
        got = client.get(f"{REST}/inventory/export-stock-salable-qty/website/in", params=params)
        items, total = _scan_salable(catalog, criteria)
        assert (got.json()["items"], got.json()["total_count"]) == (items, total), params


def test_the_sku_index_follows_new_products(
    catalog: MagentoSimulator, client: requests.Session
) -> None:
    params = search([[("sku", "sku-99,Sku-8", "in")]])
    assert client.get(f"{REST}/inventory/source-items", params=params).json()["items"] == []
    catalog.add_product("SKU-99", qty=4)
    catalog.add_product("Sku-8", qty=5)
    found = client.get(f"{REST}/inventory/source-items", params=params).json()["items"]
    assert [i["sku"] for i in found] == ["SKU-99", "Sku-8"]  # the catalog's order
    products = client.get(f"{REST}/products", params=params).json()
    assert [p["sku"] for p in products["items"]] == ["SKU-99", "Sku-8"]
    del catalog.products["SKU-99"]  # a test's shortcut after the index was built
    found = client.get(f"{REST}/inventory/source-items", params=params).json()["items"]
    assert [i["sku"] for i in found] == ["Sku-8"]


# -- the order search's keyset paging ------------------------------------------------------------


@pytest.fixture
def history(magento: MagentoSimulator) -> MagentoSimulator:
    rng = random.Random(3)
    for n in range(120):
        if rng.random() < 0.7:
            magento.advance_clock(rng.choice([1, 60, 3600]))
        status = rng.choice(["pending", "processing", "holded", "canceled"])
        state = {"pending": "new", "holded": "holded", "canceled": "canceled"}.get(
            status, "processing"
        )
        magento.add_order(
            [{"sku": f"S-{n % 7}", "qty": 1, "price": 10}],
            state=state,
            status=status,
            store_id=rng.choice([1, 1, 2]),
        )
    return magento


def _keyset_search(rng: random.Random, sim: MagentoSimulator, field: str) -> dict[str, str]:
    order = sim.orders[rng.choice(list(sim.orders))]
    since = order[field] if rng.random() < 0.9 else "2024-05-01 10:30:00"
    groups: list[list[tuple[str, str, str]]] = [[(field, since, "gteq")]]
    if rng.random() < 0.7:
        last = str(order["entity_id"]) if rng.random() < 0.9 else "x"
        groups.append([(field, since, "gt"), ("entity_id", last, "gt")])
    if rng.random() < 0.7:
        groups.append([("status", "pending,processing,holded", "in")])
    if rng.random() < 0.4:
        groups.append([("store_id", "1", "in")])
    if rng.random() < 0.2:
        groups.append([(field, "2024-05-02 00:00:00", "lteq")])
    rng.shuffle(groups)
    sorts = [(field, "ASC"), ("entity_id", "ASC")]
    if rng.random() < 0.1:
        sorts = [(field, "DESC"), ("entity_id", "ASC")]  # not a keyset: scanned
    page = rng.choice([1, 1, 1, 2, 40])
    return search(groups, sorts, rng.choice([1, 7, 100]), page)


def _scan_orders(sim: MagentoSimulator, params: Mapping[str, str]) -> tuple[list[int], int]:
    criteria = parse_search_criteria(params.items())
    assert criteria is not None
    rows = [sim.orders[k] for k in sorted(sim.orders)]
    page, total = run_search(rows, criteria, sim._options(None))
    return [int(o["entity_id"]) for o in page], total


@pytest.mark.parametrize("repeat_last_page", [False, True])
def test_keyset_pages_answer_as_a_scan(
    history: MagentoSimulator, client: requests.Session, repeat_last_page: bool
) -> None:
    history.paging_last_page_repeat = repeat_last_page
    rng = random.Random(11)
    for step in range(200):
        field = rng.choice(["created_at", "updated_at"])
        params = _keyset_search(rng, history, field)
        got = client.get(f"{REST}/orders", params=params).json()
        ids = [o["entity_id"] for o in got["items"]]
        assert (ids, got["total_count"]) == _scan_orders(history, params), params
        if step % 20 == 5:  # orders change: status, updated_at, new orders
            history.advance_clock(30)
            history.hold(rng.choice([k for k, o in history.orders.items() if o["state"] == "new"]))
        if step % 20 == 15:
            history.add_order([{"sku": "S-1", "qty": 1, "price": 10}])


def test_a_keyset_page_follows_the_whole_stream(
    history: MagentoSimulator, client: requests.Session
) -> None:
    """Paging from the start to the end with the cursor gives every matching order once."""
    key = ("2000-01-01 00:00:00", 0)
    seen: list[int] = []
    while True:
        groups = [[("created_at", key[0], "gteq")], [("status", "pending,processing", "in")]]
        if key[1]:
            groups.insert(1, [("created_at", key[0], "gt"), ("entity_id", str(key[1]), "gt")])
        params = search(groups, [("created_at", "ASC"), ("entity_id", "ASC")], 10, 1)
        got = client.get(f"{REST}/orders", params=params).json()
        assert got["total_count"] == _scan_orders(history, params)[1]
        seen += [o["entity_id"] for o in got["items"]]
        if len(got["items"]) < 10:
            break
        last = got["items"][-1]
        key = (last["created_at"], last["entity_id"])
    wanted = [
        o["entity_id"]
        for o in sorted(history.orders.values(), key=lambda o: (o["created_at"], o["entity_id"]))
        if o["status"] in ("pending", "processing")
    ]
    assert seen == wanted


def test_input_limiting_and_unknown_columns_still_apply_to_keyset_pages(
    history: MagentoSimulator, client: requests.Session
) -> None:
    history.input_limiting = True
    sorts = [("created_at", "ASC"), ("entity_id", "ASC")]
    groups = [[("created_at", "2000-01-01 00:00:00", "gteq")]]
    default = client.get(f"{REST}/orders", params=search(groups, sorts)).json()
    assert len(default["items"]) == 20 and default["search_criteria"]["page_size"] == 20
    too_big = client.get(f"{REST}/orders", params=search(groups, sorts, 301))
    assert too_big.status_code == 400
    unknown = search([*groups, [("no_such_column", "1", "eq")]], sorts, 5)
    assert client.get(f"{REST}/orders", params=unknown).status_code == 500
