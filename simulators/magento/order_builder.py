"""The order builder for tests: :meth:`OrderBuilderMixin.add_order` (line specs, prices, tax,
discounts, customer, addresses, totals, payment)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from simulators.magento.common import _stamp, add_money, num, set_money

PAYMENT_TITLES = {
    "checkmo": "Check / Money order",
    "cashondelivery": "Cash On Delivery",
    "banktransfer": "Bank Transfer Payment",
    "razorpay": "Razorpay",
    "free": "No Payment Information Required",
}

DEFAULT_ADDRESS: dict[str, Any] = {
    "firstname": "Asha",
    "lastname": "Rao",
    "street": ["No. 12, 4th Cross", "Indiranagar"],
    "city": "Bengaluru",
    "region": "Karnataka",
    "region_code": "KA",
    "region_id": 549,
    "postcode": "560038",
    "country_id": "IN",
    "telephone": "9845012345",
}

DEFAULT_CUSTOMER = {"email": "asha.rao@example.com", "firstname": "Asha", "lastname": "Rao"}


def _row_incl(item: Mapping[str, Any]) -> float:
    return float(item["row_total_incl_tax"])


def _price_item(
    item: dict[str, Any], price: float, qty: float, tax: float, incl: bool, discount: float
) -> None:
    rate = tax / 100.0
    if incl:
        price_incl, price_excl = price, round(price / (1 + rate), 2)
        row_incl = price * qty
        row = round(row_incl / (1 + rate), 2)
    else:
        price_excl, price_incl = price, round(price * (1 + rate), 2)
        row = price * qty
        row_incl = row + round(row * rate, 2)
    set_money(item, price=price_excl, original_price=price_excl, price_incl_tax=price_incl)
    set_money(item, row_total=row, row_total_incl_tax=row_incl, tax_amount=row_incl - row)
    set_money(item, discount_amount=discount, row_invoiced=0, tax_invoiced=0, discount_invoiced=0)
    item["tax_percent"] = num(tax)
    item["discount_percent"] = 0


def _sum_bundle_price(parent: dict[str, Any], children: Sequence[Mapping[str, Any]]) -> None:
    qty = float(parent["qty_ordered"])
    row = sum(float(c["row_total"]) for c in children)
    row_incl = sum(float(c["row_total_incl_tax"]) for c in children)
    set_money(parent, price=row / qty, original_price=row / qty, price_incl_tax=row_incl / qty)
    set_money(parent, row_total=row, row_total_incl_tax=row_incl, tax_amount=0)


def _tax_heads(percent: float, gst: str | None) -> list[tuple[str, float]]:
    if gst == "intra":
        return [
            (f"CGST {num(percent / 2)}%", percent / 2),
            (f"SGST {num(percent / 2)}%", percent / 2),
        ]
    if gst == "inter":
        return [(f"IGST {num(percent)}%", percent)]
    return [("GST", percent)]


def _applied_taxes(
    order: Mapping[str, Any], gst: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Magento's ``applied_taxes`` (per rate) and ``item_applied_taxes`` (per taxed line); a
    line's tax is split over the heads by rate, the last head taking the rest."""
    totals: dict[str, dict[str, Any]] = {}
    per_item = []
    for item in order["items"]:
        tax, percent = float(item.get("tax_amount") or 0), float(item.get("tax_percent") or 0)
        if not tax or not percent or item["_dummy_invoice"]:
            continue
        heads = _tax_heads(percent, gst)
        applied, left = [], tax
        for n, (title, rate) in enumerate(heads):
            amount = left if n == len(heads) - 1 else round(tax * rate / percent, 2)
            left -= amount
            applied.append(
                {
                    "code": title,
                    "title": title,
                    "percent": num(rate),
                    "amount": num(round(amount, 2)),
                    "base_amount": num(round(amount, 2)),
                }
            )
            head = totals.setdefault(
                title, {"code": title, "title": title, "percent": num(rate), "amount": 0.0}
            )
            head["amount"] = num(round(float(head["amount"]) + amount, 2))
            head["base_amount"] = head["amount"]
        per_item.append(
            {
                "type": "product",
                "item_id": item["item_id"],
                "applied_taxes": applied,
            }
        )
    return list(totals.values()), per_item


class OrderBuilderMixin:
    """MagentoSimulator's order builder (for tests)."""

    # -- order builder -------------------------------------------------------------------------

    def add_order(
        self,
        lines: Sequence[Mapping[str, Any]] | None = None,
        *,
        payment_method: str = "checkmo",
        state: str = "new",
        status: str | None = None,
        guest: bool = False,
        customer: Mapping[str, Any] | None = None,
        address: Mapping[str, Any] | None = None,
        billing_address: Mapping[str, Any] | None = None,
        created_at: datetime | str | None = None,
        shipping_amount: float = 0.0,
        shipping_method: str = "flatrate_flatrate",
        shipping_description: str = "Flat Rate - Fixed",
        tax_percent: float = 0.0,
        prices_include_tax: bool = True,
        discount: float = 0.0,
        coupon_code: str | None = None,
        currency: str = "INR",
        store_id: int = 1,
        increment_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
        shipping_discount: float = 0.0,
        payments: Mapping[str, float] | None = None,
        gst: str | None = None,
    ) -> dict[str, Any]:
        """Create an order and return it in REST shape (as ``GET /V1/orders/{id}`` would).

        Line spec (``lines``; default one simple line), ``price`` is the catalog unit price
        (tax-inclusive when ``prices_include_tax``), ``discount`` the line's total discount:

        * simple:  ``{"sku": "TS-1", "qty": 2, "price": 1000, "name": "..", "weight": 0.5,
          "discount": 0, "tax_percent": 18}`` (``type`` defaults to ``"simple"``)
        * virtual / downloadable: ``{"type": "virtual", "sku": "GIFT-WRAP", "price": 50}``
        * configurable: ``{"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE",
          "qty": 1, "price": 999}`` -> parent (``configurable``, sku = child sku, priced) +
          child (``simple``, ``parent_item_id``, price 0)
        * bundle: ``{"type": "bundle", "sku": "KIT", "qty": 1, "ship_together": True,
          "dynamic_price": True, "price": 1500 (fixed price only), "children": [{"sku": "KIT-A",
          "qty": 1, "price": 500}, ...]}`` (child ``qty`` is per bundle)

        ``state``/``status`` set the initial state (``holded`` remembers new/pending as the
        pre-hold state); ``discount`` is an order-level discount split over the lines;
        ``extra`` is merged into the order's top-level fields.

        Real-shop money (contract 8.2): ``shipping_discount`` (``shipping_discount_amount``,
        also inside the negative ``discount_amount``); ``payments`` are Adobe Commerce amounts
        paid otherwise, reported in ``extension_attributes`` and taken off ``grand_total``
        (``customer_balance_amount``, ``gift_cards_amount``, ``reward_currency_amount``,
        ``amstorecredit_amount``); ``gst`` titles the applied taxes by Indian GST heads:
        ``"intra"`` (``CGST 9%`` + ``SGST 9%`` for 18 %) or ``"inter"`` (``IGST 18%``); without
        it a taxed order's applied tax is titled ``GST``. A line's ``hsn`` is stored on its
        product (attribute ``hsn_code``).
        """
        with self.lock:
            order = self._new_order(
                state=state,
                status=status,
                created_at=_stamp(created_at) if created_at is not None else self.stamp(),
                store_id=store_id,
                currency=currency,
                increment_id=increment_id,
            )
            ctx = {"tax": tax_percent, "incl": prices_include_tax, "order": order}
            for spec in lines or [{"sku": "SIMPLE-1", "qty": 1, "price": 100}]:
                self._add_line(order, spec, ctx)
            self._apply_discount(order, discount, coupon_code)
            self._set_customer(order, customer, guest)
            self._set_addresses(order, address, billing_address)
            self._set_totals(order, shipping_amount, shipping_method, shipping_description)
            self._set_real_shop_money(order, shipping_discount, payments or {}, gst)
            self._set_payment(order, payment_method)
            if extra:
                order.update(extra)
            self._reserve_order(order)
            self.orders[order["entity_id"]] = order
            return self._order_out(order)

    def _new_order(
        self,
        *,
        state: str,
        status: str | None,
        created_at: str,
        store_id: int,
        currency: str,
        increment_id: str | None,
    ) -> dict[str, Any]:
        entity_id = self._next_id("order")
        order: dict[str, Any] = {
            "base_currency_code": currency,
            "base_to_global_rate": 1,
            "base_to_order_rate": 1,
            "created_at": created_at,
            "email_sent": 1,
            "entity_id": entity_id,
            "global_currency_code": currency,
            "increment_id": increment_id or self._increment(entity_id),
            "order_currency_code": currency,
            "protect_code": hashlib.md5(str(entity_id).encode(), usedforsecurity=False).hexdigest()[
                :6
            ],
            "quote_id": entity_id + 1000,
            "state": state,
            "status": status or self.default_status(state),
            "store_currency_code": currency,
            "store_id": store_id,
            "store_name": "Main Website\nMain Website Store\nDefault Store View",
            "store_to_base_rate": 0,
            "store_to_order_rate": 0,
            "updated_at": created_at,
            "items": [],
            "status_histories": [],
        }
        if state == "holded":
            order["hold_before_state"], order["hold_before_status"] = "new", "pending"
        return order

    def _add_line(
        self, order: dict[str, Any], spec: Mapping[str, Any], ctx: dict[str, Any]
    ) -> None:
        kind = spec.get("type", "simple")
        if kind in ("simple", "virtual", "downloadable", "grouped"):
            kind = "simple" if kind == "grouped" else kind
            order["items"].append(self._priced_item(order, spec, kind, ctx))
        elif kind == "configurable":
            self._add_configurable(order, spec, ctx)
        elif kind == "bundle":
            self._add_bundle(order, spec, ctx)
        else:
            raise ValueError(f"unknown line type {kind!r}")

    def _base_item(
        self,
        order: dict[str, Any],
        sku: str,
        name: str,
        product_type: str,
        product_id: int,
        qty: float,
    ) -> dict[str, Any]:
        item_id = self._next_id("item")
        return {
            "amount_refunded": 0,
            "base_amount_refunded": 0,
            "created_at": order["created_at"],
            "discount_tax_compensation_amount": 0,
            "base_discount_tax_compensation_amount": 0,
            "free_shipping": 0,
            "is_qty_decimal": 0,
            "is_virtual": 1 if product_type in ("virtual", "downloadable") else 0,
            "item_id": item_id,
            "name": name,
            "no_discount": 0,
            "order_id": order["entity_id"],
            "product_id": product_id,
            "product_type": product_type,
            "qty_canceled": 0,
            "qty_invoiced": 0,
            "qty_ordered": num(qty),
            "qty_refunded": 0,
            "qty_shipped": 0,
            "quote_item_id": item_id + 5000,
            "sku": sku,
            "store_id": order["store_id"],
            "updated_at": order["created_at"],
            "_dummy_invoice": False,
            "_dummy_ship": False,
        }

    def _priced_item(
        self,
        order: dict[str, Any],
        spec: Mapping[str, Any],
        product_type: str,
        ctx: dict[str, Any],
        *,
        sku: str | None = None,
        product_id: int | None = None,
        qty: float | None = None,
    ) -> dict[str, Any]:
        sku = sku or str(spec["sku"])
        price = float(spec.get("price", 100))
        product = self._product(str(spec["sku"]), type=product_type, price=price)
        if spec.get("hsn"):
            product.setdefault("attributes", {})["hsn_code"] = str(spec["hsn"])
        qty = float(spec.get("qty", 1)) if qty is None else qty
        name = str(spec.get("name") or product["name"])
        item = self._base_item(
            order, sku, name, product_type, product_id or product["product_id"], qty
        )
        tax = float(spec.get("tax_percent", ctx["tax"]))
        _price_item(item, price, qty, tax, ctx["incl"], float(spec.get("discount", 0)))
        weight = 0.0 if item["is_virtual"] else float(spec.get("weight", 0.5))
        if weight:
            item["weight"], item["row_weight"] = num(weight), num(weight * qty)
        return item

    def _dummy_item(
        self, order: dict[str, Any], parent: dict[str, Any], sku: str, name: str, qty: float
    ) -> dict[str, Any]:
        product = self._product(sku)
        item = self._base_item(order, sku, name, "simple", product["product_id"], qty)
        _price_item(item, 0.0, qty, 0.0, True, 0.0)
        item["weight"] = item["row_weight"] = 0
        item["parent_item_id"] = parent["item_id"]
        item["_ratio"] = qty / float(parent["qty_ordered"])
        parent.setdefault("_children", []).append(item["item_id"])
        return item

    def _add_configurable(
        self, order: dict[str, Any], spec: Mapping[str, Any], ctx: dict[str, Any]
    ) -> None:
        child_sku = str(spec["sku"])
        parent_sku = str(spec.get("parent_sku") or child_sku.split("-")[0])
        parent_product = self._product(parent_sku, type="configurable")
        child_product = self._product(child_sku, price=float(spec.get("price", 100)))
        self.link_child(parent_sku, child_sku)
        assert child_product is self.products[child_sku]
        parent = self._priced_item(
            order, spec, "configurable", ctx, sku=child_sku, product_id=parent_product["product_id"]
        )
        parent["name"] = str(spec.get("name") or parent_product["name"])
        child_name = str(spec.get("child_name") or f"{parent['name']}-{child_sku}")
        child = self._dummy_item(order, parent, child_sku, child_name, float(parent["qty_ordered"]))
        child["_dummy_invoice"] = child["_dummy_ship"] = True
        child["product_id"] = self.products[child_sku]["product_id"]
        option = {"option_id": "93", "option_value": child["product_id"]}
        parent["product_option"] = {"extension_attributes": {"configurable_item_options": [option]}}
        order["items"] += [parent, child]

    def _add_bundle(
        self, order: dict[str, Any], spec: Mapping[str, Any], ctx: dict[str, Any]
    ) -> None:
        qty = float(spec.get("qty", 1))
        dynamic = bool(spec.get("dynamic_price", True))
        together = bool(spec.get("ship_together", True))
        children = list(spec.get("children") or [{"sku": f"{spec['sku']}-PART", "qty": 1}])
        fixed_price = float(spec.get("price", 0)) if not dynamic else 0.0
        parent = self._priced_item(order, {**spec, "price": fixed_price}, "bundle", ctx)
        parent["_dummy_invoice"], parent["_dummy_ship"] = dynamic, not together
        built = []
        for child_spec in children:
            per_bundle = float(child_spec.get("qty", 1))
            if dynamic:
                child = self._priced_item(order, child_spec, "simple", ctx, qty=per_bundle * qty)
                child["parent_item_id"], child["_ratio"] = parent["item_id"], per_bundle
                parent.setdefault("_children", []).append(child["item_id"])
            else:
                name = str(child_spec.get("name") or child_spec["sku"])
                child = self._dummy_item(
                    order, parent, str(child_spec["sku"]), name, per_bundle * qty
                )
            child["_dummy_invoice"], child["_dummy_ship"] = not dynamic, together
            built.append(child)
        if dynamic:
            _sum_bundle_price(parent, built)
        options = [
            {
                "option_id": n + 1,
                "option_qty": int(float(c.get("qty", 1))),
                "option_selections": [n + 1],
            }
            for n, c in enumerate(children)
        ]
        parent["product_option"] = {"extension_attributes": {"bundle_options": options}}
        order["items"] += [parent, *built]

    def _apply_discount(self, order: dict[str, Any], discount: float, coupon: str | None) -> None:
        priced = [i for i in order["items"] if not i["_dummy_invoice"]]
        if discount > 0 and priced:
            gross = sum(float(i["row_total_incl_tax"]) for i in priced) or 1.0
            left = discount
            for item in priced[:-1]:
                share = round(discount * float(_row_incl(item)) / gross, 2)
                add_money(item, discount_amount=share)
                left -= share
            add_money(priced[-1], discount_amount=left)
        if any(float(i["discount_amount"]) for i in priced):
            order["discount_description"] = coupon or "Discount"
            order["applied_rule_ids"] = "1"
            if coupon:
                order["coupon_code"] = coupon
            for item in priced:
                if float(item["discount_amount"]):
                    item["applied_rule_ids"] = "1"
                    item["discount_percent"] = num(
                        round(100 * float(item["discount_amount"]) / float(_row_incl(item) or 1), 2)
                    )

    def _set_customer(
        self, order: dict[str, Any], customer: Mapping[str, Any] | None, guest: bool
    ) -> None:
        data = {**DEFAULT_CUSTOMER, **(customer or {})}
        order["customer_email"] = data["email"]
        order["customer_firstname"] = data["firstname"]
        order["customer_lastname"] = data["lastname"]
        order["customer_is_guest"] = 1 if guest else 0
        order["customer_group_id"] = 0 if guest else int(data.get("group_id", 1))
        order["customer_note_notify"] = 1
        if not guest:
            email = str(data["email"]).lower()
            if email not in self._customers:
                self._customers[email] = self._next_id("customer")
            order["customer_id"] = self._customers[email]

    def _address(
        self, order: dict[str, Any], kind: str, spec: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        data = {**DEFAULT_ADDRESS, **(spec or {})}
        street = data["street"]
        address = {
            "address_type": kind,
            "city": data["city"],
            "country_id": data["country_id"],
            "email": data.get("email") or order["customer_email"],
            "entity_id": self._next_id("address"),
            "firstname": data["firstname"],
            "lastname": data["lastname"],
            "parent_id": order["entity_id"],
            "postcode": data["postcode"],
            "region": data["region"],
            "region_code": data["region_code"],
            "region_id": data["region_id"],
            "street": [street] if isinstance(street, str) else list(street),
            "telephone": data["telephone"],
        }
        for key in ("company", "middlename", "vat_id"):
            if data.get(key):
                address[key] = data[key]
        if "customer_id" in order:
            address["customer_id"] = order["customer_id"]
        return address

    def _set_addresses(
        self,
        order: dict[str, Any],
        shipping: Mapping[str, Any] | None,
        billing: Mapping[str, Any] | None,
    ) -> None:
        order["is_virtual"] = int(all(i["is_virtual"] for i in order["items"]))
        if not order["is_virtual"]:
            order["_shipping_address"] = self._address(order, "shipping", shipping)
        order["billing_address"] = self._address(order, "billing", billing or shipping)
        order["billing_address_id"] = order["billing_address"]["entity_id"]

    def _set_totals(
        self, order: dict[str, Any], shipping: float, method: str, description: str
    ) -> None:
        priced = [i for i in order["items"] if not i["_dummy_invoice"]]
        subtotal = sum(float(i["row_total"]) for i in priced)
        tax = sum(float(i["tax_amount"]) for i in priced)
        discount = sum(float(i["discount_amount"]) for i in priced)
        shipping = 0.0 if order["is_virtual"] else shipping
        set_money(order, subtotal=subtotal, subtotal_incl_tax=subtotal + tax, tax_amount=tax)
        set_money(
            order, discount_amount=-discount, shipping_amount=shipping, shipping_incl_tax=shipping
        )
        set_money(order, shipping_tax_amount=0, shipping_discount_amount=0)
        set_money(order, shipping_discount_tax_compensation_amount=0)
        set_money(order, discount_tax_compensation_amount=0)
        grand = subtotal + tax + shipping - discount
        set_money(order, grand_total=grand, total_due=grand)
        top = [i for i in order["items"] if "parent_item_id" not in i]
        order["total_qty_ordered"] = num(sum(float(i["qty_ordered"]) for i in top))
        order["total_item_count"] = len(top)
        order["weight"] = num(sum(float(i.get("row_weight", 0)) for i in top))
        if not order["is_virtual"]:
            order["shipping_description"] = description
            order["_shipping_method"] = method

    def _set_real_shop_money(
        self,
        order: dict[str, Any],
        shipping_discount: float,
        payments: Mapping[str, float],
        gst: str | None,
    ) -> None:
        grand = float(order["grand_total"])
        if shipping_discount:
            shipping_discount = min(shipping_discount, float(order["shipping_incl_tax"]))
            set_money(order, shipping_discount_amount=shipping_discount)
            add_money(order, discount_amount=-shipping_discount)
            grand -= shipping_discount
        extension: dict[str, Any] = {}
        for key, amount in payments.items():
            extension[key] = extension[f"base_{key}"] = num(round(float(amount), 2))
            grand -= float(amount)
        set_money(order, grand_total=max(0.0, grand), total_due=max(0.0, grand))
        applied, per_item = _applied_taxes(order, gst)
        if applied:
            extension["applied_taxes"] = applied
            extension["item_applied_taxes"] = per_item
        order["_extension"] = extension

    def _set_payment(self, order: dict[str, Any], method: str) -> None:
        title = PAYMENT_TITLES.get(method, method)
        payment = {
            "account_status": None,
            "additional_information": [title, ""],
            "cc_last4": None,
            "entity_id": order["entity_id"],
            "method": method,
            "parent_id": order["entity_id"],
        }
        set_money(payment, amount_ordered=float(order["grand_total"]))
        set_money(payment, shipping_amount=float(order["shipping_amount"]))
        order["payment"] = payment
