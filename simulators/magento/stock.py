"""Catalog and stock: legacy stock items (``/V1/stockItems``) and MSI source items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    MSG_NO_SKU,
    MSG_SOURCE_SAVE,
    MagentoError,
    _copy,
    _required,
    num,
    parse_int,
    parse_number,
    snake_keys,
)
from simulators.magento.search import SearchCriteria, match_keys


def _stock_item(product_id: int, qty: float, in_stock: bool) -> dict[str, Any]:
    return {
        "item_id": product_id,
        "product_id": product_id,
        "stock_id": 1,
        "qty": num(qty),
        "is_in_stock": bool(in_stock),
        "is_qty_decimal": False,
        "show_default_notification_message": False,
        "use_config_min_qty": True,
        "min_qty": 0,
        "use_config_min_sale_qty": 1,
        "min_sale_qty": 1,
        "use_config_max_sale_qty": True,
        "max_sale_qty": 10000,
        "use_config_backorders": True,
        "backorders": 0,
        "use_config_notify_stock_qty": True,
        "notify_stock_qty": 1,
        "use_config_qty_increments": True,
        "qty_increments": 0,
        "use_config_enable_qty_inc": True,
        "enable_qty_increments": False,
        "use_config_manage_stock": True,
        "manage_stock": True,
        "low_stock_date": None,
        "is_decimal_divided": False,
        "stock_status_changed_auto": 0,
    }


def _source_item(sku: str, code: str, quantity: float) -> dict[str, Any]:
    return {
        "sku": sku,
        "source_code": code,
        "quantity": num(quantity),
        "status": 1 if quantity > 0 else 0,
    }


def _product_row(product: Mapping[str, Any]) -> dict[str, Any]:
    attributes = product.get("attributes") or {}
    return {
        "id": product["product_id"],
        "entity_id": product["product_id"],
        "sku": product["sku"],
        "name": product["name"],
        "type_id": product["type"],
        "price": product["price"],
        "status": 1,
        "custom_attributes": [
            {"attribute_code": code, "value": value} for code, value in attributes.items()
        ],
    }


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _interpolate(error: Mapping[str, Any]) -> str:
    message = str(error["message"])
    for key, value in (error.get("parameters") or {}).items():
        message = message.replace(f"%{key}", str(value))
    return message


class StockMixin:
    """MagentoSimulator's catalog, legacy stock items and MSI source items."""

    # -- catalog -------------------------------------------------------------------------------

    def add_product(
        self,
        sku: str,
        *,
        qty: float = 100,
        type: str = "simple",
        name: str | None = None,
        price: float = 0.0,
        is_in_stock: bool | None = None,
        sources: Mapping[str, float] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create or replace a product with a legacy stock item and MSI source items
        (``sources`` maps source_code -> quantity; default: ``{"default": qty}``);
        ``attributes`` are custom attributes (e.g. ``{"hsn_code": "6109"}``)."""
        with self.lock:
            product_id = self._next_id("product")
            in_stock = qty > 0 if is_in_stock is None else is_in_stock
            product = {
                "product_id": product_id,
                "sku": sku,
                "name": name or sku,
                "type": type,
                "price": price,
                "stock": _stock_item(product_id, qty, in_stock),
                "sources": {},
                "attributes": dict(attributes or {}),
            }
            if sku not in self.products:
                self._sku_index = None  # a new SKU: at the end of the catalog's order
            self.products[sku] = product
            for code, quantity in (sources if sources is not None else {"default": qty}).items():
                self.source_codes.add(code)
                product["sources"][code] = _source_item(sku, code, quantity)
            return product

    def _skus_by_key(self) -> tuple[dict[str, list[str]], dict[str, int]] | None:
        """The catalog's SKUs by lower-cased SKU, and each SKU's place in the catalog's order
        (what a database index on the SKU gives a search); None when a SKU is not a string."""
        index = self._sku_index
        if index is None or len(index[1]) != len(self.products):  # a product deleted directly
            if not all(isinstance(sku, str) for sku in self.products):
                return None
            by_key: dict[str, list[str]] = {}
            for sku in self.products:
                by_key.setdefault(sku.casefold(), []).append(sku)
            index = self._sku_index = (by_key, {sku: n for n, sku in enumerate(self.products)})
        return index

    def _products_for(self, criteria: SearchCriteria) -> Iterable[dict[str, Any]]:
        """The products a search on SKUs can match, in the catalog's order: those the SKU
        filter names (looked up in the index), or every product when it names none."""
        keys = match_keys(criteria, "sku")
        index = self._skus_by_key() if keys is not None else None
        if keys is None or index is None:
            return list(self.products.values())
        by_key, place = index
        found = {sku for key in keys for sku in by_key.get(key, ())}
        return [self.products[sku] for sku in sorted(found, key=place.__getitem__)]

    def link_child(self, parent_sku: str, child_sku: str) -> None:
        """Make ``child_sku`` a child of the configurable ``parent_sku``."""
        with self.lock:
            parent, child = self._product(parent_sku, type="configurable"), self._product(child_sku)
            if child_sku not in parent.setdefault("children", []):
                parent["children"].append(child_sku)
            if parent_sku not in child.setdefault("parents", []):
                child["parents"].append(parent_sku)

    def is_salable(self, sku: str, stock_id: int = 1) -> bool:
        """What the storefront shows: a simple SKU with salable units; a configurable parent
        in stock (its own status) with a salable child."""
        with self.lock:
            product = self.products[sku]
            if product["type"] != "configurable":
                return float(self.salable_qty(sku, stock_id)) > 0
            children = product.get("children") or []
            return bool(product["stock"]["is_in_stock"]) and any(
                self.is_salable(child, stock_id) for child in children
            )

    def _parents_follow(self, product: dict[str, Any]) -> None:
        """A configurable parent goes out of stock when its last child does, but does not come
        back when a child is restocked through the API (magento/inventory#3358)."""
        for parent_sku in product.get("parents") or []:
            parent = self.products.get(parent_sku)
            if parent is None:
                continue
            children = [
                self.products[c] for c in parent.get("children") or [] if c in self.products
            ]
            if not any(int(s["status"]) == 1 for c in children for s in c["sources"].values()):
                parent["stock"]["is_in_stock"] = False
                parent["stock"]["stock_status_changed_auto"] = 1

    def _product(self, sku: str, *, type: str = "simple", price: float = 0.0) -> dict[str, Any]:
        product = self.products.get(sku)
        return product if product is not None else self.add_product(sku, type=type, price=price)

    def set_stock(self, sku: str, qty: float, *, source_code: str = "default") -> None:
        """Set a product's quantity at a source (the default source also sets the legacy item)."""
        with self.lock:
            product = self._product(sku)
            self._set_source_qty(product, source_code, qty, 1 if qty > 0 else 0)

    def _set_source_qty(
        self, product: dict[str, Any], code: str, quantity: float, status: int
    ) -> None:
        item = product["sources"].setdefault(code, _source_item(product["sku"], code, 0))
        item["quantity"], item["status"] = num(quantity), int(status)
        if code == "default":
            stock = product["stock"]
            stock["qty"], stock["is_in_stock"] = num(quantity), bool(status)
        if not status:
            self._parents_follow(product)

    def _set_legacy(self, product: dict[str, Any], changes: Mapping[str, Any]) -> None:
        stock = product["stock"]
        for key, value in changes.items():
            if key in stock and key not in ("item_id", "product_id", "stock_id"):
                stock[key] = value
        if "qty" in changes:
            stock["qty"] = num(parse_number(changes["qty"]))
        if product["type"] == "configurable":  # a composite's status is set, never computed
            stock["is_in_stock"] = bool(stock["is_in_stock"])
            return
        if stock["qty"] <= stock["min_qty"] and not stock["backorders"]:
            stock["is_in_stock"], stock["stock_status_changed_auto"] = False, 1
        elif "is_in_stock" not in changes and stock["stock_status_changed_auto"]:
            stock["is_in_stock"] = True
        stock["is_in_stock"] = bool(stock["is_in_stock"])
        if "default" in self.source_codes:
            source = product["sources"].setdefault(
                "default", _source_item(product["sku"], "default", 0)
            )
            source["quantity"], source["status"] = stock["qty"], int(stock["is_in_stock"])
        if not stock["is_in_stock"]:
            self._parents_follow(product)

    def _deduct_stock(self, item: Mapping[str, Any], qty: float, source: str) -> None:
        """Source deduction on shipment (negative ``qty`` puts units back)."""
        product = self.products.get(item["sku"])
        if item["product_type"] != "simple" or product is None:
            return
        current = product["sources"].get(source)
        if current is None:
            return
        left = max(0.0, float(current["quantity"]) - qty)
        status = (1 if qty < 0 else current["status"]) if left > 0 else 0
        self._set_source_qty(product, source, left, status)

    # -- REST handlers: stock ------------------------------------------------------------------

    def _h_products(self, req: RecordedRequest) -> SimResponse:
        """``GET /V1/products?searchCriteria…`` (a catalog search; SKUs travel in the query)."""
        criteria = self._criteria(req)
        rows = [_product_row(p) for p in self._products_for(criteria)]
        columns = {"sku", "id", "entity_id", "name", "type_id", "price"}
        return self._search_response(req, rows, _copy, columns, criteria)

    def _product_or_404(self, raw_sku: str) -> dict[str, Any]:
        sku = unquote(raw_sku)
        product = self.products.get(sku)
        if product is None:
            raise MagentoError(404, MSG_NO_SKU, [sku])
        return product

    def _h_stock_item(self, req: RecordedRequest, sku: str) -> SimResponse:
        return self._ok(req, self._product_or_404(sku)["stock"])

    def _h_update_stock(self, req: RecordedRequest, sku: str, item_id: str) -> SimResponse:
        product = self._product_or_404(sku)
        body = self._body(req)
        stock_item = body.get("stockItem", body.get("stock_item"))
        if not isinstance(stock_item, dict):
            raise _required("stockItem")
        parse_int(item_id)
        self._set_legacy(product, snake_keys(stock_item))
        return SimResponse(200, self._id_out(product["stock"]["item_id"]))

    def _h_source_items(self, req: RecordedRequest) -> SimResponse:
        criteria = self._criteria(req)
        rows = [s for p in self._products_for(criteria) for s in p["sources"].values()]
        columns = {"sku", "source_code", "quantity", "status"}
        return self._search_response(req, rows, _copy, columns, criteria)

    def _h_save_source_items(self, req: RecordedRequest) -> SimResponse:
        body = self._body(req)
        items = body.get("sourceItems", body.get("source_items"))
        if items is None:
            raise _required("sourceItems")
        if not isinstance(items, list) or not items:
            raise MagentoError(400, "Input data is empty")
        items = [snake_keys(i) if isinstance(i, dict) else {} for i in items]
        errors = [e for i in items for e in self._source_item_errors(i)]
        if errors:
            first = _interpolate(errors[0])
            raise MagentoError(400, f"Validation Failed: {first}", errors=errors)
        if any(str(i["source_code"]) not in self.source_codes for i in items):
            raise MagentoError(400, MSG_SOURCE_SAVE)  # foreign key failure in the database
        for item in items:
            status = int(item.get("status", 1) or 0)
            self._set_source_qty(
                self.products[str(item["sku"])],
                str(item["source_code"]),
                parse_number(item.get("quantity", 0)),
                status,
            )
        return SimResponse(200, [])

    def _source_item_errors(self, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        errors = []
        sku = str(item.get("sku") or "")
        if not sku.strip():
            errors.append({"message": '"%field" can not be empty.', "parameters": {"field": "sku"}})
        elif sku not in self.products:
            message = 'Product with requested "%field": "%value" was was not found.'
            errors.append({"message": message, "parameters": {"field": "sku", "value": sku}})
        if not str(item.get("source_code") or "").strip():
            errors.append(
                {"message": '"%field" can not be empty.', "parameters": {"field": "source_code"}}
            )
        quantity = item.get("quantity")
        if quantity is not None and not _is_number(quantity):
            errors.append(
                {"message": '"%field" should be numeric.', "parameters": {"field": "quantity"}}
            )
        return errors
