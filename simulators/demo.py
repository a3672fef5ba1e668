"""The newcomer's demo: a fake Magento filling up with orders and a fake Omni that acts on them.

`run_demo_simulators()` serves both simulators on loopback, seeds Magento with sample orders
(configurable, bundle, COD, prepaid, held, virtual), keeps adding a few orders a minute, and, when
given an API key for the proxy, plays Omni's warehouse: it acknowledges, packs, invoices, labels and
hands over orders it has received, so every lifecycle step can be watched in admin.
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.base import serve
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from simulators.samples import new_random_order, seed_magento

log = logging.getLogger("demo")
DEMO_MAGENTO_TOKEN = "demo-integration-token"
DEMO_OMNI_USER, DEMO_OMNI_PASSWORD, DEMO_OMNI_DOMAIN = "demo", "demo-password", "demo"


@dataclass
class OmniPlayer:
    """Calls the proxy's Omni-facing API the way Omni's warehouse would."""

    proxy_url: str
    api_key: str
    location: str = "WH1"
    done: dict[str, str] = field(default_factory=dict)  # orderCode -> last step
    shipment_ids: int = 900000

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.proxy_url}{path}",
            data=data,
            method=method,
            headers={"X-Api-Key": self.api_key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()[:300]
        except OSError as exc:
            return 0, str(exc)

    def step(self, order: dict[str, Any]) -> None:
        """Move one order Omni received one step further."""
        code = order["orderCode"]
        last = self.done.get(code, "received")
        if order.get("onHold"):
            return
        if last == "received":
            status, _ = self.call(
                "PUT",
                "/api/omni/orders/acknowledge",
                {
                    "orders": [{"locationCode": self.location, "orderCode": code}],
                    "consolidationType": "NONE",
                },
            )
            if status == 200:
                self.done[code] = "acknowledged"
        elif last == "acknowledged":
            self.shipment_ids += 1
            items = [
                {
                    "channelSkuCode": i["channelSkuCode"],
                    "orderItemCode": i["orderItemCode"],
                    "quantityToPack": i["quantity"],
                }
                for i in order["orderItems"]
            ]
            status, body = self.call(
                "POST",
                "/api/omni/shipments/pack",
                {
                    "orderCode": code,
                    "locationCode": self.location,
                    "shipmentId": self.shipment_ids,
                    "weight": 750,
                    "dimensions": {"length": 30, "breadth": 20, "height": 10},
                    "shipmentItems": items,
                },
            )
            if status == 200:
                self.done[code] = "packed:" + body["shipmentCode"]
        elif last.startswith("packed:"):
            shipment = last.split(":", 1)[1]
            self.call("POST", "/api/omni/invoices", {"orderCode": code, "shipmentCode": shipment})
            status, body = self.call(
                "GET", f"/api/omni/shipping-label?orderCode={code}&shipmentCode={shipment}"
            )
            if status == 200:
                self.done[code] = f"labelled:{shipment}:{body['awbNumber']}"
        elif last.startswith("labelled:"):
            _, shipment, awb = last.split(":", 2)
            status, _ = self.call(
                "POST",
                "/api/omni/handover",
                {
                    "locationCode": self.location,
                    "handoverItems": [
                        {
                            "orderCode": code,
                            "shipmentCode": shipment,
                            "gatePassCode": "G1",
                            "packBoxDetailsList": [{"boxId": 1, "awbNumber": awb}],
                        }
                    ],
                },
            )
            if status == 200:
                self.done[code] = "handed_over"


def run_demo_simulators(
    *,
    magento_port: int,
    omni_port: int,
    seed_orders: int,
    orders_per_minute: float,
    proxy_url: str = "",
    api_key: str = "",
    run_seconds: float | None = None,
) -> None:
    magento = MagentoSimulator()
    magento.integration_tokens.add(DEMO_MAGENTO_TOKEN)
    magento.input_limiting = True  # a merchant's Web API limits: 20 array items a call
    omni = OmniSimulator(
        auth_username=DEMO_OMNI_USER, auth_password=DEMO_OMNI_PASSWORD, auth_domain=DEMO_OMNI_DOMAIN
    )
    seed_magento(magento, seed_orders, start=datetime.now(UTC) - timedelta(days=1))
    player = OmniPlayer(proxy_url, api_key) if proxy_url and api_key else None
    rng = random.Random(42)
    with serve(magento, port=magento_port) as m, serve(omni, port=omni_port) as o:
        log.warning("demo Magento at %s/rest/default, demo Omni at %s", m.base_url, o.base_url)
        started = time.monotonic()
        next_order = time.monotonic()
        while run_seconds is None or time.monotonic() - started < run_seconds:
            if orders_per_minute > 0 and time.monotonic() >= next_order:
                new_random_order(magento, rng)
                next_order = time.monotonic() + 60 / orders_per_minute
            if player is not None:
                for order in list(omni.orders.values())[-40:]:
                    player.step(order)
            time.sleep(5)
