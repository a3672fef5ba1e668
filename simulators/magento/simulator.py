"""The :class:`MagentoSimulator` class: knobs and state, clock, routes, transport hooks."""

from __future__ import annotations

import itertools
import json
import random
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.base import RecordedRequest, Route, SimResponse, Simulator, html_error
from simulators.ims import ImsSimulator
from simulators.magento.auth import AuthMixin, _unauthorized
from simulators.magento.common import (
    ACL_CANCEL,
    ACL_COMMENT,
    ACL_CREDITMEMOS,
    ACL_HOLD,
    ACL_INVOICE,
    ACL_INVOICES,
    ACL_PRODUCTS,
    ACL_REFUND,
    ACL_SALABLE,
    ACL_SHIP,
    ACL_SHIPMENT,
    ACL_SOURCE_READ,
    ACL_SOURCE_SAVE,
    ACL_STOCK,
    ACL_UNHOLD,
    ACL_VIEW,
    DATE_FORMAT,
    MSG_ARRAY_MAX,
    MSG_DECODING,
    MSG_METHOD,
    MSG_NO_ROUTE,
    MagentoError,
    _as_utc,
    _internal_error,
)
from simulators.magento.documents import DocumentsMixin
from simulators.magento.msi import MsiMixin
from simulators.magento.order_builder import OrderBuilderMixin
from simulators.magento.orders import DEFAULT_STATE_STATUSES, OrdersMixin
from simulators.magento.payments import OFFLINE_METHODS, PaymentsMixin
from simulators.magento.search import SearchMixin
from simulators.magento.stock import StockMixin

_ID_RE = r"(?P<id>[^/]+)"

_ARRAY_TYPES = {
    "sourceItems": "Magento\\InventoryApi\\Api\\Data\\SourceItemInterface",
    "items": "Magento\\Sales\\Api\\Data\\ItemCreationInterface",
    "tracks": "Magento\\Sales\\Api\\Data\\ShipmentTrackCreationInterface",
}


def _resolve_dots(path: str) -> str:
    """Remove dot segments (RFC 3986 5.2.4), "%2E" counting as "."."""
    out: list[str] = []
    segments = path.split("/")
    for segment in segments:
        plain = re.sub("%2e", ".", segment, flags=re.IGNORECASE)
        if plain == "..":
            if len(out) > 1:
                out.pop()
        elif plain != ".":
            out.append(segment)
    if re.sub("%2e", ".", segments[-1], flags=re.IGNORECASE) in (".", ".."):
        out.append("")
    return "/".join(out)


class MagentoSimulator(
    AuthMixin,
    SearchMixin,
    StockMixin,
    PaymentsMixin,
    MsiMixin,
    OrderBuilderMixin,
    OrdersMixin,
    DocumentsMixin,
    Simulator,
):
    """Fake Magento 2.4 admin REST API; see the package docstring (``simulators.magento``) for
    knobs. The routes are registered here; their handlers live in the per-concern mixins."""

    def __init__(self) -> None:
        super().__init__()
        # knobs
        self.comments_status_mode = "same_state"
        self.paging_last_page_repeat = False
        self.input_limiting = False
        self.two_factor_enabled = False
        self.two_factor_providers = ["google"]
        self.integration_bearer_allowed = True
        # Adobe Commerce as a Cloud Service: Bearer tokens of this fake IMS are accepted (with
        # x-api-key = their client id and x-gw-ims-org-id); `ims_only` refuses any other token.
        self.ims: ImsSimulator | None = None
        self.ims_only = False
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
        self.prepaid_methods: set[str] = set()
        self.offline_methods: set[str] = set(OFFLINE_METHODS)
        self.courier_extension = False
        self.courier_title = "Delhivery"
        self.courier_code = "delhivery"
        self.courier_awb_prefix = "DLV"
        self._init_msi()
        # state
        self.orders: dict[int, dict[str, Any]] = {}
        # see OrdersMixin._keyset_index and _keyset_matches
        self._keyset_indexes: dict[str, Any] = {}
        self._keyset_filtered: dict[tuple[str, str], Any] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.creditmemos: dict[int, dict[str, Any]] = {}
        self.invoice_refunded: dict[int, dict[int, float]] = {}  # invoice -> item -> qty
        self.products: dict[str, dict[str, Any]] = {}
        # (SKUs by lower-cased SKU, each SKU's place in the catalog): see StockMixin._products_for
        self._sku_index: tuple[dict[str, list[str]], dict[str, int]] | None = None
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
        r("POST", r"/V1/shipment/track", self._h_add_track, acl=ACL_SHIP)
        r("POST", rf"/V1/shipment/{_ID_RE}/emails", self._h_shipment_emails, acl=ACL_SHIP)
        r("POST", rf"/V1/invoice/{_ID_RE}/refund", self._h_invoice_refund, acl=ACL_REFUND)
        r("POST", rf"/V1/order/{_ID_RE}/refund", self._h_refund, acl=ACL_REFUND)
        r("GET", r"/V1/creditmemos", self._h_creditmemos, acl=ACL_CREDITMEMOS)
        r("GET", rf"/V1/creditmemo/{_ID_RE}", self._h_get_creditmemo, acl=ACL_CREDITMEMOS)
        r("GET", r"/V1/products", self._h_products, acl=ACL_PRODUCTS)
        r("GET", r"/V1/stockItems/(?P<sku>[^/]+)", self._h_stock_item, acl=ACL_STOCK)
        r(
            "PUT",
            r"/V1/products/(?P<sku>[^/]+)/stockItems/(?P<item_id>[^/]+)",
            self._h_update_stock,
            acl=ACL_STOCK,
        )
        r("GET", r"/V1/inventory/source-items", self._h_source_items, acl=ACL_SOURCE_READ)
        r("POST", r"/V1/inventory/source-items", self._h_save_source_items, acl=ACL_SOURCE_SAVE)
        r(
            "GET",
            r"/V1/inventory/get-product-salable-quantity/(?P<sku>[^/]+)/(?P<stock_id>[^/]+)",
            self._h_salable_qty,
            acl=ACL_SALABLE,
        )
        r(
            "GET",
            r"/V1/inventory/export-stock-salable-qty/(?P<type>[^/]+)/(?P<code>[^/]+)",
            self._h_export_salable,
            acl=ACL_SALABLE,
        )

    def route_path(self, path: str) -> str | None:
        # Like Magento behind its web server: an encoded "/" in a segment never routes, "." and
        # ".." segments (also encoded) are resolved before routing.
        if re.search(r"%2f|%5c", path, re.IGNORECASE):
            return None
        path = _resolve_dots(path)
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
