"""MSI stocks, reservations and salable quantities (Magento 2.3+ Inventory modules).

* A **stock** groups sources (``stocks``: stock id -> source codes; default ``{1: ["default"]}``)
  and serves sales channels (``stock_channels``: website code -> stock id; ``base`` -> 1).
* Placing an order appends a negative **reservation** per simple SKU on the order's stock
  (``order_stock_id``); a shipment, a cancellation and a credit memo of unshipped units append
  the compensations (never more than the line still reserves).
* Salable quantity = Σ quantity of the stock's in-stock source items + Σ reservations
  (threshold 0): ``GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}`` (a bare
  number; 0 for a SKU in no source of the stock; 404 for an unknown SKU; 400 for composite
  types) and, batched with the SKUs in the query,
  ``GET /V1/inventory/export-stock-salable-qty/website/{code}?searchCriteria…``.
* ``reservations_enabled`` False models a shop with the MSI modules disabled: no reservations;
  placing an order lowers the legacy quantity instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import MSG_NO_SKU, MagentoError, _copy, num, parse_int

MSG_NO_SOURCE_ITEMS = "Can't check requested quantity for products without Source Items support."
MSG_NOT_AVAILABLE = "Not all of your products are available in the requested quantity."
MSG_NO_STOCK = 'Stock with id "%value" does not exist.'
MSG_NO_CHANNEL = "No linked stock found"


class MsiMixin:
    """MagentoSimulator's stocks, reservations and salable quantities."""

    def _init_msi(self) -> None:
        self.reservations_enabled = True
        self.order_stock_id = 1
        self.stocks: dict[int, list[str]] = {1: ["default"]}
        self.stock_channels: dict[str, int] = {"base": 1}
        self.reservations: list[dict[str, Any]] = []

    # -- builder API ---------------------------------------------------------------------------

    def add_stock(self, stock_id: int, sources: list[str], *, website: str | None = None) -> None:
        """Create or replace a stock made of ``sources`` (optionally serving ``website``)."""
        with self.lock:
            self.stocks[stock_id] = list(sources)
            self.source_codes.update(sources)
            if website:
                self.stock_channels[website] = stock_id

    def reserved(self, sku: str, stock_id: int = 1) -> float:
        """Σ reservations of a SKU on a stock (negative while orders are open)."""
        with self.lock:
            return num(
                sum(
                    float(r["quantity"])
                    for r in self.reservations
                    if r["sku"] == sku and r["stock_id"] == stock_id
                )
            )

    def salable_qty(self, sku: str, stock_id: int = 1) -> float:
        """What ``get-product-salable-quantity`` answers (raises MagentoError)."""
        with self.lock:
            product = self.products.get(sku)
            if product is None:
                raise MagentoError(404, MSG_NO_SKU, [sku])
            if product["type"] not in ("simple", "virtual", "downloadable"):
                raise MagentoError(400, MSG_NO_SOURCE_ITEMS)
            if stock_id not in self.stocks:
                raise MagentoError(404, MSG_NO_STOCK, {"value": stock_id})
            sources = [
                product["sources"][c] for c in self.stocks[stock_id] if c in product["sources"]
            ]
            if not sources:
                return 0
            on_hand = sum(float(s["quantity"]) for s in sources if int(s["status"]) == 1)
            return num(on_hand + self.reserved(sku, stock_id))

    # -- reservations --------------------------------------------------------------------------

    def _reserve_order(self, order: dict[str, Any]) -> None:
        for item in order["items"]:
            if item["product_type"] != "simple" or item["is_virtual"]:
                continue
            qty = float(item["qty_ordered"])
            if not self.reservations_enabled:
                product = self.products.get(item["sku"])
                if product is not None:
                    left = max(0.0, float(product["stock"]["qty"]) - qty)
                    self._set_source_qty(product, "default", left, 1 if left > 0 else 0)
                continue
            item["_reserved"] = qty
            item["_stock_id"] = self.order_stock_id
            self._append_reservation(item, -qty, "order_placed", order)

    def _compensate(
        self, order: Mapping[str, Any], item: dict[str, Any], qty: float, event: str
    ) -> None:
        """Give back up to ``qty`` reserved units of ``item`` (shipment, cancel, credit memo)."""
        reserved = float(item.get("_reserved") or 0)
        back = min(reserved, qty)
        if back <= 0:
            return
        item["_reserved"] = reserved - back
        self._append_reservation(item, back, event, order)

    def _append_reservation(
        self, item: Mapping[str, Any], qty: float, event: str, order: Mapping[str, Any]
    ) -> None:
        self.reservations.append(
            {
                "reservation_id": self._next_id("reservation"),
                "stock_id": int(item.get("_stock_id") or self.order_stock_id),
                "sku": item["sku"],
                "quantity": num(qty),
                "metadata": {"event_type": event, "object_id": order["entity_id"]},
            }
        )

    def _check_source_quantities(
        self, order: Mapping[str, Any], qtys: Mapping[int, float], source: str
    ) -> None:
        """Source deduction at shipment fails when the source holds less than is shipped."""
        by_id = {i["item_id"]: i for i in order["items"]}
        for item_id, qty in qtys.items():
            item = by_id[item_id]
            product = self.products.get(item["sku"])
            if item["product_type"] != "simple" or item["is_virtual"] or product is None:
                continue
            current = product["sources"].get(source)
            if current is None or float(current["quantity"]) < qty:
                raise MagentoError(400, MSG_NOT_AVAILABLE)

    # -- REST handlers -------------------------------------------------------------------------

    def _h_salable_qty(self, req: RecordedRequest, sku: str, stock_id: str) -> SimResponse:
        return SimResponse(200, self.salable_qty(unquote(sku), parse_int(stock_id)))

    def _h_export_salable(self, req: RecordedRequest, type: str, code: str) -> SimResponse:
        stock_id = self.stock_channels.get(unquote(code)) if type == "website" else None
        if stock_id is None:
            raise MagentoError(400, MSG_NO_CHANNEL)
        criteria = self._criteria(req)
        rows = []
        for product in self._products_for(criteria):
            if product["type"] not in ("simple", "virtual", "downloadable"):
                continue
            if not any(c in product["sources"] for c in self.stocks[stock_id]):
                continue
            qty = self.salable_qty(product["sku"], stock_id)
            rows.append({"sku": product["sku"], "qty": qty, "is_salable": qty > 0})
        return self._search_response(req, rows, _copy, {"sku", "qty", "is_salable"}, criteria)
