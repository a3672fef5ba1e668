"""Orders: read access, REST shape, states and statuses, comments, hold/unhold, cancel."""

from __future__ import annotations

import bisect
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, cast
from urllib.parse import unquote

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    MSG_COMMENT_STATUS,
    MSG_HOLD,
    MSG_ID_NEEDED,
    MSG_UNHOLD,
    MagentoError,
    _not_found,
    _required,
    parse_int,
    public,
    set_money,
    snake_keys,
)
from simulators.magento.items import cancel_item, qty_to_cancel, qty_to_invoice, qty_to_ship
from simulators.magento.search import (
    Keyset,
    SearchCriteria,
    check_request,
    filter_rows,
    keyset_of,
    keyset_page,
)

DEFAULT_STATE_STATUSES: dict[str, list[str]] = {
    "new": ["pending"],
    "pending_payment": ["pending_payment"],
    "processing": ["processing", "fraud"],
    "complete": ["complete"],
    "closed": ["closed"],
    "canceled": ["canceled"],
    "holded": ["holded"],
    "payment_review": ["payment_review", "fraud"],
}

_MONEY_STEMS = ("subtotal", "tax", "shipping", "discount", "total")
ORDER_NULLABLE_COLUMNS = frozenset(
    [
        f"{base}{stem}_{what}"
        for base in ("", "base_")
        for stem in _MONEY_STEMS
        for what in ("invoiced", "canceled", "refunded")
    ]
    + [f"{base}total_{what}" for base in ("", "base_") for what in ("paid", "offline_refunded")]
    + "customer_id customer_dob customer_gender customer_middlename customer_prefix "
    "customer_suffix customer_taxvat customer_note coupon_code discount_description "
    "ext_order_id ext_customer_id hold_before_state hold_before_status x_forwarded_for "
    "edit_increment original_increment_id relation_parent_id relation_child_id "
    "adjustment_positive adjustment_negative applied_rule_ids".split()
)


def _item_out(item: Mapping[str, Any], by_id: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    out = public(item)
    parent_id = item.get("parent_item_id")
    if parent_id is not None:
        out["parent_item"] = public(by_id[parent_id])
    return out


def _shipping_total(order: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "shipping_amount",
        "shipping_discount_amount",
        "shipping_discount_tax_compensation_amount",
        "shipping_incl_tax",
        "shipping_tax_amount",
        "shipping_invoiced",
        "shipping_canceled",
        "shipping_refunded",
    )
    total = {}
    for key in keys:
        if key in order:
            total[key] = order[key]
            if f"base_{key}" in order:
                total[f"base_{key}"] = order[f"base_{key}"]
    return total


KEYSET_FIELDS = ("created_at", "updated_at")


@dataclass
class KeysetIndex:
    """Orders sorted by (lower-cased field, entity_id): which orders (see
    ``_orders_signature``), their field values and the orders."""

    signature: tuple[int, str]
    values: list[Any]
    orders: list[dict[str, Any]]


@dataclass
class KeysetMatches:
    """The orders of an index some filter groups match: ``values`` are the index's orders'
    tested columns when it was made; ``keys`` and ``orders`` the matches, in index order."""

    signature: tuple[int, str]
    indexed: list[dict[str, Any]]
    values: list[Any]
    keys: list[tuple[str, int]]
    orders: list[dict[str, Any]]


def _columns(orders: list[dict[str, Any]], fields: tuple[str, ...]) -> list[Any]:
    """The orders' values of ``fields``, flat (order by order), in one pass over the orders."""
    try:
        if len(fields) == 1:
            return list(map(operator.itemgetter(fields[0]), orders))
        return list(chain.from_iterable(map(operator.itemgetter(*fields), orders)))
    except KeyError:  # a column some order lacks: NULL
        return [order.get(f) for order in orders for f in fields]


def _same(current: list[Any], snapshot: list[Any]) -> bool:
    return len(current) == len(snapshot) and all(map(operator.is_, current, snapshot))


def _indexable(order: Mapping[str, Any], name: str) -> bool:
    entity_id = order.get("entity_id")
    return isinstance(order.get(name), str) and type(entity_id) is int


class OrdersMixin:
    """MagentoSimulator's orders: read access, states, comments, hold, cancel."""

    # -- read access ---------------------------------------------------------------------------

    def get_order(self, entity_id: int) -> dict[str, Any]:
        """The order as ``GET /V1/orders/{id}`` returns it (a copy)."""
        with self.lock:
            return json.loads(json.dumps(self._order_out(self.orders[entity_id])))

    def order_item(
        self, entity_id: int, sku: str, product_type: str | None = None
    ) -> dict[str, Any]:
        """The first item of an order with ``sku`` (and ``product_type`` when given)."""
        with self.lock:
            for item in self.orders[entity_id]["items"]:
                if item["sku"] == sku and product_type in (None, item["product_type"]):
                    return public(item)
        raise KeyError(sku)

    def default_status(self, state: str) -> str:
        statuses = self.state_statuses.get(state) or [state]
        return statuses[0]

    def add_status(self, state: str, status: str) -> None:
        """Assign a custom status to a state (Stores > Order Status > Assign)."""
        with self.lock:
            self.state_statuses.setdefault(state, [state])
            if status not in self.state_statuses[state]:
                self.state_statuses[state].append(status)

    # -- serialisation -------------------------------------------------------------------------

    def _order_out(self, order: Mapping[str, Any]) -> dict[str, Any]:
        out = public(order)
        by_id = {i["item_id"]: i for i in order["items"]}
        items = [_item_out(i, by_id) for i in order["items"]]
        out["items"] = items
        out["status_histories"] = list(reversed(order["status_histories"]))
        shipping: dict[str, Any] = {"total": _shipping_total(order)}
        if "_shipping_address" in order:
            shipping = {
                "address": order["_shipping_address"],
                "method": order["_shipping_method"],
                **shipping,
            }
        out["extension_attributes"] = {
            **order.get("_extension", {}),
            "shipping_assignments": [{"shipping": shipping, "items": items}],
        }
        return out

    # -- quantities and states -----------------------------------------------------------------

    def _can_invoice(self, order: Mapping[str, Any]) -> bool:
        if order["state"] in ("payment_review", "holded", "canceled", "complete", "closed"):
            return False
        return any(qty_to_invoice(i) > 0 for i in order["items"])

    def _can_ship(self, order: Mapping[str, Any]) -> bool:
        if order["state"] in ("payment_review", "holded", "canceled") or order["is_virtual"]:
            return False
        return any(qty_to_ship(i) > 0 for i in order["items"])

    def _can_creditmemo(self, order: Mapping[str, Any]) -> bool:
        if order["state"] in ("holded", "payment_review", "canceled", "closed"):
            return False
        return (
            float(order.get("total_paid") or 0) - float(order.get("total_refunded") or 0) > 0.0001
        )

    def _resolve_state(self, order: dict[str, Any], in_progress: bool = False) -> None:
        """StateResolver + ResourceModel\\Order\\Handler\\State; status = default of state."""
        state = order["state"]
        settled = state not in ("canceled", "holded") and not self._can_invoice(order)
        if settled and not self._can_ship(order):
            if state in ("new", "processing", "complete") and not self._can_creditmemo(order):
                state = "closed"
            elif state in ("new", "processing"):
                state = "complete"
        if state == "new" and in_progress:
            state = "processing"
        self._set_state(order, state)

    def _set_state(self, order: dict[str, Any], state: str) -> None:
        changed = state != order["state"]
        order["state"] = state
        order["status"] = self.default_status(state)
        if changed and self.state_change_history:
            self._history(order, "", order["status"], 0)

    def _touch(self, order: dict[str, Any], item_ids: Iterable[int] = ()) -> None:
        now = self.stamp()
        order["updated_at"] = now
        wanted = set(item_ids)
        for item in order["items"]:
            if item["item_id"] in wanted:
                item["updated_at"] = now

    def _history(
        self, order: dict[str, Any], comment: str, status: str | None, notify: Any
    ) -> dict[str, Any]:
        entry = {
            "comment": comment,
            "created_at": self.stamp(),
            "entity_id": self._next_id("history"),
            "entity_name": "order",
            "is_customer_notified": None if notify is None else int(bool(notify)),
            "is_visible_on_front": 0,
            "parent_id": order["entity_id"],
            "status": status,
        }
        order["status_histories"].append(entry)
        return entry

    # -- comments, hold, cancel ----------------------------------------------------------------

    def add_comment(
        self,
        order_id: int,
        comment: str,
        *,
        status: str | None = None,
        is_customer_notified: int = 0,
        is_visible_on_front: int = 0,
    ) -> bool:
        """``POST /V1/orders/{id}/comments`` semantics per ``comments_status_mode``."""
        with self.lock:
            order = self._order_or_404(order_id)
            new_status = self._comment_status(order, status)
            entry = self._history(order, comment, new_status, is_customer_notified)
            entry["is_visible_on_front"] = int(bool(is_visible_on_front))
            order["status"] = new_status
            if is_customer_notified:
                self.notifications.append(
                    {"type": "order_comment", "order_id": order_id, "comment": comment}
                )
            self._touch(order)
            return True

    def _comment_status(self, order: Mapping[str, Any], status: str | None) -> str:
        if self.comments_status_mode == "ignored" or not status:
            return str(order["status"])
        if self.comments_status_mode == "free":
            return status
        if status not in self.state_statuses.get(order["state"], []):
            raise MagentoError(400, MSG_COMMENT_STATUS, [status])
        return status

    def hold(self, order_id: int) -> bool:
        with self.lock:
            order = self._order_or_404(order_id)
            if order["state"] in ("canceled", "payment_review", "complete", "closed", "holded"):
                raise MagentoError(400, MSG_HOLD)
            order["hold_before_state"], order["hold_before_status"] = (
                order["state"],
                order["status"],
            )
            order["state"] = order["status"] = "holded"
            self._touch(order)
            return True

    def unhold(self, order_id: int) -> bool:
        with self.lock:
            order = self._order_or_404(order_id)
            if order["state"] != "holded":
                raise MagentoError(400, MSG_UNHOLD)
            order["state"] = order.pop("hold_before_state", None) or "new"
            order["status"] = order.pop("hold_before_status", None) or self.default_status(
                order["state"]
            )
            self._touch(order)
            return True

    def can_cancel(self, order_id: int) -> bool:
        with self.lock:
            order = self._order_or_404(order_id)
            if order["state"] in ("holded", "payment_review", "canceled", "complete", "closed"):
                return False
            return any(qty_to_invoice(i) > 0 for i in order["items"])

    def cancel(self, order_id: int) -> bool:
        """``POST /V1/orders/{id}/cancel``: False (no change) when the order can't be cancelled."""
        with self.lock:
            if not self.can_cancel(order_id):
                return False
            order = self.orders[order_id]
            canceled = {}
            for item in order["items"]:
                qty = qty_to_cancel(item)
                if qty > 0:
                    cancel_item(item, qty)
                    canceled[item["item_id"]] = qty
                    if item["product_type"] == "simple":
                        self._compensate(order, item, qty, "order_canceled")
            self._cancel_totals(order)
            paid = any(
                float(i["qty_invoiced"]) > float(i["qty_refunded"]) and not i["_dummy_invoice"]
                for i in order["items"]
            )
            state = "canceled"
            if paid:
                ship_left = any(qty_to_ship(i) > 0 for i in order["items"])
                state = "processing" if ship_left else "complete"
            self._set_state(order, state)
            if paid:
                self._resolve_state(order)
            self._touch(order, canceled)
            return True

    def _cancel_totals(self, order: dict[str, Any]) -> None:
        priced = [i for i in order["items"] if not i["_dummy_invoice"]]
        subtotal = sum(float(i["price"]) * float(i["qty_canceled"]) for i in priced)
        tax = sum(float(i.get("tax_canceled") or 0) for i in priced)
        shipping = float(order["shipping_amount"]) - float(order.get("shipping_invoiced") or 0)
        discount = float(order["discount_amount"]) - float(order.get("discount_invoiced") or 0)
        total = float(order["grand_total"]) - float(order.get("total_paid") or 0)
        set_money(order, subtotal_canceled=subtotal, tax_canceled=tax, shipping_canceled=shipping)
        set_money(order, discount_canceled=discount, total_canceled=total)
        set_money(order["payment"], amount_canceled=total)

    def _order_or_404(self, order_id: int) -> dict[str, Any]:
        order = self.orders.get(int(order_id))
        if order is None:
            raise _not_found()
        return order

    def _order_by_param(self, raw: str) -> dict[str, Any]:
        order_id = parse_int(unquote(raw))
        if order_id <= 0:
            raise MagentoError(400, MSG_ID_NEEDED)
        order = self.orders.get(order_id)
        if order is None:
            raise _not_found()
        return order

    # -- REST handlers: orders -----------------------------------------------------------------

    def _h_orders(self, req: RecordedRequest) -> SimResponse:
        criteria = self._criteria(req)
        keyset = keyset_of(criteria, KEYSET_FIELDS) if not self.shuffle_ties else None
        found = self._orders_after(keyset, criteria) if keyset is not None and self.orders else None
        if found is None:
            rows = [self.orders[k] for k in sorted(self.orders)]
            columns = set(rows[0]) | ORDER_NULLABLE_COLUMNS if rows else None
            return self._search_response(req, rows, self._order_out, columns, criteria)
        options = self._options(set(self.orders[min(self.orders)]) | ORDER_NULLABLE_COLUMNS)
        check_request(criteria, options)
        page, total = keyset_page(*found, criteria, options)
        body = {
            "items": [self._order_out(row) for row in page],
            "search_criteria": criteria.echo(),
            "total_count": total,
        }
        return self._ok(req, body)

    def _orders_after(
        self, keyset: Keyset, criteria: SearchCriteria
    ) -> tuple[list[dict[str, Any]], int] | None:
        """The orders the criteria match in the keyset's order, and where the cursor is in
        them (what a database's index on (field, entity_id) answers); None when some order
        cannot be indexed."""
        groups = [g for n, g in enumerate(criteria.groups) if n not in keyset.consumed]
        matches = self._keyset_matches(keyset.name, groups)
        if matches is None:
            return None
        since = keyset.since.casefold()
        if keyset.last_id is None:
            return matches.orders, bisect.bisect_left(matches.keys, (since,))
        return matches.orders, bisect.bisect_right(matches.keys, (since, keyset.last_id))

    def _keyset_index(self, name: str) -> KeysetIndex | None:
        """Every order sorted as a search by ``name`` then ``entity_id`` sorts them; kept
        between searches while the same orders exist and their ``name`` values are the same
        objects (checked on each use: orders change in place). None unless every order has a
        text ``name`` and an integer entity_id."""
        cached = self._keyset_indexes.get(name)
        if cached is not None and cached.signature == self._orders_signature():
            if _same(_columns(cached.orders, (name,)), cached.values):
                return cached
        orders = list(self.orders.values())
        if not all(_indexable(order, name) for order in orders):
            return None
        orders.sort(key=lambda o: (o[name].casefold(), o["entity_id"]))
        index = KeysetIndex(self._orders_signature(), _columns(orders, (name,)), orders)
        self._keyset_indexes[name] = index
        return index

    def _keyset_matches(
        self, name: str, groups: list[list[tuple[str, str, str]]]
    ) -> KeysetMatches | None:
        """The orders ``groups`` match in the index's order, with their keys; kept between
        searches (a backfill asks the same filter for every page) while the same orders exist
        and the index's column and those the groups test are the same objects in each (one
        pass over the orders, no index check then)."""
        fields = (name, *sorted({f for g in groups for f, _, _ in g} - {name}))
        cache_key = (name, repr(groups))
        cached = self._keyset_filtered.get(cache_key)
        if cached is not None and cached.signature == self._orders_signature():
            if _same(_columns(cached.indexed, fields), cached.values):
                return cached
        index = self._keyset_index(name)
        if index is None:
            return None
        matching = cast(list[dict[str, Any]], filter_rows(index.orders, groups))
        matches = KeysetMatches(
            signature=index.signature,
            indexed=index.orders,
            values=_columns(index.orders, fields),
            keys=[(o[name].casefold(), o["entity_id"]) for o in matching],
            orders=matching,
        )
        if len(self._keyset_filtered) >= 8:
            self._keyset_filtered.clear()
        self._keyset_filtered[cache_key] = matches
        return matches

    def _orders_signature(self) -> tuple[int, str]:
        """Which orders exist: their number and the next order id (an order added or
        deleted changes it)."""
        return len(self.orders), repr(self._ids.get("order"))

    def _h_order(self, req: RecordedRequest, id: str) -> SimResponse:
        return self._ok(req, self._order_out(self._order_by_param(id)))

    def _h_status(self, req: RecordedRequest, id: str) -> SimResponse:
        return SimResponse(200, self._order_by_param(id)["status"])

    def _h_add_comment(self, req: RecordedRequest, id: str) -> SimResponse:
        order = self._order_by_param(id)
        body = self._body(req)
        history = body.get("statusHistory", body.get("status_history"))
        if not isinstance(history, dict):
            raise _required("statusHistory")
        history = snake_keys(history)
        self.add_comment(
            order["entity_id"],
            str(history.get("comment") or ""),
            status=history.get("status"),
            is_customer_notified=int(bool(history.get("is_customer_notified"))),
            is_visible_on_front=int(bool(history.get("is_visible_on_front"))),
        )
        return SimResponse(200, True)

    def _h_comments(self, req: RecordedRequest, id: str) -> SimResponse:
        order = self._order_by_param(id)
        criteria = SearchCriteria(groups=[[("parent_id", str(order["entity_id"]), "eq")]])
        items = list(order["status_histories"])
        return self._ok(
            req, {"items": items, "search_criteria": criteria.echo(), "total_count": len(items)}
        )

    def _h_cancel(self, req: RecordedRequest, id: str) -> SimResponse:
        return SimResponse(200, self.cancel(self._order_by_param(id)["entity_id"]))

    def _h_hold(self, req: RecordedRequest, id: str) -> SimResponse:
        return SimResponse(200, self.hold(self._order_by_param(id)["entity_id"]))

    def _h_unhold(self, req: RecordedRequest, id: str) -> SimResponse:
        return SimResponse(200, self.unhold(self._order_by_param(id)["entity_id"]))
