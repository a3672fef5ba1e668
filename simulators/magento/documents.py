"""Documents: invoices, shipments (with tracks) and credit memos (offline refunds)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    CREDITMEMO_PREFIX,
    INVOICE_PREFIX,
    MSG_ID_NEEDED,
    MSG_SHIP_SAVE,
    SHIP_PREFIX,
    MagentoError,
    _copy,
    _not_found,
    add_money,
    money,
    num,
    parse_int,
    parse_number,
    set_money,
    snake,
    snake_keys,
)
from simulators.magento.items import (
    fill_amounts,
    invoice_share,
    qty_to_invoice,
    qty_to_ship,
    refund_share,
)


@dataclass
class _Doc:
    """Quantities of one document (invoice, shipment, credit memo) being built."""

    qtys: dict[int, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    explicit: set[int] = field(default_factory=set)

    @property
    def total(self) -> float:
        return sum(self.qtys.values())


def _truthy(body: Mapping[str, Any], key: str) -> bool:
    return bool(body.get(key, body.get(snake(key))))


def _optional_number(value: Any) -> float | None:
    return None if value in (None, "") else parse_number(value)


def _requested(items: Sequence[Mapping[str, Any]] | None) -> dict[int, float] | None:
    if not items:
        return None
    requested: dict[int, float] = {}
    for raw in items:
        item = snake_keys(raw)
        item_id = parse_int(item.get("order_item_id"))
        requested[item_id] = requested.get(item_id, 0.0) + parse_number(item.get("qty", 0))
    return requested


def _with_invoiced_children(
    order: Mapping[str, Any], requested: dict[int, float] | None
) -> dict[int, float] | None:
    """Magento's InvoiceService::prepareItemsQty: a requested dummy parent (a bundle priced
    dynamically) invoices its children; each child not requested itself gets the parent's
    quantity x its quantity per bundle."""
    if not requested:
        return requested
    by_id = {i["item_id"]: i for i in order["items"]}
    expanded = dict(requested)
    for item_id, qty in requested.items():
        parent = by_id.get(item_id)
        if parent is None or not parent["_dummy_invoice"] or not parent.get("_children"):
            continue
        for child_id in parent["_children"]:
            expanded.setdefault(child_id, qty * float(by_id[child_id]["_ratio"]))
    return expanded


def _add_dummies(order: Mapping[str, Any], doc: _Doc, flag: str, done_key: str) -> None:
    """Dummy items follow their real relatives: a dummy child gets parent qty x ratio; a
    dummy parent gets the number of complete sets its children reach in this document."""
    by_id = {i["item_id"]: i for i in order["items"]}
    for item in order["items"]:
        if not item[flag]:
            continue
        parent_id = item.get("parent_item_id")
        if parent_id is not None and parent_id in doc.qtys:
            doc.qtys[item["item_id"]] = doc.qtys[parent_id] * float(item["_ratio"])
        elif item.get("_children"):
            qty = _parent_sets(item, by_id, doc.qtys, done_key)
            if qty > 0:
                doc.qtys[item["item_id"]] = qty


def _parent_sets(
    parent: Mapping[str, Any],
    by_id: Mapping[int, Mapping[str, Any]],
    qtys: Mapping[int, float],
    done_key: str,
) -> float:
    ratios = [(by_id[c], float(by_id[c]["_ratio"])) for c in parent["_children"]]
    if not any(child["item_id"] in qtys for child, _ in ratios):
        return 0.0
    sets = min((float(c[done_key]) + qtys.get(c["item_id"], 0.0)) / r for c, r in ratios)
    return max(0.0, float(int(sets)) - float(parent[done_key]))


def _bundle_errors(order: Mapping[str, Any], doc: _Doc) -> list[str]:
    by_id = {i["item_id"]: i for i in order["items"]}
    template = (
        'Cannot create shipment as bundle product "{}" has shipment type "{}". '
        "{} should be shipped instead."
    )
    errors = []
    for item_id in doc.explicit:
        item = by_id.get(item_id)
        if item is None or not item["_dummy_ship"] or item["product_type"] == "configurable":
            continue
        if item["product_type"] == "bundle":
            errors.append(template.format(item["sku"], "Separately", "Bundle product options"))
        elif (
            item.get("parent_item_id") in by_id
            and by_id[item["parent_item_id"]]["product_type"] == "bundle"
        ):
            bundle = by_id[item["parent_item_id"]]
            errors.append(template.format(bundle["sku"], "Together", "Bundle product itself"))
    return errors


def _doc_header(
    order: Mapping[str, Any], entity_id: int, now: str, increment: str
) -> dict[str, Any]:
    header = {
        "base_currency_code": order["base_currency_code"],
        "base_to_global_rate": 1,
        "base_to_order_rate": 1,
        "billing_address_id": order["billing_address_id"],
        "created_at": now,
        "entity_id": entity_id,
        "global_currency_code": order["global_currency_code"],
        "increment_id": increment,
        "order_currency_code": order["order_currency_code"],
        "order_id": order["entity_id"],
        "store_currency_code": order["store_currency_code"],
        "store_id": order["store_id"],
        "store_to_base_rate": 0,
        "store_to_order_rate": 0,
        "updated_at": now,
    }
    if "_shipping_address" in order:
        header["shipping_address_id"] = order["_shipping_address"]["entity_id"]
    return header


def _doc_line(item: Mapping[str, Any], qty: float, parent_id: int) -> dict[str, Any]:
    return {
        "name": item["name"],
        "parent_id": parent_id,
        "product_id": item["product_id"],
        "sku": item["sku"],
        "order_item_id": item["item_id"],
        "qty": num(qty),
    }


def refund_arguments(body: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :meth:`DocumentsMixin.refund` from a refund call's body."""
    arguments = (
        snake_keys(body.get("arguments") or {}) if isinstance(body.get("arguments"), dict) else {}
    )
    extension = snake_keys(arguments.get("extension_attributes") or {})
    comment = body.get("comment") if isinstance(body.get("comment"), dict) else {}
    return {
        "items": body.get("items") or None,
        "comment": comment.get("comment") if _truthy(body, "appendComment") else None,
        "shipping_amount": _optional_number(arguments.get("shipping_amount")),
        "adjustment_positive": _optional_number(arguments.get("adjustment_positive")) or 0.0,
        "adjustment_negative": _optional_number(arguments.get("adjustment_negative")) or 0.0,
        "return_to_stock_items": [
            parse_int(x) for x in extension.get("return_to_stock_items") or []
        ],
    }


class DocumentsMixin:
    """MagentoSimulator's invoices, shipments and credit memos."""

    # -- read access ---------------------------------------------------------------------------

    def invoices_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.invoices.values() if d["order_id"] == order_id]

    def shipments_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.shipments.values() if d["order_id"] == order_id]

    def creditmemos_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.creditmemos.values() if d["order_id"] == order_id]

    # -- invoice -------------------------------------------------------------------------------

    def invoice(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None = None,
        *,
        comment: str | None = None,
        notify: bool = False,
        capture: bool = False,
    ) -> int:
        """``POST /V1/order/{id}/invoice``; returns the invoice id, raises MagentoError (400).
        ``capture`` on a method that is not in ``offline_methods`` captures online: the invoice
        gets the gateway's ``transaction_id`` (only such an invoice can be refunded online)."""
        with self.lock:
            order = self._order_or_404(order_id)
            doc = self._invoice_doc(order, _requested(items))
            lines = doc.errors + self._invoice_order_errors(order)
            if lines:
                raise MagentoError(400, INVOICE_PREFIX + "\n".join(lines))
            invoice = self._register_invoice(order, doc, comment)
            if capture and order["payment"]["method"] not in self.offline_methods:
                self.invoices[invoice]["transaction_id"] = f"pay_{order['entity_id']}_{invoice}"
                self.invoices[invoice]["can_void_flag"] = 1
            if notify:
                self.notifications.append({"type": "invoice", "order_id": order_id, "id": invoice})
            return invoice

    def _invoice_doc(self, order: Mapping[str, Any], requested: dict[int, float] | None) -> _Doc:
        doc = _Doc()
        by_id = {i["item_id"]: i for i in order["items"]}
        if requested and any(i not in by_id for i in requested):
            doc.errors.append(
                "The invoice contains one or more items that are not part of the original order."
            )
        requested = _with_invoiced_children(order, requested)
        for item in order["items"]:
            if item["_dummy_invoice"]:
                continue
            qty = qty_to_invoice(item) if not requested else requested.get(item["item_id"], 0.0)
            if qty <= 0:
                continue
            if not item["is_qty_decimal"] and qty != int(qty):
                doc.errors.append(f'We found an invalid quantity to invoice item "{item["name"]}".')
            elif qty > qty_to_invoice(item):
                doc.errors.append(
                    "The quantity to invoice must not be greater than the uninvoiced quantity "
                    f'for product SKU "{item["sku"]}".'
                )
            doc.qtys[item["item_id"]] = qty
        _add_dummies(order, doc, "_dummy_invoice", "qty_invoiced")
        if doc.total <= 0:
            doc.errors.append(
                "The invoice can't be created without products. Add products and try again."
            )
        return doc

    def _invoice_order_errors(self, order: Mapping[str, Any]) -> list[str]:
        if order["state"] in ("payment_review", "holded", "canceled", "complete", "closed"):
            return [f"An invoice cannot be created when an order has a status of {order['status']}"]
        if not any(qty_to_invoice(i) > 0 for i in order["items"]):
            return ["The order does not allow an invoice to be created."]
        return []

    def _register_invoice(self, order: dict[str, Any], doc: _Doc, comment: str | None) -> int:
        entity_id = self._next_id("invoice")
        now = self.stamp()
        by_id = {i["item_id"]: i for i in order["items"]}
        lines, sums = [], {"subtotal": 0.0, "tax": 0.0, "discount": 0.0}
        for item_id, qty in doc.qtys.items():
            item = by_id[item_id]
            line = _doc_line(item, qty, entity_id)
            if item["_dummy_invoice"]:
                set_money(line, price=float(item["price"]))
            else:
                amounts = invoice_share(item, qty)
                fill_amounts(line, item, qty, amounts)
                add_money(item, row_invoiced=amounts["row"], tax_invoiced=amounts["tax"])
                add_money(item, discount_invoiced=amounts["discount"])
                for key in sums:
                    sums[key] += amounts["row" if key == "subtotal" else key]
            item["qty_invoiced"] = num(float(item["qty_invoiced"]) + qty)
            line["entity_id"] = self._next_id("invoice_item")
            lines.append(line)
        shipping = float(order["shipping_amount"]) - float(order.get("shipping_invoiced") or 0)
        grand = sums["subtotal"] + sums["tax"] + shipping - sums["discount"]
        invoice = self._invoice_record(order, entity_id, now, lines, sums, shipping, grand)
        if comment:
            invoice["comments"].append(self._doc_comment(entity_id, comment))
        self.invoices[entity_id] = invoice
        add_money(order, subtotal_invoiced=sums["subtotal"], tax_invoiced=sums["tax"])
        add_money(order, shipping_invoiced=shipping, discount_invoiced=-sums["discount"])
        add_money(order, total_invoiced=grand, total_paid=grand)
        set_money(
            order, total_due=max(0.0, float(order["grand_total"]) - float(order["total_paid"]))
        )
        add_money(order["payment"], amount_paid=grand, shipping_captured=shipping)
        self._resolve_state(order, in_progress=True)
        self._touch(order, doc.qtys)
        return entity_id

    def _invoice_record(
        self,
        order: Mapping[str, Any],
        entity_id: int,
        now: str,
        lines: list[dict[str, Any]],
        sums: Mapping[str, float],
        shipping: float,
        grand: float,
    ) -> dict[str, Any]:
        invoice: dict[str, Any] = {
            **_doc_header(order, entity_id, now, self._increment(entity_id)),
            "can_void_flag": 0,
            "email_sent": 0,
            "state": 2,
            "total_qty": num(sum(float(line["qty"]) for line in lines)),
            "items": lines,
            "comments": [],
        }
        set_money(
            invoice, subtotal=sums["subtotal"], subtotal_incl_tax=sums["subtotal"] + sums["tax"]
        )
        set_money(invoice, tax_amount=sums["tax"], discount_amount=-sums["discount"])
        set_money(
            invoice, shipping_amount=shipping, shipping_incl_tax=shipping, shipping_tax_amount=0
        )
        set_money(invoice, discount_tax_compensation_amount=0, grand_total=grand)
        invoice["shipping_discount_tax_compensation_amount"] = 0
        return invoice

    def _doc_comment(self, parent_id: int, comment: str) -> dict[str, Any]:
        return {
            "comment": comment,
            "created_at": self.stamp(),
            "entity_id": self._next_id("doc_comment"),
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "parent_id": parent_id,
        }

    # -- shipment ------------------------------------------------------------------------------

    def ship(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None = None,
        *,
        tracks: Sequence[Mapping[str, Any]] | None = None,
        source_code: str | None = None,
        comment: str | None = None,
        notify: bool = False,
    ) -> int:
        """``POST /V1/order/{id}/ship``; returns the shipment id, raises MagentoError (400)."""
        with self.lock:
            order = self._order_or_404(order_id)
            doc = self._ship_doc(order, _requested(items))
            track_list = [snake_keys(t) for t in tracks or []]
            lines = self._ship_order_errors(order) + doc.errors
            if any(not str(t.get("track_number") or "").strip() for t in track_list):
                lines.append("Please enter a tracking number.")
            lines += _bundle_errors(order, doc)
            if lines:
                raise MagentoError(400, SHIP_PREFIX + "\n".join(lines))
            source = self._ship_source(order, doc, source_code)
            self._check_source_quantities(order, doc.qtys, source)
            shipment = self._register_shipment(order, doc, track_list, source, comment)
            self._after_shipment_saved(self.shipments[shipment])
            if notify:
                self.notifications.append(
                    {"type": "shipment", "order_id": order_id, "id": shipment}
                )
            return shipment

    def _ship_doc(self, order: Mapping[str, Any], requested: dict[int, float] | None) -> _Doc:
        doc = _Doc(explicit=set(requested or ()))
        for item in order["items"]:
            if item["_dummy_ship"] or item["is_virtual"]:
                continue
            wanted = (
                float(item["qty_ordered"]) if not requested else requested.get(item["item_id"], 0.0)
            )
            qty = min(wanted, qty_to_ship(item))
            qty = qty if item["is_qty_decimal"] else float(int(qty))
            if qty > 0:
                doc.qtys[item["item_id"]] = qty
        _add_dummies(order, doc, "_dummy_ship", "qty_shipped")
        if doc.total <= 0:
            doc.errors.append("You can't create a shipment without products.")
        return doc

    def _ship_order_errors(self, order: Mapping[str, Any]) -> list[str]:
        if order["state"] in ("payment_review", "holded", "canceled") or order["is_virtual"]:
            return [f"A shipment cannot be created when an order has a status of {order['status']}"]
        if not any(qty_to_ship(i) > 0 for i in order["items"]):
            return ["The order does not allow a shipment to be created."]
        return []

    def _ship_source(self, order: Mapping[str, Any], doc: _Doc, source_code: str | None) -> str:
        source = source_code or "default"
        if not self.msi_multi_source:
            return source
        if not source_code or source_code not in self.source_codes:
            raise MagentoError(400, MSG_SHIP_SAVE)
        by_id = {i["item_id"]: i for i in order["items"]}
        for item_id in doc.qtys:
            product = self.products.get(by_id[item_id]["sku"])
            if (
                by_id[item_id]["product_type"] == "simple"
                and product
                and source not in product["sources"]
            ):
                raise MagentoError(400, MSG_SHIP_SAVE)  # "Source item not found by source code"
        return source

    def _register_shipment(
        self,
        order: dict[str, Any],
        doc: _Doc,
        tracks: list[dict[str, Any]],
        source: str,
        comment: str | None,
    ) -> int:
        entity_id = self._next_id("shipment")
        now = self.stamp()
        by_id = {i["item_id"]: i for i in order["items"]}
        lines = []
        for item_id, qty in doc.qtys.items():
            item = by_id[item_id]
            line = _doc_line(item, qty, entity_id)
            line["entity_id"] = self._next_id("shipment_item")
            line["price"], line["row_total"] = item["price"], money(float(item["price"]) * qty)
            if item.get("weight"):
                line["weight"] = item["weight"]
            lines.append(line)
            item["qty_shipped"] = num(float(item["qty_shipped"]) + qty)
            self._deduct_stock(item, qty, source)
            if item["product_type"] == "simple":
                self._compensate(order, item, qty, "shipment_created")
        shipment = {
            "billing_address_id": order["billing_address_id"],
            "created_at": now,
            "email_sent": 0,
            "entity_id": entity_id,
            "increment_id": self._increment(entity_id),
            "order_id": order["entity_id"],
            "packages": [],
            "shipping_address_id": order["_shipping_address"]["entity_id"],
            "store_id": order["store_id"],
            "total_qty": num(sum(float(line["qty"]) for line in lines)),
            "updated_at": now,
            "items": lines,
            "tracks": [self._track(order, entity_id, t, now) for t in tracks],
            "comments": [self._doc_comment(entity_id, comment)] if comment else [],
            "extension_attributes": {"source_code": source},
        }
        if "customer_id" in order:
            shipment["customer_id"] = order["customer_id"]
        self.shipments[entity_id] = shipment
        self._resolve_state(order, in_progress=True)
        self._touch(order, doc.qtys)
        return entity_id

    def _track(
        self, order: Mapping[str, Any], shipment_id: int, spec: Mapping[str, Any], now: str
    ) -> dict[str, Any]:
        return {
            "order_id": order["entity_id"],
            "created_at": now,
            "entity_id": self._next_id("track"),
            "parent_id": shipment_id,
            "updated_at": now,
            "weight": None,
            "qty": None,
            "description": None,
            "track_number": str(spec.get("track_number")),
            "title": str(spec.get("title") or ""),
            "carrier_code": str(spec.get("carrier_code") or "custom"),
        }

    # -- credit memo (offline refund) ----------------------------------------------------------

    def refund(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None = None,
        *,
        shipping_amount: float | None = None,
        adjustment_positive: float = 0.0,
        adjustment_negative: float = 0.0,
        return_to_stock_items: Sequence[int] = (),
        comment: str | None = None,
        invoice_id: int | None = None,
        online: bool = False,
    ) -> int:
        """``POST /V1/order/{id}/refund`` (offline credit memo); returns the credit memo id.
        ``invoice_id``/``online``: the credit memo of ``POST /V1/invoice/{id}/refund``."""
        with self.lock:
            order = self._order_or_404(order_id)
            doc = self._refund_doc(order, _requested(items))
            lines = self._refund_order_errors(order) + doc.errors
            if invoice_id is not None:
                lines += self._invoice_refund_errors(self.invoices[invoice_id], doc, online)
            if lines:
                raise MagentoError(400, CREDITMEMO_PREFIX + "\n".join(lines))
            adjustments = (adjustment_positive, adjustment_negative)
            memo_id = self._register_creditmemo(
                order, doc, shipping_amount, adjustments, return_to_stock_items
            )
            memo = self.creditmemos[memo_id]
            if comment:
                memo["comments"].append(self._doc_comment(memo_id, comment))
            if invoice_id is not None:
                memo["invoice_id"] = invoice_id
                self._count_invoice_refund(self.invoices[invoice_id], doc)
            if online:
                memo["transaction_id"] = f"rfnd_{order['entity_id']}_{memo_id}"
                grand = float(memo["grand_total"])
                add_money(order, total_online_refunded=grand, total_offline_refunded=-grand)
            return memo_id

    def _refund_doc(self, order: Mapping[str, Any], requested: dict[int, float] | None) -> _Doc:
        doc = _Doc()
        skus = {i["item_id"]: i["sku"] for i in order["items"]}
        for item_id in requested or {}:
            if item_id not in skus:
                doc.errors.append(
                    'The creditmemo contains product SKU "" that is not part of the original order.'
                )
        for item in order["items"]:
            if item["_dummy_invoice"]:
                continue
            available = float(item["qty_invoiced"]) - float(item["qty_refunded"])
            qty = available if not requested else requested.get(item["item_id"], 0.0)
            if qty > available:
                doc.errors.append(
                    "The quantity to creditmemo must not be greater than the unrefunded quantity "
                    f'for product SKU "{item["sku"]}".'
                )
            if qty > 0:
                doc.qtys[item["item_id"]] = qty
        _add_dummies(order, doc, "_dummy_invoice", "qty_refunded")
        if doc.total <= 0:
            doc.errors.append("You can't create a creditmemo without products.")
        return doc

    def _refund_order_errors(self, order: Mapping[str, Any]) -> list[str]:
        if order["state"] in ("payment_review", "holded", "canceled", "closed"):
            return [
                f"A creditmemo can not be created when an order has a status of {order['status']}"
            ]
        if not self._can_creditmemo(order):
            return ["The order does not allow a creditmemo to be created."]
        return []

    def _register_creditmemo(
        self,
        order: dict[str, Any],
        doc: _Doc,
        shipping_amount: float | None,
        adjustments: tuple[float, float],
        return_to_stock: Sequence[int],
    ) -> int:
        entity_id = self._next_id("creditmemo")
        now = self.stamp()
        by_id = {i["item_id"]: i for i in order["items"]}
        lines, sums = [], {"subtotal": 0.0, "tax": 0.0, "discount": 0.0}
        for item_id, qty in doc.qtys.items():
            item = by_id[item_id]
            line = _doc_line(item, qty, entity_id)
            line["entity_id"] = self._next_id("creditmemo_item")
            line["base_cost"] = 0
            if not item["_dummy_invoice"]:
                amounts = refund_share(item, qty)
                fill_amounts(line, item, qty, amounts)
                add_money(item, amount_refunded=amounts["row"], tax_refunded=amounts["tax"])
                add_money(item, discount_refunded=amounts["discount"])
                for key in sums:
                    sums[key] += amounts["row" if key == "subtotal" else key]
            item["qty_refunded"] = num(float(item["qty_refunded"]) + qty)
            if item_id in return_to_stock:
                self._deduct_stock(item, -qty, "default")
            if item["product_type"] == "simple":
                self._compensate(order, item, qty, "creditmemo_created")
            lines.append(line)
        left_shipping = float(order.get("shipping_invoiced") or 0) - float(
            order.get("shipping_refunded") or 0
        )
        shipping = left_shipping if shipping_amount is None else min(shipping_amount, left_shipping)
        positive, negative = adjustments
        grand = sums["subtotal"] + sums["tax"] + shipping - sums["discount"] + positive - negative
        memo = {
            **_doc_header(order, entity_id, now, self._increment(entity_id)),
            "state": 2,
            "email_sent": 0,
            "items": lines,
            "comments": [],
        }
        last_invoice = max(
            (i for i, d in self.invoices.items() if d["order_id"] == order["entity_id"]),
            default=None,
        )
        if last_invoice is not None:
            memo["invoice_id"] = last_invoice
        set_money(memo, subtotal=sums["subtotal"], subtotal_incl_tax=sums["subtotal"] + sums["tax"])
        set_money(
            memo,
            tax_amount=sums["tax"],
            discount_amount=-sums["discount"],
            shipping_amount=shipping,
        )
        set_money(memo, shipping_incl_tax=shipping, adjustment_positive=positive)
        set_money(
            memo, adjustment_negative=negative, adjustment=positive - negative, grand_total=grand
        )
        self.creditmemos[entity_id] = memo
        add_money(order, subtotal_refunded=sums["subtotal"], tax_refunded=sums["tax"])
        add_money(order, shipping_refunded=shipping, discount_refunded=-sums["discount"])
        add_money(order, total_refunded=grand, total_offline_refunded=grand)
        add_money(order["payment"], amount_refunded=grand)
        self._resolve_state(order)
        self._touch(order, doc.qtys)
        return entity_id

    # -- REST handlers: documents --------------------------------------------------------------

    def _h_invoice(self, req: RecordedRequest, id: str) -> SimResponse:
        order = self._order_by_param(id)
        body = self._body(req)
        comment = body.get("comment") if isinstance(body.get("comment"), dict) else {}
        invoice_id = self.invoice(
            order["entity_id"],
            body.get("items") or None,
            comment=comment.get("comment") if _truthy(body, "appendComment") else None,
            notify=bool(body.get("notify")),
            capture=bool(body.get("capture")),
        )
        return SimResponse(200, self._id_out(invoice_id))

    def _h_ship(self, req: RecordedRequest, id: str) -> SimResponse:
        order = self._order_by_param(id)
        body = self._body(req)
        arguments = body.get("arguments") if isinstance(body.get("arguments"), dict) else {}
        extension = (
            arguments.get("extension_attributes") or arguments.get("extensionAttributes") or {}
        )
        comment = body.get("comment") if isinstance(body.get("comment"), dict) else {}
        shipment_id = self.ship(
            order["entity_id"],
            body.get("items") or None,
            tracks=body.get("tracks") or [],
            source_code=extension.get("source_code") or extension.get("sourceCode"),
            comment=comment.get("comment") if _truthy(body, "appendComment") else None,
            notify=bool(body.get("notify")),
        )
        return SimResponse(200, self._id_out(shipment_id))

    def _h_refund(self, req: RecordedRequest, id: str) -> SimResponse:
        order = self._order_by_param(id)
        memo_id = self.refund(order["entity_id"], **refund_arguments(self._body(req)))
        return SimResponse(200, self._id_out(memo_id))

    def _h_invoices(self, req: RecordedRequest) -> SimResponse:
        return self._search_response(req, list(self.invoices.values()), _copy)

    def _h_get_invoice(self, req: RecordedRequest, id: str) -> SimResponse:
        return self._ok(req, self._doc_by_param(self.invoices, id))

    def _h_shipments(self, req: RecordedRequest) -> SimResponse:
        return self._search_response(req, list(self.shipments.values()), _copy)

    def _h_get_shipment(self, req: RecordedRequest, id: str) -> SimResponse:
        return self._ok(req, self._doc_by_param(self.shipments, id))

    def _h_creditmemos(self, req: RecordedRequest) -> SimResponse:
        return self._search_response(req, list(self.creditmemos.values()), _copy)

    def _h_get_creditmemo(self, req: RecordedRequest, id: str) -> SimResponse:
        return self._ok(req, self._doc_by_param(self.creditmemos, id))

    def _doc_by_param(self, store: Mapping[int, dict[str, Any]], raw: str) -> dict[str, Any]:
        doc_id = parse_int(unquote(raw))
        if doc_id <= 0:
            raise MagentoError(400, MSG_ID_NEEDED)
        if doc_id not in store:
            raise _not_found()
        return store[doc_id]
