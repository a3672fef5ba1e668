"""The fuzz tests' world: the contract's examples in the database, fakes for Magento and Omni.

Nothing leaves the process: `channel.http` sends Magento's and Omni's calls to in-process
simulators and refuses every other URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core import signals
from django.db import close_old_connections
from requests.adapters import BaseAdapter
from rest_framework.test import APIClient

from channel.api.serializers import common as doc
from channel.integrations import http
from channel.models import ApiKeyScope, Manifest, Order
from channel.services.apikeys import api_key_create
from channel.services.orders import order_upsert
from simulators.base import SimulatorAdapter
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.api import example_body, key_header
from tests.support.settings import MAGENTO_TOKEN, OMNI_PASSWORD
from tests.support.shipping import make_location


class NoNetwork(BaseAdapter):
    """Every URL the simulators do not answer: a request would leave the machine."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        raise AssertionError(f"the fuzz tests may not call {request.url}")

    def close(self) -> None:
        pass


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Calls that reach Django through WSGI, not its test client, must keep the test's
    connection open at the end of each request (as the test client does), or PostgreSQL loses
    the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def keys(db: None) -> dict[str, str]:
    """A valid API key per scope."""
    return {
        "omni": api_key_create(name="fuzz-omni", scope=ApiKeyScope.OMNI)[1],
        "returns": api_key_create(name="fuzz-returns", scope=ApiKeyScope.RETURNS)[1],
    }


@pytest.fixture
def simulators(settings: Any) -> Iterator[MagentoSimulator]:
    settings.OMNI_PUSH_ORDERS = False
    magento = MagentoSimulator()
    magento.set_clock("2026-01-31 09:00:00")
    magento.integration_tokens.add(MAGENTO_TOKEN)
    omni = OmniSimulator(
        auth_username="omni-user",
        auth_password=OMNI_PASSWORD,
        auth_domain="tenant",
        path_prefix="/assure-magic2",
    )
    http.mount("http://", NoNetwork())
    http.mount("https://", NoNetwork())
    http.mount("http://magento.test", SimulatorAdapter(magento))
    http.mount("http://omni.test", SimulatorAdapter(omni))
    yield magento
    http.unmount_all()


@pytest.fixture
def seeded(simulators: MagentoSimulator, keys: dict[str, str]) -> None:
    """The contract's examples made real, through the API itself.

    Order 000000123 (in Magento and the mirror), SKU-1 × 4 and SKU-2 × 2: shipment -1 (shipmentId
    120001, 1 × SKU-1, invoiced, AWB1 on manifest MF-WH1-20260131-0001), shipment -2 (2 × SKU-1,
    handed over, one unit in return R-000000123-1); one SKU-1 and both SKU-2 still open. A second
    order with a cancelled line, and warehouse WH1's address.
    """
    raw = simulators.add_order(
        [
            {"sku": doc.SKU, "qty": 4, "price": 1180, "tax_percent": 18},
            {"sku": "SKU-2", "qty": 2, "price": 590, "tax_percent": 18},
        ],
        state="processing",
        increment_id=doc.ORDER_CODE,
    )
    order_upsert(raw=raw)
    cancelled = simulators.add_order([{"sku": "SKU-3", "qty": 2, "price": 100}], state="canceled")
    cancelled["items"][0]["qty_canceled"] = 2
    order_upsert(raw=cancelled)
    make_location(doc.LOCATION_CODE)
    omni = APIClient()
    omni.credentials(**{key_header(): keys["omni"]})
    order = {"orderCode": doc.ORDER_CODE, "locationCode": doc.LOCATION_CODE}
    for shipment_id, units in ((doc.SHIPMENT_ID, 1), (119001, 2)):
        items = [{"channelSkuCode": doc.SKU, "quantityToPack": units}]
        body = {**order, "shipmentId": shipment_id, "shipmentItems": items}
        post(omni, "/api/omni/shipments/pack", body)
    post(
        omni, "/api/omni/invoices", {"orderCode": doc.ORDER_CODE, "shipmentCode": doc.SHIPMENT_CODE}
    )
    post(omni, "/api/omni/manifests", example_body("createManifest"))
    Manifest.objects.update(manifest_code=doc.MANIFEST_CODE)  # the contract's, whatever the day
    box = {"boxId": 1, "awbNumber": "AWB2"}
    item = {
        "orderCode": doc.ORDER_CODE,
        "shipmentCode": f"{doc.ORDER_CODE}-2",
        "packBoxDetailsList": [box],
    }
    post(omni, "/api/omni/handover", {"locationCode": doc.LOCATION_CODE, "handoverItems": [item]})
    returns = APIClient()
    returns.credentials(**{key_header(): keys["returns"]})
    unit = {"channelSkuCode": doc.SKU, "quantity": 1, "reason": "Size too small"}
    body = {
        "forwardOrderCode": doc.ORDER_CODE,
        "returnOrderCode": doc.RETURN_ORDER_CODE,
        "orderType": "CUSTOMER_RETURN",
        "orderItems": [unit],
    }
    post(returns, "/api/returns/", body)
    assert Order.objects.count() == 2


def post(client: APIClient, path: str, body: dict[str, Any]) -> None:
    response = client.post(path, body, format="json")
    assert response.status_code in (200, 201), response.content
