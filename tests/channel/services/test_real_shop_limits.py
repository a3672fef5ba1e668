"""Contract 8.6 end to end: Magento's REST input limit, awkward SKUs, bundles."""

from __future__ import annotations

import pytest

from channel.models import Invoice, Shipment, StockLevel, StockState
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.flow import OmniScript, drain, intake

pytestmark = pytest.mark.django_db


def largest_array(magento: MagentoSimulator) -> int:
    sizes = [0]
    for request in magento.requests:
        if isinstance(request.json, dict):
            sizes += [len(v) for v in request.json.values() if isinstance(v, list)]
    return max(sizes)


def test_a_25_line_order_is_shipped_and_invoiced_in_calls_of_at_most_20_items(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.input_limiting = True  # more than 20 array items: Magento answers 400
    lines = [{"sku": f"L-{n:02d}", "qty": 1, "price": 100} for n in range(25)]
    magento.add_order(lines)
    (order,) = intake()
    script = OmniScript(api)
    code = script.ship(order, 9001, {line["sku"]: 1 for line in lines})
    assert largest_array(magento) <= 20
    assert len(magento.invoices_for(order.entity_id)) == 2
    assert len(magento.shipments_for(order.entity_id)) == 2
    shipment = Shipment.objects.get(shipment_code=code)
    assert (
        len(shipment.magento_parts) == 2
        and shipment.magento_shipment_id == shipment.magento_parts[0]
    )
    assert len(Invoice.objects.get(shipment=shipment).magento_parts) == 2
    answer = script.get_invoice(order.order_code, code)
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["invoiceDetails"]) == 25  # the documents read back together
    assert magento.get_order(order.entity_id)["state"] == "complete"


def test_a_lost_answer_never_makes_a_second_invoice_part(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.input_limiting = True
    lines = [{"sku": f"L-{n:02d}", "qty": 1, "price": 100} for n in range(21)]
    magento.add_order(lines)
    (order,) = intake()
    script = OmniScript(api)
    assert script.ack(order.order_code).status_code == 200
    magento.inject("POST", r"/invoice$", "timeout_after", times=1)
    script.pack(order.order_code, 9002, {line["sku"]: 1 for line in lines})
    drain()
    assert len(magento.invoices_for(order.entity_id)) == 2
    assert Invoice.objects.get().magento_parts == [
        i["entity_id"] for i in magento.invoices_for(order.entity_id)
    ]


def test_the_stock_push_respects_the_input_limit(api, magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "default"}
    settings.MAGENTO_SOURCE_ITEMS_CHUNK = 50
    settings.MAGENTO_INPUT_LIMIT = 20
    magento.input_limiting = True
    for n in range(45):
        magento.add_product(f"S-{n:02d}", qty=0)
    answer = OmniScript(api).push_stock("WH1", *[(f"S-{n:02d}", 5) for n in range(45)])
    assert answer.json()["failureList"] == []
    assert largest_array(magento) == 20


AWKWARD = ("A/B", "..", "Ü-1 XL")


def test_awkward_skus_are_pushed_packed_and_shipped(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_product("1", qty=9)  # "/V1/products/../stockItems/1" would reach SKU "1"
    for sku in AWKWARD:
        magento.add_product(sku, qty=0)
    magento.add_order([{"sku": sku, "qty": 1, "price": 100} for sku in AWKWARD])
    (order,) = intake()
    script = OmniScript(api)
    pushed = script.push_stock("WH1", *[(sku, 4) for sku in AWKWARD]).json()
    assert pushed == {"successList": list(AWKWARD), "failureList": []}
    assert [magento.salable_qty(sku) for sku in AWKWARD] == [4, 4, 4]
    assert magento.products["1"]["stock"]["qty"] == 9
    script.ship(order, 9003, {sku: 1 for sku in AWKWARD})
    shipped = {i["sku"]: i["qty_shipped"] for i in magento.get_order(order.entity_id)["items"]}
    assert shipped == {"A/B": 1, "..": 1, "Ü-1 XL": 1}
    assert [magento.salable_qty(sku) for sku in AWKWARD] == [4, 4, 4]
    paths = [r.path for r in magento.requests]
    assert not any("%2F" in p.upper() or "/../" in p or p.endswith("/..") for p in paths)


def test_a_sku_that_no_call_can_carry_fails_naming_it(
    api, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_RESERVATIONS = False  # no MSI modules: only the legacy path call exists
    magento.add_product("A/B", qty=0)
    answer = OmniScript(api).push_stock("WH1", ("A/B", 4)).json()
    assert answer == {"successList": [], "failureList": ["A/B"]}
    row = StockLevel.objects.get(sku="A/B")
    assert row.state == StockState.FAILED and "'A/B'" in row.last_error


def test_awkward_skus_with_msi_sources(api, magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "default"}
    for sku in AWKWARD:
        magento.add_product(sku, qty=0)
    answer = OmniScript(api).push_stock("WH1", *[(sku, 3) for sku in AWKWARD]).json()
    assert answer["failureList"] == []
    from channel.services import inventory

    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted, report.missing) == (3, [], [])


def test_a_fixed_price_bundle_shipped_separately_is_invoiced_through_its_parent(
    api, magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    settings.MAGENTO_BUNDLES_SHIP_SEPARATELY = True
    bundle = {
        "type": "bundle",
        "sku": "KIT",
        "qty": 1,
        "dynamic_price": False,
        "ship_together": False,
        "price": 1500,
        "children": [{"sku": "KIT-A", "qty": 1}, {"sku": "KIT-B", "qty": 2}],
    }
    raw = magento.add_order([bundle])
    (order,) = intake()
    script = OmniScript(api)
    script.ship(order, 9004, {"KIT-A": 1, "KIT-B": 2})
    (invoice,) = magento.invoices_for(order.entity_id)
    parent = raw["items"][0]["item_id"]
    invoiced = {i["order_item_id"]: i["qty"] for i in invoice["items"]}
    assert invoiced[parent] == 1
    (shipment,) = magento.shipments_for(order.entity_id)
    children = {i["item_id"]: i["sku"] for i in raw["items"][1:]}
    shipped = {
        children[i["order_item_id"]]: i["qty"]
        for i in shipment["items"]
        if i["order_item_id"] in children
    }
    assert shipped == {"KIT-A": 1, "KIT-B": 2}
    ship_call = magento.calls("POST", r"/ship$")[0].json
    assert parent not in {i["order_item_id"] for i in ship_call["items"]}
    assert magento.get_order(order.entity_id)["state"] == "complete"


COMMA = "A,B"  # Magento splits an `in` filter's value at commas


def test_a_sku_with_a_comma_is_reserved_pushed_and_invoiced_with_its_hsn(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_product(COMMA, qty=0)
    magento.add_product("A", qty=0)
    magento.add_order([{"sku": COMMA, "qty": 2, "price": 1180, "tax_percent": 18, "hsn": "6104"}])
    (order,) = intake()
    script = OmniScript(api)
    pushed = script.push_stock("WH1", (COMMA, 10), ("A", 3)).json()
    assert pushed == {"successList": [COMMA, "A"], "failureList": []}
    assert (magento.salable_qty(COMMA), magento.salable_qty("A")) == (10, 3)
    row = StockLevel.objects.get(sku=COMMA)
    assert (row.reserved_units, row.written_quantity) == (2, 12)
    assert script.ack(order.order_code).status_code == 200
    code = script.pack(order.order_code, 7101, {COMMA: 2}).json()["shipmentCode"]
    answer = script.invoice(order.order_code, code)
    assert answer.status_code == 200, answer.content
    assert order.lines.get().hsn_code == "6104"


def test_a_sku_with_a_comma_in_msi_sources(api, magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "default"}
    magento.add_product(COMMA, qty=0)
    magento.add_product("B", qty=0)
    answer = OmniScript(api).push_stock("WH1", (COMMA, 3), ("B", 4)).json()
    assert answer["failureList"] == []
    from channel.services import inventory

    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted, report.missing) == (2, [], [])
