"""A fake Increff Omni receiving the proxy's calls (``shared/reference/increff-omni.md`` I1-I4).

Routes (all under ``path_prefix``, default ""):

* ``POST /orders/outward``            Create Outward Order (I1)
* ``PUT  /orders/{orderCode}/cancel`` Customer Cancellation (I2), absolute quantities
* ``PUT  /orders/{orderCode}``        Update Order Properties (I3)
* ``POST /return/return-orders``      Create Return Order (I4; ``return_path`` configurable)

Every call must carry ``authUsername``/``authPassword``/``authDomainName`` headers matching
``auth_username``/``auth_password``/``auth_domain`` (401 otherwise; the domain check can be
switched off with ``require_domain = False``).  Success is 200 with an empty body.  Validation
failures answer 400 ``{"code": "BAD_DATA", "message": "Input validation failed",
"description": "[<field>: may not be null, ...]"}`` like Omni's bean validation.

Decisions where the reference is silent or contradictory (bodies invented, code BAD_DATA kept):

* A second Create Outward Order with a known ``orderCode`` answers 200 and does nothing (Omni's
  FAQ: "duplicates -> success, no action"); ``duplicate_order_response = "bad_data"`` makes it a
  400 instead.  Either way ``create_attempts[orderCode]`` counts every attempt.
* Cancel / update of an unknown order, cancel after ``mark_invoiced``, a duplicate
  ``returnOrderCode`` and a return against an unknown forward order answer 400 BAD_DATA with a
  readable ``message`` and ``description``.
* ``hold_via_update_allowed`` (default True): Omni's FAQ says onHold "can only be changed to
  false"; set it to False to reject ``onHold: true`` on an order that is not held.

Assertion helpers: ``orders`` (payload by orderCode), ``create_attempts`` (Counter),
``duplicate_attempts(code)``, ``cancellations[orderCode][orderItemCode]`` (absolute qty),
``cancel_requests``, ``updates``, ``order_props``, ``returns`` (payload by returnOrderCode),
``return_attempts``, plus the base class's ``requests`` log, latency and fault injection.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from simulators.base import (
    RecordedRequest,
    Route,
    SimError,
    SimResponse,
    Simulator,
    html_error,
)

OUTWARD_REQUIRED = (
    "orderCode",
    "orderTime",
    "orderType",
    "onHold",
    "qcStatus",
    "dispatchByTime",
    "startProcessingTime",
    "paymentMethod",
    "shippingAddress",
    "orderItems",
)
OUTWARD_ITEM_REQUIRED = ("channelSkuCode", "orderItemCode", "quantity", "sellingPricePerUnit")
CANCEL_ITEM_REQUIRED = ("channelSkuCode", "cancelledQuantity", "orderItemCode")
UPDATE_REQUIRED = ("dispatchByTime", "onHold", "startProcessingTime")
RETURN_REQUIRED = ("forwardOrderCode", "returnOrderCode", "locationCode", "orderItems", "orderType")
RETURN_ITEM_REQUIRED = ("itemCode", "reason", "channelSkuCode")
TIME_FIELDS = ("orderTime", "dispatchByTime", "startProcessingTime", "deliveredAt")
TIME_FIELDS_RETURN = ("returnOrderTime", "expectedDate")

ENUMS: dict[str, tuple[str, ...]] = {
    "paymentMethod": ("COD", "NCOD"),
    "qcStatus": ("PASS", "FAIL"),
    "packType": ("PIECE", "BULK"),
    "orderStatus": ("DELIVERED", "CREATED"),
}
OUTWARD_ORDER_TYPES = (
    "SO",
    "STO",
    "RTV",
    "RPO",
    "PO",
    "SALES",
    "PURCHASE",
    "STOCK_TRANSFER",
    "REPLACEMENT",
    "RETURN",
)
RETURN_ORDER_TYPES = ("SELF_SHIP", "CUSTOMER_RETURN", "RETURN_TO_ORIGIN")
FREE_JSON_KEYS = frozenset({"channelMetadata"})


class OmniError(SimError):
    def __init__(self, status: int, code: str, message: str, description: str) -> None:
        body = {"code": code, "message": message, "description": description}
        super().__init__(SimResponse(status, body))


def bad_data(problems: Iterable[str]) -> OmniError:
    return OmniError(400, "BAD_DATA", "Input validation failed", f"[{', '.join(problems)}]")


def business_error(message: str) -> OmniError:
    return OmniError(400, "BAD_DATA", message, message)


# -- validation helpers --------------------------------------------------------------------------


def missing(data: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    return [f"{name}: may not be null" for name in names if data.get(name) is None]


def bad_enums(data: Mapping[str, Any], enums: Mapping[str, tuple[str, ...]]) -> list[str]:
    problems = []
    for name, allowed in enums.items():
        value = data.get(name)
        if value is not None and value not in allowed:
            problems.append(f"{name}: must be one of [{', '.join(allowed)}]")
    return problems


def bad_times(data: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    problems = []
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            problems.append(f"{name}: invalid date format {value!r}")
    return problems


def long_strings(data: Any, limit: int, key: str = "") -> list[str]:
    """Every string over ``limit`` characters (free-form custom metadata is not checked)."""
    if isinstance(data, str):
        return [f"{key}: size must be between 0 and {limit}"] if len(data) > limit else []
    if isinstance(data, Mapping):
        return [
            p for k, v in data.items() if k not in FREE_JSON_KEYS for p in long_strings(v, limit, k)
        ]
    if isinstance(data, list):
        return [p for v in data for p in long_strings(v, limit, key)]
    return []


def item_list(data: Mapping[str, Any], name: str) -> tuple[list[Mapping[str, Any]], list[str]]:
    items = data.get(name)
    if items is None:
        return [], []  # reported by ``missing``
    if not isinstance(items, list) or not items:
        return [], [f"{name}: may not be empty"]
    return [i for i in items if isinstance(i, Mapping)], []


def bad_quantity(item: Mapping[str, Any], name: str, minimum: int) -> list[str]:
    value = item.get(name)
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return [f"{name}: must be an integer"]
    if value < minimum:
        return [f"{name}: must be greater than or equal to {minimum}"]
    return []


def duplicates(values: Iterable[Any]) -> list[Any]:
    counts = Counter(values)
    return [v for v, n in counts.items() if n > 1 and v is not None]


class OmniSimulator(Simulator):
    """Fake Increff Omni (inbound standard APIs); see the module docstring."""

    def __init__(
        self,
        *,
        auth_username: str = "omni-user",
        auth_password: str = "omni-pass",
        auth_domain: str = "omni-domain",
        path_prefix: str = "",
        return_path: str = "/return/return-orders",
    ) -> None:
        super().__init__()
        self.auth_username = auth_username
        self.auth_password = auth_password
        self.auth_domain = auth_domain
        self.require_domain = True
        self.duplicate_order_response = "ok"
        self.hold_via_update_allowed = True
        self.require_forward_order = True
        self.require_awb = False
        self.reject_duplicate_sku = False
        self.max_string_length = 255
        self.max_order_items = 2500
        self.orders: dict[str, dict[str, Any]] = {}
        self.create_attempts: Counter[str] = Counter()
        self.order_props: dict[str, dict[str, Any]] = {}
        self.cancellations: dict[str, dict[str, int]] = {}
        self.cancel_requests: dict[str, list[dict[str, Any]]] = {}
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.returns: dict[str, dict[str, Any]] = {}
        self.return_attempts: Counter[str] = Counter()
        prefix = re.escape(path_prefix.rstrip("/"))
        code = r"(?P<code>[^/]+)"
        self.route("POST", rf"{prefix}/orders/outward", self._h_create)
        self.route("PUT", rf"{prefix}/orders/{code}/cancel", self._h_cancel)
        self.route("PUT", rf"{prefix}/orders/{code}", self._h_update)
        self.route("POST", prefix + re.escape("/" + return_path.strip("/")), self._h_return)

    # -- helpers for tests ---------------------------------------------------------------------

    def duplicate_attempts(self, order_code: str) -> int:
        with self.lock:
            return max(0, self.create_attempts[order_code] - 1)

    def mark_invoiced(self, order_code: str, invoiced: bool = True) -> None:
        """Pretend Omni invoiced the order: customer cancellation is refused afterwards."""
        with self.lock:
            self.order_props[order_code]["invoiced"] = invoiced

    def headers(self) -> dict[str, str]:
        """The auth headers this simulator accepts."""
        return {
            "authUsername": self.auth_username,
            "authPassword": self.auth_password,
            "authDomainName": self.auth_domain,
        }

    # -- transport hooks -----------------------------------------------------------------------

    def before(self, req: RecordedRequest, route: Route) -> SimResponse | None:
        ok = req.headers.get("authUsername") == self.auth_username
        ok = ok and req.headers.get("authPassword") == self.auth_password
        if self.require_domain:
            ok = ok and req.headers.get("authDomainName") == self.auth_domain
        if ok:
            return None
        message = "Invalid authUsername, authPassword or authDomainName"
        return OmniError(401, "UNAUTHORIZED", "Authentication failed", message).response

    def no_route(self, req: RecordedRequest) -> SimResponse:
        message = f"No handler found for {req.method} {req.path}"
        return OmniError(404, "NOT_FOUND", message, message).response

    def fault_response(self, status: int, req: RecordedRequest) -> SimResponse:
        if status in (502, 503, 504):
            return html_error(status)
        if status == 400:
            return bad_data(["simulated: may not be null"]).response
        if status == 401:
            return OmniError(401, "UNAUTHORIZED", "Authentication failed", "simulated").response
        message = "Internal server error"
        return OmniError(status, "INTERNAL_ERROR", message, message).response

    @staticmethod
    def _ok() -> SimResponse:
        return SimResponse(200, raw=b"", headers={"Content-Type": "application/json"})

    @staticmethod
    def _payload(req: RecordedRequest) -> dict[str, Any]:
        if req.json_error or not isinstance(req.json, dict):
            raise business_error("Malformed JSON request")
        return req.json

    # -- Create Outward Order ------------------------------------------------------------------

    def _h_create(self, req: RecordedRequest) -> SimResponse:
        body = self._payload(req)
        code = body.get("orderCode")
        if code is not None:
            self.create_attempts[str(code)] += 1
        problems = self._outward_problems(body)
        if problems:
            raise bad_data(problems)
        code = str(code)
        if code in self.orders:
            if self.duplicate_order_response == "ok":
                return self._ok()
            raise business_error(f"Order already exists for orderCode: {code}")
        self.orders[code] = body
        self.order_props[code] = {
            "onHold": bool(body["onHold"]),
            "dispatchByTime": body["dispatchByTime"],
            "startProcessingTime": body["startProcessingTime"],
            "locationCode": body.get("locationCode"),
            "orderStatus": "CREATED",
            "invoiced": False,
        }
        return self._ok()

    def _outward_problems(self, body: Mapping[str, Any]) -> list[str]:
        problems = missing(body, OUTWARD_REQUIRED)
        if not body.get("isSplitRequired") and body.get("locationCode") is None:
            problems.append("locationCode: may not be null")
        problems += bad_enums(body, ENUMS)
        order_type = body.get("orderType")
        if order_type is not None and order_type not in OUTWARD_ORDER_TYPES:
            problems.append(f"orderType: must be one of [{', '.join(OUTWARD_ORDER_TYPES)}]")
        problems += bad_times(body, TIME_FIELDS)
        items, item_problems = item_list(body, "orderItems")
        problems += item_problems
        if len(items) > self.max_order_items:
            problems.append(f"orderItems: size must be between 1 and {self.max_order_items}")
        for item in items:
            problems += missing(item, OUTWARD_ITEM_REQUIRED) + bad_quantity(item, "quantity", 1)
        for code in duplicates(i.get("orderItemCode") for i in items):
            problems.append(f"orderItemCode: duplicate value {code}")
        if self.reject_duplicate_sku:
            for sku in duplicates(i.get("channelSkuCode") for i in items):
                problems.append(f"channelSkuCode: duplicate value {sku}")
        address = body.get("shippingAddress")
        if address is not None and not isinstance(address, Mapping):
            problems.append("shippingAddress: must be an object")
        return problems + long_strings(body, self.max_string_length)

    # -- Customer Cancellation -----------------------------------------------------------------

    def _h_cancel(self, req: RecordedRequest, code: str) -> SimResponse:
        body = self._payload(req)
        items, problems = item_list(body, "orderItems")
        problems = missing(body, ("orderItems",)) + problems
        for item in items:
            problems += missing(item, CANCEL_ITEM_REQUIRED)
            problems += bad_quantity(item, "cancelledQuantity", 0)
        if problems:
            raise bad_data(problems)
        order = self._known_order(code)
        if self.order_props[code]["invoiced"]:
            raise business_error(f"Order {code} is already invoiced and cannot be cancelled")
        ordered = {str(i.get("orderItemCode")): i for i in order["orderItems"]}
        for item in items:
            self._check_cancel_item(code, ordered, item)
        self.cancel_requests.setdefault(code, []).append(body)
        done = self.cancellations.setdefault(code, {})
        for item in items:
            done[str(item["orderItemCode"])] = int(item["cancelledQuantity"])
        return self._ok()

    @staticmethod
    def _check_cancel_item(
        code: str, ordered: Mapping[str, Mapping[str, Any]], item: Mapping[str, Any]
    ) -> None:
        line = ordered.get(str(item["orderItemCode"]))
        if line is None:
            raise business_error(f"Order item {item['orderItemCode']} not found in order {code}")
        if str(line.get("channelSkuCode")) != str(item["channelSkuCode"]):
            raise business_error(
                f"channelSkuCode {item['channelSkuCode']} does not match order item "
                f"{item['orderItemCode']}"
            )
        if int(item["cancelledQuantity"]) > int(line.get("quantity") or 0):
            raise business_error(
                f"cancelledQuantity {item['cancelledQuantity']} is more than the ordered "
                f"quantity for order item {item['orderItemCode']}"
            )

    def _known_order(self, code: str) -> dict[str, Any]:
        order = self.orders.get(code)
        if order is None:
            raise business_error(f"Order not found for orderCode: {code}")
        return order

    # -- Update Order Properties ---------------------------------------------------------------

    def _h_update(self, req: RecordedRequest, code: str) -> SimResponse:
        body = self._payload(req)
        problems = missing(body, UPDATE_REQUIRED) + bad_times(body, TIME_FIELDS)
        problems += bad_enums(body, {"orderStatus": ENUMS["orderStatus"]})
        if body.get("orderStatus") == "DELIVERED" and body.get("deliveredAt") is None:
            problems.append("deliveredAt: may not be null")
        if problems:
            raise bad_data(problems)
        self._known_order(code)
        props = self.order_props[code]
        if body["onHold"] and not props["onHold"] and not self.hold_via_update_allowed:
            raise business_error("onHold can only be changed to false")
        self.updates.setdefault(code, []).append(body)
        for key in ("dispatchByTime", "startProcessingTime", "onHold", "locationCode"):
            if body.get(key) is not None:
                props[key] = body[key]
        if body.get("orderStatus"):
            props["orderStatus"] = body["orderStatus"]
            props["deliveredAt"] = body.get("deliveredAt")
        return self._ok()

    # -- Create Return Order -------------------------------------------------------------------

    def _h_return(self, req: RecordedRequest) -> SimResponse:
        body = self._payload(req)
        code = body.get("returnOrderCode")
        if code is not None:
            self.return_attempts[str(code)] += 1
        problems = self._return_problems(body)
        if problems:
            raise bad_data(problems)
        code = str(code)
        if code in self.returns:
            raise business_error(f"Return order already exists for returnOrderCode: {code}")
        self._check_forward_order(body)
        self.returns[code] = body
        return self._ok()

    def _return_problems(self, body: Mapping[str, Any]) -> list[str]:
        problems = missing(body, RETURN_REQUIRED)
        if self.require_awb:
            problems += missing(body, ("awbNumber", "transporter"))
        order_type = body.get("orderType")
        if order_type is not None and order_type not in RETURN_ORDER_TYPES:
            problems.append(f"orderType: must be one of [{', '.join(RETURN_ORDER_TYPES)}]")
        problems += bad_times(body, TIME_FIELDS_RETURN)
        items, item_problems = item_list(body, "orderItems")
        problems += item_problems
        for item in items:
            problems += missing(item, RETURN_ITEM_REQUIRED)
        for item_code in duplicates(i.get("itemCode") for i in items):
            problems.append(f"itemCode: duplicate value {item_code}")
        return problems + long_strings(body, self.max_string_length)

    def _check_forward_order(self, body: Mapping[str, Any]) -> None:
        if not self.require_forward_order:
            return
        forward = str(body["forwardOrderCode"])
        order = self.orders.get(forward)
        if order is None:
            raise business_error(f"Forward order not found for orderCode: {forward}")
        skus = {str(i.get("channelSkuCode")) for i in order["orderItems"]}
        for item in body["orderItems"]:
            if str(item["channelSkuCode"]) not in skus:
                raise business_error(
                    f"channelSkuCode {item['channelSkuCode']} is not part of order {forward}"
                )
