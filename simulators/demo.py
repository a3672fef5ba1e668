"""The newcomer's demo: a fake Magento filling up with orders and a fake Omni that acts on them.

`run_demo_simulators()` serves both simulators on loopback, seeds Magento with sample orders
(configurable, bundle, COD, prepaid, held, virtual), keeps adding a few orders a minute, and, when
given an API key for the proxy, plays Omni's warehouse: it acknowledges, packs, invoices, labels,
manifests and hands over orders it has received, pushes stock every minute and, with a returns
key, books a return for every third order handed over, so every panel of admin fills up.

Within the first minutes it also produces what support meets in real life: a customer who cancels
an order in Magento after Omni received it, a seller cancellation by Omni of an order paid by a
prepaid method (`DEMO_PREPAID_METHODS`: Magento invoiced it when the payment was captured, so the
proxy refunds it by a credit memo, shown on the order in admin), and a return Omni refuses (the
first one is booked without its AWB, which the demo Omni requires): it waits in admin for a person
to add the AWB and send it again.
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
from simulators.ims import ImsSimulator
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from simulators.samples import new_random_order, seed_magento

log = logging.getLogger("demo")
DEMO_MAGENTO_TOKEN = "demo-integration-token"
# The demo's fake Adobe IMS (scripts/demo with DEMO_AUTH=ims): its client and organisation.
DEMO_IMS_CLIENT, DEMO_IMS_SECRET, DEMO_IMS_ORG = "demo-client", "demo-ims-secret", "DEMO@AdobeOrg"
DEMO_OMNI_USER, DEMO_OMNI_PASSWORD, DEMO_OMNI_DOMAIN = "demo", "demo-password", "demo"
# Payment methods the demo Magento invoices (captures online) when an order is placed.
DEMO_PREPAID_METHODS = frozenset({"razorpay"})


@dataclass
class OmniPlayer:
    """Calls the proxy's Omni-facing API the way Omni's warehouse would."""

    proxy_url: str
    api_key: str
    location: str = "WH1"
    returns_key: str = ""
    transporter: str = "Delhivery"
    done: dict[str, str] = field(default_factory=dict)  # orderCode -> last step
    shipment_ids: int = 900000
    handed_over: int = 0
    returns_booked: int = 0
    stock: dict[str, int] = field(default_factory=dict)  # SKUs seen -> quantity last pushed
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def call(self, method: str, path: str, body: Any = None, *, key: str = "") -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.proxy_url}{path}",
            data=data,
            method=method,
            headers={"X-Api-Key": key or self.api_key, "Content-Type": "application/json"},
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
            self.call(
                "POST",
                "/api/omni/manifests",
                {
                    "transporter": self.transporter,
                    "locationCode": self.location,
                    "manifestItems": [
                        {"orderCode": code, "shipmentCode": shipment, "awbNumber": awb}
                    ],
                },
            )
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
                self.handed_over += 1
                if self.handed_over % 3 == 1:
                    self.book_return(order)

    def cancel_prepaid(self, order: dict[str, Any]) -> bool:
        """Omni's seller cancellation of every unit of a prepaid order it has received (once in
        the demo): Magento had invoiced it, so the proxy refunds it by a credit memo. False when
        the order is not prepaid or the proxy refunded nothing."""
        metadata = order.get("orderCustomAttributes", {}).get("channelMetadata", {})
        if order.get("onHold") or metadata.get("paymentMethod") not in DEMO_PREPAID_METHODS:
            return False
        code = order["orderCode"]
        items = [
            {
                "channelSkuCode": i["channelSkuCode"],
                "orderItemCode": i["orderItemCode"],
                "cancelledQuantity": i["quantity"],
            }
            for i in order["orderItems"]
        ]
        body = {"orderCode": code, "locationCode": self.location, "orderItems": items}
        status, answer = self.call("PUT", "/api/omni/orders/cancel", body)
        if status != 200 or not (answer or {}).get("refunds"):
            return False
        self.done[code] = "cancelled"
        log.warning("demo: Omni cancelled prepaid order %s: %s", code, answer.get("message"))
        return True

    def book_return(self, order: dict[str, Any]) -> None:
        """A customer return of one unit through the returns API; the first one without its
        AWB (the demo Omni refuses it: support adds the AWB in admin and sends it again)."""
        if not self.returns_key:
            return
        self.returns_booked += 1
        first = self.returns_booked == 1
        item = order["orderItems"][0]
        self.call(
            "POST",
            "/api/returns/",
            {
                "forwardOrderCode": order["orderCode"],
                "orderType": "CUSTOMER_RETURN",
                "awbNumber": "" if first else f"RET{100000 + self.returns_booked}",
                "transporter": "" if first else self.transporter,
                "orderItems": [
                    {
                        "channelSkuCode": item["channelSkuCode"],
                        "reason": "Size does not fit",
                        "quantity": 1,
                    }
                ],
            },
            key=self.returns_key,
        )

    def push_stock(self, orders: list[dict[str, Any]]) -> None:
        """Omni's stock push (location-wise) for the SKUs seen in orders."""
        for order in orders:
            for item in order["orderItems"]:
                self.stock.setdefault(item["channelSkuCode"], 0)
        skus = sorted(self.stock)[:50]
        if not skus:
            return
        for sku in skus:
            self.stock[sku] = self.rng.randint(5, 60)
        self.call(
            "PUT",
            "/api/omni/inventory",
            {
                "locationCode": self.location,
                "inventories": [{"channelSkuCode": s, "quantity": self.stock[s]} for s in skus],
            },
        )


def cancel_by_customer(magento: MagentoSimulator, player: OmniPlayer, order: dict) -> bool:
    """The customer cancels, in Magento, an order Omni has received (once in the demo); the
    proxy's next sync sends Omni the cancellation. False when Magento cannot cancel it."""
    code = order["orderCode"]
    entity = next((o for o in list(magento.orders.values()) if o["increment_id"] == code), None)
    if entity is None or order.get("onHold") or not magento.cancel(entity["entity_id"]):
        return False
    player.done[code] = "cancelled"
    log.warning("demo: the customer of %s cancelled it in Magento", code)
    return True


def run_demo_simulators(
    *,
    magento_port: int,
    omni_port: int,
    seed_orders: int,
    orders_per_minute: float,
    proxy_url: str = "",
    api_key: str = "",
    returns_key: str = "",
    run_seconds: float | None = None,
    ims_port: int = 0,
) -> None:
    magento = MagentoSimulator()
    magento.integration_tokens.add(DEMO_MAGENTO_TOKEN)
    ims = ImsSimulator(clients={DEMO_IMS_CLIENT: DEMO_IMS_SECRET}, org_id=DEMO_IMS_ORG)
    magento.ims = ims  # its tokens are accepted too (MAGENTO_AUTH_MODE=ims)
    magento.input_limiting = True  # a merchant's Web API limits: 20 array items a call
    omni = OmniSimulator(
        auth_username=DEMO_OMNI_USER, auth_password=DEMO_OMNI_PASSWORD, auth_domain=DEMO_OMNI_DOMAIN
    )
    omni.require_awb = True  # a return without its AWB is refused (the demo's fixable failure)
    # Seeded orders move along for up to ~2 days after they are created: started 3 days ago,
    # none is updated in the future (the proxy's change cursor would then skip today's changes).
    seed_magento(magento, seed_orders, start=datetime.now(UTC) - timedelta(days=3))
    magento.prepaid_methods = set(DEMO_PREPAID_METHODS)  # new orders paid so are invoiced at once
    player = (
        OmniPlayer(proxy_url, api_key, returns_key=returns_key) if proxy_url and api_key else None
    )
    cancelled = refunded = False
    next_stock = time.monotonic() + 20
    rng = random.Random(42)
    with (
        serve(magento, port=magento_port) as m,
        serve(omni, port=omni_port) as o,
        serve(ims, port=ims_port) as i,
    ):
        log.warning("demo Magento at %s/rest/default, demo Omni at %s", m.base_url, o.base_url)
        log.warning("demo Adobe IMS at %s/ims/token/v3", i.base_url)
        started = time.monotonic()
        next_order = time.monotonic()
        while run_seconds is None or time.monotonic() - started < run_seconds:
            if orders_per_minute > 0 and time.monotonic() >= next_order:
                new_random_order(magento, rng)
                next_order = time.monotonic() + 60 / orders_per_minute
            if player is not None:
                received = list(omni.orders.values())[-40:]
                for order in received:
                    if not cancelled and order["orderCode"] not in player.done:
                        cancelled = cancel_by_customer(magento, player, order)
                    elif not refunded and order["orderCode"] not in player.done:
                        refunded = player.cancel_prepaid(order)
                    player.step(order)
                if time.monotonic() >= next_stock:
                    player.push_stock(received)
                    next_stock = time.monotonic() + 60
            time.sleep(5)
