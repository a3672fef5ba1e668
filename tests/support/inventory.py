"""Shared pieces of the inventory tests: the fake Magento with a few products, small helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulators.magento import MagentoSimulator

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def magento_sim(magento: MagentoSimulator) -> MagentoSimulator:
    """The shared fake Magento (tests/conftest.py) with SKU-1 … SKU-3, 100 in stock each."""
    for sku in ("SKU-1", "SKU-2", "SKU-3"):
        magento.add_product(sku, qty=100)
    return magento


def stock_of(sim: MagentoSimulator, sku: str) -> tuple[float, bool]:
    stock = sim.products[sku]["stock"]
    return stock["qty"], stock["is_in_stock"]


def source_qty(sim: MagentoSimulator, sku: str, source: str) -> float | None:
    item = sim.products[sku]["sources"].get(source)
    return None if item is None else item["quantity"]


def put_inventory(api: Any, body: Any) -> Any:
    return api.put("/api/omni/inventory", json.dumps(body), content_type="application/json")


def location_body(location: str, *lines: tuple[str, Any]) -> dict[str, Any]:
    return {
        "locationCode": location,
        "inventories": [{"channelSkuCode": sku, "quantity": qty} for sku, qty in lines],
    }
