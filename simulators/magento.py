"""A stateful fake of the Magento 2.4 admin REST API (orders, documents, stock).

Behaviour, shapes and error strings follow ``shared/reference/magento-rest.md`` (sections 1-3).
Paths: ``/rest/V1/...``, ``/rest/<store code>/V1/...`` (``store_codes``, default ``default`` and
``all``).  Anything else answers 404 ``Request does not match any route.``

Knobs (plain attributes, change them at any time):

=============================  ===========  ===================================================
knob                           default      meaning
=============================  ===========  ===================================================
``comments_status_mode``       same_state   ``same_state`` (2.4.8+), ``ignored`` (2.4.7),
                                            ``free`` (<=2.4.6)
``paging_last_page_repeat``    False        True: a page past the end repeats the last page
``input_limiting``             False        True: default pageSize 20, max 300, arrays <= 20
``two_factor_enabled``         **False**    Magento's default is on; off here so tests can get
                                            admin tokens.  On: admin/token answers 400 "2fa"
``integration_bearer_allowed`` **True**     2.4.4+ default is off; integration tokens as Bearer
``admin_username/password``    admin /      credentials for ``/V1/integration/admin/token``
                               admin123
``token_ttl_seconds``          3600         admin token lifetime (measured on the sim clock)
``lockout_failures``           6            failed logins before a ``lockout_seconds`` lock
``id_as_string``               False        created ids come back as ``"12"`` instead of ``12``
``msi_multi_source``           False        ship requires a known
                                            ``arguments.extension_attributes.source_code``
``source_codes``               {default}    known MSI sources
``state_change_history``       False        newer versions: empty history row on state change
``shuffle_ties``               False        rows equal on every sort key come back in random
                                            order (MySQL gives no tie order)
``integration_tokens``         {token}      Bearer tokens that never expire
``oauth_*``                    see init     OAuth 1.0a integration credentials
``oauth_verify_signature``     True         check the HMAC-SHA256/SHA1 signature
``token_acl``                  {}           token -> set of ACL ids it may use (else all)
=============================  ===========  ===================================================

Builder API (for tests): :meth:`MagentoSimulator.add_product`, :meth:`MagentoSimulator.add_order`
(line spec format in its docstring), :meth:`MagentoSimulator.get_order`, ``invoices``,
``shipments``, ``creditmemos`` (dicts by entity id, REST shape), ``invoices_for(order_id)`` etc.,
the Python mirrors of the REST actions (``invoice``, ``ship``, ``cancel``, ``hold``, ``unhold``,
``add_comment``, ``refund``) and the clock (``set_clock``, ``advance_clock``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import random
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from simulators.base import (
    RecordedRequest,
    Route,
    SimError,
    SimResponse,
    Simulator,
    html_error,
    report_id,
)

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

ACL_VIEW = "Magento_Sales::actions_view"
ACL_COMMENT = "Magento_Sales::comment"
ACL_CANCEL = "Magento_Sales::cancel"
ACL_HOLD = "Magento_Sales::hold"
ACL_UNHOLD = "Magento_Sales::unhold"
ACL_INVOICE = "Magento_Sales::invoice"
ACL_INVOICES = "Magento_Sales::sales_invoice"
ACL_SHIP = "Magento_Sales::ship"
ACL_SHIPMENT = "Magento_Sales::shipment"
ACL_REFUND = "Magento_Sales::creditmemo"
ACL_CREDITMEMOS = "Magento_Sales::sales_creditmemo"
ACL_STOCK = "Magento_Catalog::catalog_inventory"
ACL_SOURCE_READ = "Magento_InventoryApi::source"
ACL_SOURCE_SAVE = "Magento_InventoryApi::stock_source_item_assign"

MSG_NO_ROUTE = "Request does not match any route."
MSG_UNAUTHORIZED = "The consumer isn't authorized to access %resources."
MSG_SIGN_IN = (
    "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
)
MSG_2FA = "Please use the 2fa provider-specific endpoints to obtain a token."
MSG_REQUIRED = '"%fieldName" is required. Enter and try again.'
MSG_NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
MSG_ID_NEEDED = "An ID is needed. Set the ID and try again."
MSG_TYPE = (
    'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
)
MSG_DECODING = "Decoding error."
MSG_METHOD = "The %1 HTTP method is not supported."
MSG_PAGE_MAX = "Maximum SearchCriteria pageSize is %max"
MSG_ARRAY_MAX = 'Maximum items of type "%type" is %max'
MSG_NO_SKU = 'Product with SKU "%1" does not exist'
MSG_COMMENT_STATUS = (
    'Unable to add comment: The status "%1" is not part of the order status history.'
)
MSG_HOLD = "A hold action is not available."
MSG_UNHOLD = "You cannot remove the hold."
INVOICE_PREFIX = "Invoice Document Validation Error(s):\n"
SHIP_PREFIX = "Shipment Document Validation Error(s):\n"
CREDITMEMO_PREFIX = "Creditmemo Document Validation Error(s):\n"
MSG_SHIP_SAVE = "Could not save a shipment, see error log for details"
MSG_SOURCE_SAVE = "Could not save Source Item"

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

PAYMENT_TITLES = {
    "checkmo": "Check / Money order",
    "cashondelivery": "Cash On Delivery",
    "banktransfer": "Bank Transfer Payment",
    "razorpay": "Razorpay",
    "free": "No Payment Information Required",
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

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_ID_RE = r"(?P<id>[^/]+)"


# -- small helpers -------------------------------------------------------------------------------


def num(value: float) -> float | int:
    """A JSON number as Magento prints it: integral values without a fraction."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def money(value: float) -> float | int:
    return num(round(float(value) + 1e-9, 2))


def snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def snake_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {snake(k): v for k, v in data.items()}


def public(data: Mapping[str, Any]) -> dict[str, Any]:
    """The REST view of an internal record: drop ``_private`` keys."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def set_money(record: dict[str, Any], **values: float) -> None:
    """Set ``key`` and its ``base_key`` twin (base currency == order currency here)."""
    for key, value in values.items():
        record[key] = record[f"base_{key}"] = money(value)


def add_money(record: dict[str, Any], **values: float) -> None:
    for key, value in values.items():
        set_money(record, **{key: float(record.get(key) or 0) + value})


class MagentoError(SimError):
    """A Magento error response: ``{"message", "parameters"?, "errors"?}``."""

    def __init__(
        self,
        status: int,
        message: str,
        parameters: Any = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        body: dict[str, Any] = {"message": message}
        if parameters is not None:
            body["parameters"] = parameters
        if errors is not None:
            body["errors"] = errors
        super().__init__(SimResponse(status, body))
        self.message = message


def _required(field_name: str) -> MagentoError:
    return MagentoError(400, MSG_REQUIRED, {"fieldName": field_name})


def _type_error(value: Any, type_name: str) -> MagentoError:
    return MagentoError(400, MSG_TYPE, {"value": str(value), "type": type_name})


def _not_found() -> MagentoError:
    return MagentoError(404, MSG_NO_ENTITY)


def _internal_error() -> MagentoError:
    message = "Internal Error. Details are available in Magento log file. Report ID: webapi-"
    return MagentoError(500, message + report_id())


def parse_int(value: Any, type_name: str = "int") -> int:
    try:
        return int(str(value))
    except ValueError:
        raise _type_error(value, type_name) from None


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _type_error(value, "float") from None


# -- searchCriteria ------------------------------------------------------------------------------

_BRACKET = re.compile(r"\[([^\]]*)\]")
_SC_ALIASES = {
    "filterGroups": "filter_groups",
    "conditionType": "condition_type",
    "sortOrders": "sort_orders",
    "pageSize": "page_size",
    "currentPage": "current_page",
}


@dataclass
class SearchCriteria:
    groups: list[list[tuple[str, str, str]]] = field(default_factory=list)
    sorts: list[tuple[str, str | None]] = field(default_factory=list)
    page_size: int | None = None
    current_page: int | None = None
    sent_sorts: bool = False

    def echo(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filter_groups": [
                {"filters": [{"field": f, "value": v, "condition_type": c} for f, v, c in g]}
                for g in self.groups
            ]
        }
        if self.sent_sorts:
            out["sort_orders"] = [
                {"field": f, "direction": d} if d else {"field": f} for f, d in self.sorts
            ]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


def _sc_tree(pairs: Iterable[tuple[str, str]]) -> dict[str, Any] | None:
    tree: dict[str, Any] = {}
    found = False
    for key, value in pairs:
        if key != "searchCriteria" and not key.startswith("searchCriteria["):
            continue
        found = True
        parts = [_SC_ALIASES.get(p, p) for p in _BRACKET.findall(key[len("searchCriteria") :])]
        node: Any = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if parts and isinstance(node, dict):
            node[parts[-1]] = value
    return tree if found else None


def _indexed(node: Any) -> list[Any]:
    if not isinstance(node, dict):
        return []
    keys = sorted(node, key=lambda k: (0, int(k)) if k.isdigit() else (1, k))
    return [node[k] for k in keys]


def parse_search_criteria(pairs: Iterable[tuple[str, str]]) -> SearchCriteria | None:
    """Parse bracketed ``searchCriteria[...]`` query keys (snake_case or camelCase)."""
    tree = _sc_tree(pairs)
    if tree is None:
        return None
    criteria = SearchCriteria()
    for group in _indexed(tree.get("filter_groups")):
        filters = [
            (str(f["field"]), str(f.get("value", "")), str(f.get("condition_type") or "eq"))
            for f in _indexed(group.get("filters") if isinstance(group, dict) else None)
            if isinstance(f, dict) and f.get("field")
        ]
        criteria.groups.append(filters)
    criteria.sent_sorts = "sort_orders" in tree
    for sort in _indexed(tree.get("sort_orders")):
        if isinstance(sort, dict) and sort.get("field"):
            direction = sort.get("direction")
            criteria.sorts.append(
                (str(sort["field"]), str(direction).upper() if direction else None)
            )
    if tree.get("page_size") not in (None, ""):
        criteria.page_size = parse_int(tree["page_size"])
    if tree.get("current_page") not in (None, ""):
        criteria.current_page = parse_int(tree["current_page"])
    return criteria


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _comparable(column: Any, raw: str) -> tuple[Any, Any]:
    if isinstance(column, bool):
        column = int(column)
    if isinstance(column, int | float):
        try:
            return float(column), float(raw)
        except ValueError:
            return str(column), raw
    return str(column).casefold(), raw.casefold()


def _in_list(column: Any, raw: str) -> bool:
    return any(
        _comparable(column, v.strip())[0] == _comparable(column, v.strip())[1]
        for v in raw.split(",")
    )


def _condition(column: Any, raw: str, condition: str) -> bool:
    """SQL semantics, including NULL never matching anything but ``null``."""
    if condition == "null":
        return column is None
    if condition == "notnull":
        return column is not None
    if column is None:
        return False
    if condition in ("like", "nlike"):
        hit = _like(raw).fullmatch(str(column)) is not None
        return hit if condition == "like" else not hit
    if condition in ("in", "nin"):
        hit = _in_list(column, raw)
        return hit if condition == "in" else not hit
    if condition in ("finset", "nfinset"):
        hit = raw in str(column).split(",")
        return hit if condition == "finset" else not hit
    left, right = _comparable(column, raw)
    try:
        return _COMPARE.get(condition, _COMPARE["eq"])(left, right)
    except TypeError:
        return False


_COMPARE = {
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gteq": lambda a, b: a >= b,
    "moreq": lambda a, b: a >= b,
    "from": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lteq": lambda a, b: a <= b,
    "to": lambda a, b: a <= b,
}


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value).casefold())


def _check_columns(criteria: SearchCriteria, columns: frozenset[str] | set[str] | None) -> None:
    if columns is None:
        return
    used = [f for g in criteria.groups for f, _, _ in g] + [f for f, _ in criteria.sorts]
    if any(name not in columns for name in used):
        raise _internal_error()  # Magento: SQL error "Unknown column" -> masked 500


@dataclass
class SearchOptions:
    input_limiting: bool = False
    last_page_repeat: bool = False
    rng: random.Random | None = None
    columns: frozenset[str] | set[str] | None = None


def run_search(
    rows: Sequence[Mapping[str, Any]], criteria: SearchCriteria, options: SearchOptions
) -> tuple[list[Mapping[str, Any]], int]:
    """Filter (OR within a group, AND across groups), sort, page. Returns (page, total)."""
    _check_columns(criteria, options.columns)
    if options.input_limiting:
        if criteria.page_size is None:
            criteria.page_size = 20
        elif criteria.page_size > 300:
            raise MagentoError(400, MSG_PAGE_MAX, {"max": 300})
    hits = [
        row
        for row in rows
        if all(any(_condition(row.get(f), v, c) for f, v, c in g) for g in criteria.groups if g)
    ]
    if options.rng is not None:
        options.rng.shuffle(hits)
    for name, direction in reversed(criteria.sorts):
        hits.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=direction != "ASC")
    return _page(hits, criteria, options.last_page_repeat), len(hits)


def _page(
    hits: list[Mapping[str, Any]], criteria: SearchCriteria, last_page_repeat: bool
) -> list[Mapping[str, Any]]:
    size = criteria.page_size
    if not size or size < 1:
        return hits
    page = max(1, criteria.current_page or 1)
    if last_page_repeat and hits:
        page = min(page, math.ceil(len(hits) / size))
    return hits[(page - 1) * size : page * size]


# -- fields= partial responses -------------------------------------------------------------------


def parse_fields(spec: str) -> dict[str, Any]:
    """``items[entity_id,increment_id],total_count`` -> nested dict of wanted keys."""
    tree: dict[str, Any] = {}
    stack = [tree]
    name = ""
    for char in spec + ",":
        if char in ",[]":
            if name.strip():
                stack[-1][name.strip()] = {}
            if char == "[":
                stack.append(stack[-1][name.strip()])
            elif char == "]" and len(stack) > 1:
                stack.pop()
            name = ""
        else:
            name += char
    return tree


def apply_fields(data: Any, wanted: Mapping[str, Any]) -> Any:
    if not wanted:
        return data
    if isinstance(data, list):
        return [apply_fields(item, wanted) for item in data]
    if isinstance(data, dict):
        return {k: apply_fields(data[k], sub) for k, sub in wanted.items() if k in data}
    return data


# -- OAuth 1.0a ----------------------------------------------------------------------------------


def _pct(value: str) -> str:
    return quote(value, safe="~")


def parse_oauth_header(credentials: str) -> dict[str, str]:
    """``oauth_consumer_key="..", oauth_token=".."`` (the part after ``OAuth``) -> dict."""
    pairs = re.findall(r'([A-Za-z0-9_]+)="([^"]*)"', credentials)
    return {unquote(k): unquote(v) for k, v in pairs}


def oauth_signature(
    method: str,
    base_uri: str,
    params: Iterable[tuple[str, str]],
    consumer_secret: str,
    token_secret: str,
    signature_method: str = "HMAC-SHA256",
) -> str:
    """RFC 5849 signature over ``base_uri`` (scheme://host[:port]/path) and all parameters
    (query, form body and ``oauth_*`` except ``oauth_signature`` and ``realm``)."""
    normalized = sorted(
        (_pct(k), _pct(v)) for k, v in params if k not in ("oauth_signature", "realm")
    )
    param_string = "&".join(f"{k}={v}" for k, v in normalized)
    base = "&".join([method.upper(), _pct(base_uri), _pct(param_string)])
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    digest = hashlib.sha1 if signature_method == "HMAC-SHA1" else hashlib.sha256
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


def _fake_jwt(claims: Mapping[str, Any], key: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"kid": "1", "alg": "HS256"}).encode())
    payload = b64(json.dumps(dict(claims)).encode())
    signature = b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


# -- the simulator -------------------------------------------------------------------------------


@dataclass
class _Doc:
    """Quantities of one document (invoice, shipment, credit memo) being built."""

    qtys: dict[int, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    explicit: set[int] = field(default_factory=set)

    @property
    def total(self) -> float:
        return sum(self.qtys.values())


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


class MagentoSimulator(Simulator):
    """Fake Magento 2.4 admin REST API; see the module docstring for knobs."""

    def __init__(self) -> None:
        super().__init__()
        # knobs
        self.comments_status_mode = "same_state"
        self.paging_last_page_repeat = False
        self.input_limiting = False
        self.two_factor_enabled = False
        self.two_factor_providers = ["google"]
        self.integration_bearer_allowed = True
        self.admin_username = "admin"
        self.admin_password = "admin123"
        self.token_ttl_seconds = 3600.0
        self.lockout_failures = 6
        self.lockout_seconds = 1800.0
        self.id_as_string = False
        self.msi_multi_source = False
        self.source_codes: set[str] = {"default"}
        self.store_codes: set[str] = {"default", "all"}
        self.state_change_history = False
        self.shuffle_ties = False
        self.oauth_consumer_key = "sim-consumer-key"
        self.oauth_consumer_secret = "sim-consumer-secret"
        self.oauth_access_token = "sim-integration-token"
        self.oauth_access_token_secret = "sim-token-secret"
        self.oauth_verify_signature = True
        self.integration_tokens: set[str] = {self.oauth_access_token}
        self.token_acl: dict[str, set[str]] = {}
        self.state_statuses: dict[str, list[str]] = {
            k: list(v) for k, v in DEFAULT_STATE_STATUSES.items()
        }
        self.increment_prefix = ""
        # state
        self.orders: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.creditmemos: dict[int, dict[str, Any]] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.admin_tokens: dict[str, datetime] = {}
        self._login_failures = 0
        self._locked_until: datetime | None = None
        self._frozen_clock: datetime | None = None
        self._clock_offset = timedelta()
        self._rng = random.Random(0)
        self._jwt_key = secrets.token_bytes(32)
        self._ids: dict[str, itertools.count[int]] = {}
        self._customers: dict[str, int] = {}
        self._register_routes()

    # -- clock ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        if self._frozen_clock is not None:
            return self._frozen_clock
        return datetime.now(UTC) + self._clock_offset

    def stamp(self) -> str:
        return self.now().strftime(DATE_FORMAT)

    def set_clock(self, when: datetime | str) -> None:
        """Freeze the clock at ``when`` (naive datetimes and strings are UTC)."""
        with self.lock:
            self._frozen_clock = _as_utc(when)

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            if self._frozen_clock is not None:
                self._frozen_clock += timedelta(seconds=seconds)
            else:
                self._clock_offset += timedelta(seconds=seconds)

    def clock_snapshot(self) -> tuple[datetime | None, timedelta]:
        return self._frozen_clock, self._clock_offset

    def restore_clock(self, snapshot: tuple[datetime | None, timedelta]) -> None:
        with self.lock:
            self._frozen_clock, self._clock_offset = snapshot

    def _next_id(self, kind: str) -> int:
        counter = self._ids.setdefault(kind, itertools.count(1))
        return next(counter)

    def _increment(self, number: int) -> str:
        return f"{self.increment_prefix}{number:09d}"

    def _id_out(self, value: int) -> int | str:
        return str(value) if self.id_as_string else value

    # -- routing and transport hooks -----------------------------------------------------------

    def _register_routes(self) -> None:
        r = self.route
        r("POST", r"/V1/integration/admin/token", self._h_admin_token, acl=None)
        r("GET", r"/V1/orders", self._h_orders, acl=ACL_VIEW)
        r("GET", rf"/V1/orders/{_ID_RE}", self._h_order, acl=ACL_VIEW)
        r("GET", rf"/V1/orders/{_ID_RE}/statuses", self._h_status, acl=ACL_VIEW)
        r("POST", rf"/V1/orders/{_ID_RE}/comments", self._h_add_comment, acl=ACL_COMMENT)
        r("GET", rf"/V1/orders/{_ID_RE}/comments", self._h_comments, acl=ACL_VIEW)
        r("POST", rf"/V1/orders/{_ID_RE}/cancel", self._h_cancel, acl=ACL_CANCEL)
        r("POST", rf"/V1/orders/{_ID_RE}/hold", self._h_hold, acl=ACL_HOLD)
        r("POST", rf"/V1/orders/{_ID_RE}/unhold", self._h_unhold, acl=ACL_UNHOLD)
        r("POST", rf"/V1/order/{_ID_RE}/invoice", self._h_invoice, acl=ACL_INVOICE)
        r("GET", r"/V1/invoices", self._h_invoices, acl=ACL_INVOICES)
        r("GET", rf"/V1/invoices/{_ID_RE}", self._h_get_invoice, acl=ACL_INVOICES)
        r("POST", rf"/V1/order/{_ID_RE}/ship", self._h_ship, acl=ACL_SHIP)
        r("GET", r"/V1/shipments", self._h_shipments, acl=ACL_SHIPMENT)
        r("GET", rf"/V1/shipment/{_ID_RE}", self._h_get_shipment, acl=ACL_SHIPMENT)
        r("POST", rf"/V1/order/{_ID_RE}/refund", self._h_refund, acl=ACL_REFUND)
        r("GET", r"/V1/creditmemos", self._h_creditmemos, acl=ACL_CREDITMEMOS)
        r("GET", rf"/V1/creditmemo/{_ID_RE}", self._h_get_creditmemo, acl=ACL_CREDITMEMOS)
        r("GET", r"/V1/stockItems/(?P<sku>[^/]+)", self._h_stock_item, acl=ACL_STOCK)
        r(
            "PUT",
            r"/V1/products/(?P<sku>[^/]+)/stockItems/(?P<item_id>[^/]+)",
            self._h_update_stock,
            acl=ACL_STOCK,
        )
        r("GET", r"/V1/inventory/source-items", self._h_source_items, acl=ACL_SOURCE_READ)
        r("POST", r"/V1/inventory/source-items", self._h_save_source_items, acl=ACL_SOURCE_SAVE)

    def route_path(self, path: str) -> str | None:
        match = re.fullmatch(r"/rest(?:/(?P<store>[^/]+))?(?P<rest>/V1/.*)", path)
        if match is None:
            return None
        store = match.group("store")
        if store is not None and store not in self.store_codes:
            return None
        rest = match.group("rest")
        return rest[:-1] if rest.endswith("/") and len(rest) > 4 else rest

    def no_route(self, req: RecordedRequest) -> SimResponse:
        if req.method not in ("GET", "POST", "PUT", "DELETE"):
            return SimResponse(405, {"message": MSG_METHOD, "parameters": [req.method]})
        return SimResponse(404, {"message": MSG_NO_ROUTE})

    def fault_response(self, status: int, req: RecordedRequest) -> SimResponse:
        if status in (502, 503, 504):
            return html_error(status)
        if status == 500:
            return _internal_error().response
        if status == 429:
            return SimResponse(429, {"message": "Too Many Requests", "trace": None})
        if status == 401:
            return _unauthorized(ACL_VIEW).response
        if status == 404:
            return SimResponse(404, {"message": MSG_NO_ROUTE})
        return SimResponse(status, {"message": "Simulated error"})

    def encode(self, body: Any) -> bytes:
        # PHP json_encode: compact, \uXXXX escapes, escaped slashes
        return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode()

    def before(self, req: RecordedRequest, route: Route) -> SimResponse | None:
        acl = route.meta.get("acl")
        if acl is None or self._authorized(req, acl):
            return None
        return _unauthorized(acl).response

    # -- authentication ------------------------------------------------------------------------

    def _authorized(self, req: RecordedRequest, acl: str) -> bool:
        scheme, _, credentials = req.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
            ok = self._bearer_ok(token)
        elif scheme.lower() == "oauth":
            token = self.oauth_access_token
            ok = self._oauth_ok(req, credentials)
        else:
            return False
        allowed = self.token_acl.get(token)
        return ok and (allowed is None or acl in allowed)

    def _bearer_ok(self, token: str) -> bool:
        expiry = self.admin_tokens.get(token)
        if expiry is not None:
            return expiry > self.now()
        return self.integration_bearer_allowed and token in self.integration_tokens

    def _oauth_ok(self, req: RecordedRequest, credentials: str) -> bool:
        params = parse_oauth_header(credentials)
        if params.get("oauth_consumer_key") != self.oauth_consumer_key:
            return False
        if params.get("oauth_token") != self.oauth_access_token:
            return False
        method = params.get("oauth_signature_method")
        if method not in ("HMAC-SHA256", "HMAC-SHA1"):
            return False
        if not self.oauth_verify_signature:
            return True
        signed = list(params.items()) + req.query_pairs()
        if "application/x-www-form-urlencoded" in req.headers.get("Content-Type", ""):
            signed += parse_qsl(req.body.decode(), keep_blank_values=True)
        host = req.headers.get("Host", "localhost").lower()
        given = params.get("oauth_signature", "")
        for scheme in ("http", "https"):
            uri = f"{scheme}://{_strip_default_port(host, scheme)}{req.path}"
            expected = oauth_signature(
                req.method,
                uri,
                signed,
                self.oauth_consumer_secret,
                self.oauth_access_token_secret,
                method,
            )
            if hmac.compare_digest(expected, given):
                return True
        return False

    def expire_tokens(self) -> None:
        """Expire every admin token issued so far (the next call with one answers 401)."""
        with self.lock:
            past = self.now() - timedelta(seconds=1)
            self.admin_tokens = {token: past for token in self.admin_tokens}

    def issue_admin_token(self) -> str:
        """Issue an admin token directly (no credentials check)."""
        with self.lock:
            now = self.now()
            expiry = now + timedelta(seconds=self.token_ttl_seconds)
            claims = {"kid": "1", "uid": 1, "utypid": 2, "iat": int(now.timestamp())}
            claims |= {"exp": int(expiry.timestamp()), "jti": secrets.token_hex(8)}
            token = _fake_jwt(claims, self._jwt_key)
            self.admin_tokens[token] = expiry
            return token

    def _h_admin_token(self, req: RecordedRequest) -> SimResponse:
        body = self._body(req)
        username, password = body.get("username"), body.get("password")
        if not username:
            raise _required("username")
        if not password:
            raise _required("password")
        now = self.now()
        if self._locked_until is not None and self._locked_until > now:
            raise MagentoError(401, MSG_SIGN_IN)
        if username != self.admin_username or password != self.admin_password:
            self._login_failures += 1
            if self._login_failures >= self.lockout_failures:
                self._locked_until = now + timedelta(seconds=self.lockout_seconds)
                self._login_failures = 0
            raise MagentoError(401, MSG_SIGN_IN)
        self._login_failures = 0
        if self.two_factor_enabled:
            raise MagentoError(400, MSG_2FA, {"active_providers": list(self.two_factor_providers)})
        return SimResponse(200, self.issue_admin_token())

    # -- request helpers -----------------------------------------------------------------------

    def _body(self, req: RecordedRequest) -> dict[str, Any]:
        if req.json_error:
            raise MagentoError(400, MSG_DECODING)
        body = req.json if isinstance(req.json, dict) else {}
        if self.input_limiting:
            for key, value in body.items():
                if isinstance(value, list) and len(value) > 20:
                    type_name = _ARRAY_TYPES.get(key, key)
                    raise MagentoError(400, MSG_ARRAY_MAX, {"type": type_name, "max": 20})
        return body

    def _criteria(self, req: RecordedRequest) -> SearchCriteria:
        criteria = parse_search_criteria(req.query_pairs())
        if criteria is None:
            raise _required("searchCriteria")
        return criteria

    def _options(self, columns: frozenset[str] | set[str] | None = None) -> SearchOptions:
        return SearchOptions(
            input_limiting=self.input_limiting,
            last_page_repeat=self.paging_last_page_repeat,
            rng=self._rng if self.shuffle_ties else None,
            columns=columns,
        )

    def _search_response(
        self,
        req: RecordedRequest,
        rows: Sequence[Mapping[str, Any]],
        render: Any,
        columns: frozenset[str] | set[str] | None = None,
    ) -> SimResponse:
        criteria = self._criteria(req)
        page, total = run_search(rows, criteria, self._options(columns))
        body = {
            "items": [render(row) for row in page],
            "search_criteria": criteria.echo(),
            "total_count": total,
        }
        return self._ok(req, body)

    def _ok(self, req: RecordedRequest, body: Any) -> SimResponse:
        fields = req.query.get("fields")
        if fields and isinstance(body, dict | list):
            body = apply_fields(body, parse_fields(fields))
        return SimResponse(200, body)

    def _order_by_param(self, raw: str) -> dict[str, Any]:
        order_id = parse_int(unquote(raw))
        if order_id <= 0:
            raise MagentoError(400, MSG_ID_NEEDED)
        order = self.orders.get(order_id)
        if order is None:
            raise _not_found()
        return order

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
    ) -> dict[str, Any]:
        """Create or replace a product with a legacy stock item and MSI source items
        (``sources`` maps source_code -> quantity; default: ``{"default": qty}``)."""
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
            }
            self.products[sku] = product
            for code, quantity in (sources if sources is not None else {"default": qty}).items():
                self.source_codes.add(code)
                product["sources"][code] = _source_item(sku, code, quantity)
            return product

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

    def _set_legacy(self, product: dict[str, Any], changes: Mapping[str, Any]) -> None:
        stock = product["stock"]
        for key, value in changes.items():
            if key in stock and key not in ("item_id", "product_id", "stock_id"):
                stock[key] = value
        if "qty" in changes:
            stock["qty"] = num(parse_number(changes["qty"]))
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
            self._set_payment(order, payment_method)
            if extra:
                order.update(extra)
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
        self._product(child_sku, price=float(spec.get("price", 100)))
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

    def invoices_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.invoices.values() if d["order_id"] == order_id]

    def shipments_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.shipments.values() if d["order_id"] == order_id]

    def creditmemos_for(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.creditmemos.values() if d["order_id"] == order_id]

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
            "shipping_assignments": [{"shipping": shipping, "items": items}]
        }
        return out

    # -- quantities and states -----------------------------------------------------------------

    def _can_invoice(self, order: Mapping[str, Any]) -> bool:
        if order["state"] in ("payment_review", "holded", "canceled", "complete", "closed"):
            return False
        return any(_qty_to_invoice(i) > 0 for i in order["items"])

    def _can_ship(self, order: Mapping[str, Any]) -> bool:
        if order["state"] in ("payment_review", "holded", "canceled") or order["is_virtual"]:
            return False
        return any(_qty_to_ship(i) > 0 for i in order["items"])

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
            return any(_qty_to_invoice(i) > 0 for i in order["items"])

    def cancel(self, order_id: int) -> bool:
        """``POST /V1/orders/{id}/cancel``: False (no change) when the order can't be cancelled."""
        with self.lock:
            if not self.can_cancel(order_id):
                return False
            order = self.orders[order_id]
            canceled = {}
            for item in order["items"]:
                qty = _qty_to_cancel(item)
                if qty > 0:
                    _cancel_item(item, qty)
                    canceled[item["item_id"]] = qty
            self._cancel_totals(order)
            paid = any(
                float(i["qty_invoiced"]) > float(i["qty_refunded"]) and not i["_dummy_invoice"]
                for i in order["items"]
            )
            state = "canceled"
            if paid:
                ship_left = any(_qty_to_ship(i) > 0 for i in order["items"])
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

    # -- invoice -------------------------------------------------------------------------------

    def invoice(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None = None,
        *,
        comment: str | None = None,
        notify: bool = False,
    ) -> int:
        """``POST /V1/order/{id}/invoice``; returns the invoice id, raises MagentoError (400)."""
        with self.lock:
            order = self._order_or_404(order_id)
            doc = self._invoice_doc(order, _requested(items))
            lines = doc.errors + self._invoice_order_errors(order)
            if lines:
                raise MagentoError(400, INVOICE_PREFIX + "\n".join(lines))
            invoice = self._register_invoice(order, doc, comment)
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
            qty = _qty_to_invoice(item) if not requested else requested.get(item["item_id"], 0.0)
            if qty <= 0:
                continue
            if not item["is_qty_decimal"] and qty != int(qty):
                doc.errors.append(f'We found an invalid quantity to invoice item "{item["name"]}".')
            elif qty > _qty_to_invoice(item):
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
        if not any(_qty_to_invoice(i) > 0 for i in order["items"]):
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
                amounts = _invoice_share(item, qty)
                _fill_amounts(line, item, qty, amounts)
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
            shipment = self._register_shipment(order, doc, track_list, source, comment)
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
            qty = min(wanted, _qty_to_ship(item))
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
        if not any(_qty_to_ship(i) > 0 for i in order["items"]):
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
    ) -> int:
        """``POST /V1/order/{id}/refund`` (offline credit memo); returns the credit memo id."""
        with self.lock:
            order = self._order_or_404(order_id)
            doc = self._refund_doc(order, _requested(items))
            lines = self._refund_order_errors(order) + doc.errors
            if lines:
                raise MagentoError(400, CREDITMEMO_PREFIX + "\n".join(lines))
            adjustments = (adjustment_positive, adjustment_negative)
            return self._register_creditmemo(
                order, doc, shipping_amount, adjustments, return_to_stock_items
            )

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
                amounts = _refund_share(item, qty)
                _fill_amounts(line, item, qty, amounts)
                add_money(item, amount_refunded=amounts["row"], tax_refunded=amounts["tax"])
                add_money(item, discount_refunded=amounts["discount"])
                for key in sums:
                    sums[key] += amounts["row" if key == "subtotal" else key]
            item["qty_refunded"] = num(float(item["qty_refunded"]) + qty)
            if item_id in return_to_stock:
                self._deduct_stock(item, -qty, "default")
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

    # -- REST handlers: orders -----------------------------------------------------------------

    def _h_orders(self, req: RecordedRequest) -> SimResponse:
        rows = [self.orders[k] for k in sorted(self.orders)]
        columns = set(rows[0]) | ORDER_NULLABLE_COLUMNS if rows else None
        return self._search_response(req, rows, self._order_out, columns)

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
        body = self._body(req)
        arguments = (
            snake_keys(body.get("arguments") or {})
            if isinstance(body.get("arguments"), dict)
            else {}
        )
        extension = snake_keys(arguments.get("extension_attributes") or {})
        memo_id = self.refund(
            order["entity_id"],
            body.get("items") or None,
            shipping_amount=_optional_number(arguments.get("shipping_amount")),
            adjustment_positive=_optional_number(arguments.get("adjustment_positive")) or 0.0,
            adjustment_negative=_optional_number(arguments.get("adjustment_negative")) or 0.0,
            return_to_stock_items=[int(x) for x in extension.get("return_to_stock_items") or []],
        )
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

    # -- REST handlers: stock ------------------------------------------------------------------

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
        rows = [s for p in self.products.values() for s in p["sources"].values()]
        columns = {"sku", "source_code", "quantity", "status"}
        return self._search_response(req, rows, _copy, columns)

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


# -- module-level helpers used by the simulator --------------------------------------------------

_ARRAY_TYPES = {
    "sourceItems": "Magento\\InventoryApi\\Api\\Data\\SourceItemInterface",
    "items": "Magento\\Sales\\Api\\Data\\ItemCreationInterface",
    "tracks": "Magento\\Sales\\Api\\Data\\ShipmentTrackCreationInterface",
}


def _as_utc(when: datetime | str) -> datetime:
    if isinstance(when, str):
        when = datetime.strptime(when, DATE_FORMAT).replace(tzinfo=UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _stamp(when: datetime | str) -> str:
    return _as_utc(when).strftime(DATE_FORMAT)


def _strip_default_port(host: str, scheme: str) -> str:
    default = ":80" if scheme == "http" else ":443"
    return host[: -len(default)] if host.endswith(default) else host


def _unauthorized(acl: str) -> MagentoError:
    return MagentoError(401, MSG_UNAUTHORIZED, {"resources": acl})


def _copy(row: Mapping[str, Any]) -> Mapping[str, Any]:
    return row


def _truthy(body: Mapping[str, Any], key: str) -> bool:
    return bool(body.get(key, body.get(snake(key))))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _optional_number(value: Any) -> float | None:
    return None if value in (None, "") else parse_number(value)


def _interpolate(error: Mapping[str, Any]) -> str:
    message = str(error["message"])
    for key, value in (error.get("parameters") or {}).items():
        message = message.replace(f"%{key}", str(value))
    return message


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


def _qty_to_invoice(item: Mapping[str, Any]) -> float:
    if item["_dummy_invoice"]:
        return 0.0
    return max(
        0.0, float(item["qty_ordered"]) - float(item["qty_invoiced"]) - float(item["qty_canceled"])
    )


def _qty_to_ship(item: Mapping[str, Any]) -> float:
    if item["_dummy_ship"] or item["is_virtual"]:
        return 0.0
    return max(0.0, _simple_to_ship(item))


def _simple_to_ship(item: Mapping[str, Any]) -> float:
    used = float(item["qty_shipped"]) + float(item["qty_refunded"]) + float(item["qty_canceled"])
    return float(item["qty_ordered"]) - used


def _qty_to_cancel(item: Mapping[str, Any]) -> float:
    """min(to invoice, to ship), computed without the dummy rule so that children follow
    their parents (Magento's bundle/configurable special cases give the same numbers)."""
    to_invoice = (
        float(item["qty_ordered"]) - float(item["qty_invoiced"]) - float(item["qty_canceled"])
    )
    if item["is_virtual"]:
        return max(0.0, to_invoice)
    return max(0.0, min(to_invoice, _simple_to_ship(item)))


def _cancel_item(item: dict[str, Any], qty: float) -> None:
    item["qty_canceled"] = num(float(item["qty_canceled"]) + qty)
    ordered = float(item["qty_ordered"]) or 1.0
    set_money(item, tax_canceled=float(item["tax_amount"]) * qty / ordered)
    set_money(item, discount_canceled=float(item["discount_amount"]) * qty / ordered)


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


def _amounts(item: Mapping[str, Any], keys: tuple[str, str, str]) -> dict[str, float]:
    return {name: float(item.get(key) or 0) for name, key in zip(_AMOUNT_NAMES, keys, strict=True)}


_AMOUNT_NAMES = ("row", "tax", "discount")
_ORDERED_KEYS = ("row_total", "tax_amount", "discount_amount")
_INVOICED_KEYS = ("row_invoiced", "tax_invoiced", "discount_invoiced")
_REFUNDED_KEYS = ("amount_refunded", "tax_refunded", "discount_refunded")


def _invoice_share(item: Mapping[str, Any], qty: float) -> dict[str, float]:
    """Row, tax and discount for invoicing ``qty`` units; the last units take the rest."""
    ordered = float(item["qty_ordered"]) or 1.0
    totals = _amounts(item, _ORDERED_KEYS)
    if qty >= _qty_to_invoice(item):
        billable = (ordered - float(item["qty_canceled"])) / ordered
        done = _amounts(item, _INVOICED_KEYS)
        return {k: round(totals[k] * billable - done[k], 2) for k in totals}
    return {k: round(totals[k] * qty / ordered, 2) for k in totals}


def _refund_share(item: Mapping[str, Any], qty: float) -> dict[str, float]:
    """Row, tax and discount for refunding ``qty`` invoiced units; the last take the rest."""
    invoiced = float(item["qty_invoiced"]) or 1.0
    paid = _amounts(item, _INVOICED_KEYS)
    if qty >= float(item["qty_invoiced"]) - float(item["qty_refunded"]):
        done = _amounts(item, _REFUNDED_KEYS)
        return {k: round(paid[k] - done[k], 2) for k in paid}
    return {k: round(paid[k] * qty / invoiced, 2) for k in paid}


def _fill_amounts(
    line: dict[str, Any], item: Mapping[str, Any], qty: float, amounts: Mapping[str, float]
) -> None:
    set_money(line, price=float(item["price"]), price_incl_tax=float(item["price_incl_tax"]))
    set_money(line, row_total=amounts["row"], row_total_incl_tax=amounts["row"] + amounts["tax"])
    set_money(line, tax_amount=amounts["tax"], discount_amount=amounts["discount"])
    set_money(line, discount_tax_compensation_amount=0)
