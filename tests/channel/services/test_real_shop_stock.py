"""Contract 8.1 end to end: after a push Magento's salable quantity is Omni's, whatever orders
are open (MSI reservations), also in legacy mode and with several sources."""

from __future__ import annotations

import pytest

from channel.models import StockLevel
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.flow import OmniScript, intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(api, magento: MagentoSimulator, omni: OmniSimulator) -> OmniScript:
    magento.add_product("TEE-1", qty=0)
    magento.add_order([{"sku": "TEE-1", "qty": 2}])
    magento.add_order([{"sku": "TEE-1", "qty": 1}])
    return OmniScript(api)


def test_units_reserved_by_pushed_orders_are_added_so_salable_is_omnis(
    shop: OmniScript, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    first, second = intake()
    assert magento.reserved("TEE-1") == -3
    assert shop.push_stock("WH1", ("TEE-1", 10)).json()["successList"] == ["TEE-1"]
    assert magento.salable_qty("TEE-1") == 10
    row = StockLevel.objects.get(sku="TEE-1")
    assert (row.quantity, row.reserved_units, row.written_quantity) == (10, 3, 13)
    shop.ship(first, 120001, {"TEE-1": 2})
    assert magento.shipments_for(first.entity_id)
    assert magento.salable_qty("TEE-1") == 10  # source deducted, reservation compensated
    shop.push_stock("WH1", ("TEE-1", 10))
    assert magento.salable_qty("TEE-1") == 10
    row.refresh_from_db()
    assert (row.reserved_units, row.written_quantity) == (1, 11)


def test_orders_omni_does_not_have_yet_and_cancelled_orders_add_nothing(
    shop: OmniScript, magento: MagentoSimulator, settings
) -> None:
    settings.OMNI_PUSH_ORDERS = False  # Omni has not got them: their units are not in its number
    intake()
    shop.push_stock("WH1", ("TEE-1", 10))
    assert magento.salable_qty("TEE-1") == 7


def test_reservations_off_writes_omnis_number_as_it_is(
    shop: OmniScript, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_RESERVATIONS = False
    intake()
    shop.push_stock("WH1", ("TEE-1", 10))
    assert magento.products["TEE-1"]["stock"]["qty"] == 10


def test_legacy_stock_is_the_sum_over_locations(
    shop: OmniScript, magento: MagentoSimulator
) -> None:
    magento.add_product("CAP-1", qty=0)
    shop.push_stock("WH1", ("CAP-1", 10))
    shop.push_stock("WH2", ("CAP-1", 5))
    assert magento.salable_qty("CAP-1") == 15
    assert magento.products["CAP-1"]["stock"]["qty"] == 15


def test_msi_adds_the_reserved_units_at_the_source_of_the_orders_location(
    shop: OmniScript, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "wh1", "WH2": "wh2"}
    magento.add_stock(1, ["wh1", "wh2"], website="base")
    first, second = intake()
    assert OmniScript(shop.api, "WH2").ack(second.order_code).status_code == 200
    shop.push_stock("WH1", ("TEE-1", 10))
    shop.push_stock("WH2", ("TEE-1", 5))
    assert magento.salable_qty("TEE-1") == 15
    wh1 = StockLevel.objects.get(sku="TEE-1", location_code="WH1")
    wh2 = StockLevel.objects.get(sku="TEE-1", location_code="WH2")
    assert (wh1.reserved_units, wh2.reserved_units) == (2, 1)  # unallocated: first mapped location
    assert magento.products["TEE-1"]["sources"]["wh1"]["quantity"] == 12


def test_the_reconciliation_compares_salable_quantities(
    shop: OmniScript, magento: MagentoSimulator
) -> None:
    from channel.services import inventory

    intake()
    shop.push_stock("WH1", ("TEE-1", 10))
    shop.push_stock("WH2", ("TEE-1", 4))
    report = inventory.stock_reconcile()
    assert (report.checked, report.drifted, report.errors) == (2, [], [])
    magento.add_order([{"sku": "TEE-1", "qty": 1}])  # not yet seen by the proxy
    report = inventory.stock_reconcile()
    assert report.drifted == ["TEE-1"]
    assert set(StockLevel.objects.values_list("observed_quantity", "drift")) == {(13, -1)}


def test_a_configurable_parent_becomes_salable_with_its_children(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    from tests.support.flow import drain

    magento.add_order([{"type": "configurable", "sku": "KURTA-M", "parent_sku": "KURTA", "qty": 1}])
    intake()
    script = OmniScript(api)
    script.push_stock("WH1", ("KURTA-M", 0))
    assert not magento.is_salable("KURTA")
    script.push_stock("WH1", ("KURTA-M", 5))  # Magento alone would leave KURTA out of stock
    drain()
    assert magento.is_salable("KURTA-M") and magento.is_salable("KURTA")
    puts = magento.calls("PUT", r"/products/KURTA/stockItems/1$")
    assert [p.json for p in puts] == [{"stockItem": {"is_in_stock": True}}]


def test_a_configurable_parent_becomes_salable_when_the_background_retry_restocks_a_child(
    api, magento: MagentoSimulator, omni: OmniSimulator, settings
) -> None:
    from tests.support.flow import drain

    settings.OMNI_PUSH_ORDERS = False  # no reserved units: the child is written 0, then 5
    magento.add_order([{"type": "configurable", "sku": "KURTA-M", "parent_sku": "KURTA", "qty": 1}])
    intake()
    script = OmniScript(api)
    script.push_stock("WH1", ("KURTA-M", 0))
    drain()
    magento.inject("PUT", r"/products/KURTA-M/stockItems/1$", "status", times=1, status=503)
    answer = script.push_stock("WH1", ("KURTA-M", 5)).json()
    assert answer["failureList"] == ["KURTA-M"]  # Magento down: written again in the background
    assert not magento.is_salable("KURTA")
    drain()
    assert StockLevel.objects.get(sku="KURTA-M").written_quantity == 5
    assert magento.is_salable("KURTA-M") and magento.is_salable("KURTA")
    puts = magento.calls("PUT", r"/products/KURTA/stockItems/1$")
    assert [p.json for p in puts] == [{"stockItem": {"is_in_stock": True}}]
