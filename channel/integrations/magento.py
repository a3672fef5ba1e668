"""Magento 2 admin REST client: one method per Magento operation the proxy uses.

Reference: https://developer.adobe.com/commerce/webapi/rest/quick-reference/ (admin schema 2.4.8)
and ../shared/reference/magento-rest.md. Orders, invoices and shipments are addressed by entity_id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from requests_oauthlib import OAuth1

from channel.integrations import http
from channel.integrations.errors import RemoteError
from channel.lib import redaction
from channel.models import Operation

SIGNATURE_HMAC_SHA256 = "HMAC-SHA256"


class MagentoError(RemoteError):
    """Magento answered with an error, or did not answer."""


class MagentoNotFound(MagentoError):
    """404: the entity does not exist."""


def interpolate(message: str, parameters: Any) -> str:
    """Fill Magento's `%1` / `%name` placeholders from `parameters` (list or dict)."""
    if isinstance(parameters, list):
        for index in range(len(parameters), 0, -1):
            message = message.replace(f"%{index}", str(parameters[index - 1]))
    elif isinstance(parameters, dict):
        for key in sorted(parameters, key=len, reverse=True):
            value = parameters[key]
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            message = message.replace(f"%{key}", text)
    return message


def error_message(body: Any, status: int) -> str:
    if isinstance(body, dict):
        if "message" in body:
            text = interpolate(str(body["message"]), body.get("parameters"))
            details = [
                interpolate(str(e.get("message", "")), e.get("parameters"))
                for e in body.get("errors") or []
                if isinstance(e, dict)
            ]
            return "\n".join([text, *details]) if details else text
        errors = body.get("messages", {}).get("error", [])
        if errors:
            return str(errors[0].get("message", ""))
    return f"Magento answered HTTP {status}"


@dataclass(frozen=True)
class SearchFilter:
    field: str
    value: Any
    condition: str = "eq"


def search_params(
    groups: list[list[SearchFilter]],
    *,
    sort: list[tuple[str, str]] | None = None,
    page_size: int | None = None,
    page: int | None = None,
) -> list[tuple[str, str]]:
    """Build Magento searchCriteria query parameters (filters OR within a group, AND across)."""
    params: list[tuple[str, str]] = []
    for g, group in enumerate(groups):
        for f, flt in enumerate(group):
            base = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params += [
                (f"{base}[field]", flt.field),
                (f"{base}[value]", str(flt.value)),
                (f"{base}[condition_type]", flt.condition),
            ]
    for s, (field_name, direction) in enumerate(sort or []):
        params += [
            (f"searchCriteria[sortOrders][{s}][field]", field_name),
            (f"searchCriteria[sortOrders][{s}][direction]", direction),
        ]
    if page_size is not None:
        params.append(("searchCriteria[pageSize]", str(page_size)))
    if page is not None:
        params.append(("searchCriteria[currentPage]", str(page)))
    if not params:
        params.append(("searchCriteria", ""))
    return params


class _AdminTokenCache:
    """Admin token shared by the threads of one process; refreshed once on a 401."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token = ""


_admin_token = _AdminTokenCache()


def forget_admin_token() -> None:
    _admin_token.token = ""


IMS_CACHE_KEY = "magento:ims-token"  # shared by the processes (the cache is Redis in production)


class _ImsTokenCache:
    """Adobe IMS access token of this process, with its expiry (epoch seconds, already shortened
    by IMS_TOKEN_MARGIN_SECONDS); the cache shares it with the other processes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token = ""
        self.expires = 0.0


_ims_token = _ImsTokenCache()


def forget_ims_token() -> None:
    """Drop the IMS token here and in the shared cache (Magento refused it)."""
    _ims_token.token, _ims_token.expires = "", 0.0
    cache.delete(IMS_CACHE_KEY)


# The monotonic instant by which every Magento call of the current Omni request must be over.
_deadline: ContextVar[float | None] = ContextVar("magento_deadline", default=None)
MIN_CALL_SECONDS = 0.5  # below this, don't start a call that could not finish


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Cap the Magento calls made inside the block (also by outbox handlers run inline) to
    `seconds` in total, so an Omni request answers in time however slow Magento is."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left in the current budget, or None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class MagentoClient:
    """Talks to one Magento store. `read_timeout` is short inside an Omni request."""

    def __init__(
        self,
        *,
        in_request: bool = False,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        order_id: int | None = None,
        operation_id: int | None = None,
    ) -> None:
        """`in_request`: Omni waits for the answer (MAGENTO_READ_TIMEOUT, else the background
        timeout); `order_id` / `operation_id` name what the calls are recorded against."""
        default_read = (
            settings.MAGENTO_READ_TIMEOUT
            if in_request
            else settings.MAGENTO_BACKGROUND_READ_TIMEOUT
        )
        self.base_url = settings.MAGENTO_BASE_URL
        self.timeout = (
            connect_timeout or settings.MAGENTO_CONNECT_TIMEOUT,
            read_timeout or default_read,
        )
        self.context = http.CallContext("magento", order_id=order_id, operation_id=operation_id)

    @classmethod
    def for_operation(cls, operation: Operation) -> MagentoClient:
        """The client of an outbox operation: background timeouts, calls recorded on it."""
        return cls(order_id=operation.order_id, operation_id=operation.pk)

    # --- transport --------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: list[tuple[str, str]] | None = None,
    ) -> Any:
        if not self.base_url:
            raise MagentoError("MAGENTO_BASE_URL is not configured", needs_config=True)
        result = self._send(method, path, body, params)
        if result.status == 401 and settings.MAGENTO_AUTH_MODE in ("admin", "ims"):
            # expired (or revoked): fetch a new token once, then try again
            forget_admin_token() if settings.MAGENTO_AUTH_MODE == "admin" else forget_ims_token()
            result = self._send(method, path, body, params)
        return self._parse(result, method, path)

    def _budgeted_timeout(self, method: str, path: str) -> tuple[float, float]:
        left = time_left()
        if left is None:
            return self.timeout
        if left < MIN_CALL_SECONDS:
            # Not sent at all, so certainly without effect (timed_out is for lost answers).
            raise MagentoError(
                f"No time left in this request to call {method} {path}", transient=True
            )
        return min(self.timeout[0], left), min(self.timeout[1], left)

    def _send(
        self, method: str, path: str, body: Any, params: list[tuple[str, str]] | None
    ) -> http.HttpResult:
        timeout = self._budgeted_timeout(method, path)
        headers, auth = self._auth()
        try:
            return http.send(
                method,
                f"{self.base_url}{path}",
                context=self.context,
                timeout=timeout,
                json_body=body,
                params=params,
                headers=headers,
                auth=auth,
            )
        except http.RedirectRefused as exc:
            raise MagentoError(str(exc), status=exc.status, needs_config=True) from exc
        except http.TransportError as exc:
            raise MagentoError(
                f"Magento did not answer: {exc}", transient=True, timed_out=exc.timed_out
            ) from exc

    def _parse(self, result: http.HttpResult, method: str, path: str) -> Any:
        try:
            body = result.json()
        except ValueError:
            body = None
            if result.status < 400:
                raise MagentoError(
                    f"Magento sent a body that is not JSON for {method} {path}",
                    status=result.status,
                    transient=True,
                ) from None
        if result.status < 400:
            return body
        message = error_message(body, result.status)
        if result.status == 404:
            raise MagentoNotFound(message, status=404)
        if result.status == 401:
            raise MagentoError(
                f"Magento refused the credentials or the integration lacks access: {message}",
                status=401,
                needs_config=True,
            )
        transient = result.status >= 500 or result.status in (408, 429)
        raise MagentoError(message, status=result.status, transient=transient)

    def _auth(self) -> tuple[dict[str, str], Any]:
        mode = settings.MAGENTO_AUTH_MODE
        if mode == "bearer":
            return {"Authorization": f"Bearer {settings.MAGENTO_TOKEN}"}, None
        if mode == "oauth1":
            return {}, OAuth1(
                settings.MAGENTO_CONSUMER_KEY,
                client_secret=settings.MAGENTO_CONSUMER_SECRET,
                resource_owner_key=settings.MAGENTO_ACCESS_TOKEN,
                resource_owner_secret=settings.MAGENTO_ACCESS_TOKEN_SECRET,
                signature_method=SIGNATURE_HMAC_SHA256,
            )
        if mode == "ims":
            return {
                "Authorization": f"Bearer {self._cached_ims_token()}",
                "x-api-key": settings.IMS_CLIENT_ID,
                "x-gw-ims-org-id": settings.IMS_ORG_ID,
            }, None
        return {"Authorization": f"Bearer {self._cached_admin_token()}"}, None

    def _cached_ims_token(self) -> str:
        with _ims_token.lock:
            now = time.time()
            if _ims_token.token and now < _ims_token.expires:
                return _ims_token.token
            shared = cache.get(IMS_CACHE_KEY)
            if isinstance(shared, dict) and now < float(shared.get("expires", 0)):
                _ims_token.token, _ims_token.expires = shared["token"], float(shared["expires"])
                redaction.remember_secret(_ims_token.token)
                return _ims_token.token
            token, lifetime = self.ims_token()
            usable = max(lifetime - settings.IMS_TOKEN_MARGIN_SECONDS, lifetime / 2)
            _ims_token.token, _ims_token.expires = token, now + usable
            cache.set(IMS_CACHE_KEY, {"token": token, "expires": now + usable}, max(1, int(usable)))
            return token

    def _cached_admin_token(self) -> str:
        with _admin_token.lock:
            if not _admin_token.token:
                _admin_token.token = self.admin_token()
            return _admin_token.token

    # --- operations ---------------------------------------------------------------------------
    def admin_token(self) -> str:
        """POST /V1/integration/admin/token -> a JSON string token."""
        try:
            result = http.send(
                "POST",
                f"{self.base_url}/V1/integration/admin/token",
                context=self.context,
                timeout=self.timeout,
                json_body={
                    "username": settings.MAGENTO_USERNAME,
                    "password": settings.MAGENTO_PASSWORD,
                },
                secret_response=True,
            )
        except http.RedirectRefused as exc:
            raise MagentoError(str(exc), status=exc.status, needs_config=True) from exc
        except http.TransportError as exc:
            raise MagentoError(f"Magento did not answer: {exc}", transient=True) from exc
        if result.status == 200:
            token = str(result.json())
            redaction.remember_secret(token)
            return token
        message = error_message(_safe_json(result), result.status)
        if "2fa" in message.lower() or "two-factor" in message.lower():
            message = (
                "Magento refuses admin tokens because two-factor authentication is on; "
                "use an integration (MAGENTO_AUTH_MODE=bearer or oauth1). Magento said: " + message
            )
        raise MagentoError(
            message,
            status=result.status,
            transient=result.status >= 500,
            needs_config=result.status < 500,
        )

    def ims_token(self) -> tuple[str, float]:
        """POST IMS_TOKEN_URL (Adobe IMS, client credentials) -> (access token, seconds valid).
        Recorded like every call, with the client secret and the token masked."""
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.IMS_CLIENT_ID,
            "client_secret": settings.IMS_CLIENT_SECRET,
            "scope": settings.IMS_SCOPES,
        }
        context = http.CallContext("adobe_ims", self.context.order_id, self.context.operation_id)
        try:
            result = http.send(
                "POST",
                settings.IMS_TOKEN_URL,
                context=context,
                timeout=self._budgeted_timeout("POST", "IMS token"),
                form=form,
                secret_response=True,
            )
        except http.TransportError as exc:
            raise MagentoError(f"Adobe IMS did not answer: {exc}", transient=True) from exc
        body = _safe_json(result)
        if result.status == 200 and isinstance(body, dict) and body.get("access_token"):
            token = str(body["access_token"])
            redaction.remember_secret(token)
            return token, float(body.get("expires_in") or 0)
        detail = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        )
        raise MagentoError(
            f"Adobe IMS refused the token request (HTTP {result.status}): {detail or 'no detail'}",
            status=result.status,
            transient=result.status >= 500 or result.status == 429,
            needs_config=400 <= result.status < 500 and result.status != 429,
        )

    def search_orders(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        """GET /V1/orders?searchCriteria..."""
        return self._request("GET", "/V1/orders", params=params)

    def get_order(self, entity_id: int) -> dict[str, Any]:
        """GET /V1/orders/{id}"""
        return self._request("GET", f"/V1/orders/{int(entity_id)}")

    def get_order_status(self, entity_id: int) -> str:
        """GET /V1/orders/{id}/statuses -> the bare status string."""
        return str(self._request("GET", f"/V1/orders/{int(entity_id)}/statuses"))

    def add_comment(
        self, entity_id: int, comment: str, *, status: str | None = None, notify: bool = False
    ) -> bool:
        """POST /V1/orders/{id}/comments"""
        history: dict[str, Any] = {
            "comment": comment,
            "is_customer_notified": int(notify),
            "is_visible_on_front": 0,
            "parent_id": int(entity_id),
        }
        if status:
            history["status"] = status
        body = {"statusHistory": history}
        return bool(self._request("POST", f"/V1/orders/{int(entity_id)}/comments", body=body))

    def cancel_order(self, entity_id: int) -> bool:
        """POST /V1/orders/{id}/cancel -> true, or false when Magento cannot cancel."""
        return self._request("POST", f"/V1/orders/{int(entity_id)}/cancel") is True

    def create_invoice(self, entity_id: int, items: list[dict[str, Any]], *, capture: bool) -> int:
        """POST /V1/order/{id}/invoice -> new invoice entity_id."""
        body = {"capture": capture, "items": items, "notify": False}
        return int(self._request("POST", f"/V1/order/{int(entity_id)}/invoice", body=body))

    def search_invoices(self, order_entity_id: int) -> list[dict[str, Any]]:
        """GET /V1/invoices filtered by order_id."""
        params = search_params([[SearchFilter("order_id", int(order_entity_id))]])
        return self._request("GET", "/V1/invoices", params=params).get("items") or []

    def get_invoice(self, invoice_id: int) -> dict[str, Any]:
        """GET /V1/invoices/{id}"""
        return self._request("GET", f"/V1/invoices/{int(invoice_id)}")

    def ship_order(
        self,
        entity_id: int,
        items: list[dict[str, Any]],
        tracks: list[dict[str, Any]],
        *,
        source_code: str | None = None,
        comment: str | None = None,
    ) -> int:
        """POST /V1/order/{id}/ship -> new shipment entity_id (`comment`: a marker to find it)."""
        body: dict[str, Any] = {"items": items, "tracks": tracks, "notify": False}
        if comment:
            body["appendComment"] = True
            body["comment"] = {"comment": comment, "is_visible_on_front": 0}
        if source_code:
            body["arguments"] = {"extension_attributes": {"source_code": source_code}}
        return int(self._request("POST", f"/V1/order/{int(entity_id)}/ship", body=body))

    def add_shipment_track(
        self, order_entity_id: int, shipment_id: int, track: dict[str, Any]
    ) -> dict[str, Any]:
        """POST /V1/shipment/track -> the saved track."""
        entity = {**track, "order_id": int(order_entity_id), "parent_id": int(shipment_id)}
        return self._request("POST", "/V1/shipment/track", body={"entity": entity})

    def email_shipment(self, shipment_id: int) -> bool:
        """POST /V1/shipment/{id}/emails: the customer gets the shipment and its tracking."""
        return self._request("POST", f"/V1/shipment/{int(shipment_id)}/emails") is True

    def get_shipment(self, shipment_id: int) -> dict[str, Any]:
        """GET /V1/shipment/{id}"""
        return self._request("GET", f"/V1/shipment/{int(shipment_id)}")

    def search_shipments(self, order_entity_id: int) -> list[dict[str, Any]]:
        """GET /V1/shipments filtered by order_id."""
        params = search_params([[SearchFilter("order_id", int(order_entity_id))]])
        return self._request("GET", "/V1/shipments", params=params).get("items") or []

    def refund_order(
        self,
        entity_id: int,
        items: list[dict[str, Any]],
        *,
        comment: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> int:
        """POST /V1/order/{id}/refund (offline credit memo) -> creditmemo entity_id.

        `comment` is stored on the credit memo (a marker to find it again); `arguments` are
        Magento's creation arguments (`shipping_amount`, `adjustment_positive`, ...).
        """
        body: dict[str, Any] = {"items": items, "notify": False}
        if comment:
            body["appendComment"] = True
            body["comment"] = {"comment": comment, "is_visible_on_front": 0}
        if arguments:
            body["arguments"] = arguments
        return int(self._request("POST", f"/V1/order/{int(entity_id)}/refund", body=body))

    def refund_invoice(
        self,
        invoice_id: int,
        items: list[dict[str, Any]],
        *,
        online: bool,
        comment: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> int:
        """POST /V1/invoice/{id}/refund (online: the payment gateway refunds) -> creditmemo id."""
        body: dict[str, Any] = {"items": items, "isOnline": online, "notify": False}
        if comment:
            body["appendComment"] = True
            body["comment"] = {"comment": comment, "is_visible_on_front": 0}
        if arguments:
            body["arguments"] = arguments
        return int(self._request("POST", f"/V1/invoice/{int(invoice_id)}/refund", body=body))

    def get_creditmemo(self, creditmemo_id: int) -> dict[str, Any]:
        """GET /V1/creditmemo/{id}"""
        return self._request("GET", f"/V1/creditmemo/{int(creditmemo_id)}")

    def search_creditmemos(self, order_entity_id: int) -> list[dict[str, Any]]:
        """GET /V1/creditmemos filtered by order_id."""
        params = search_params([[SearchFilter("order_id", int(order_entity_id))]])
        return self._request("GET", "/V1/creditmemos", params=params).get("items") or []

    def get_stock_item(self, sku: str) -> dict[str, Any]:
        """GET /V1/stockItems/{sku}"""
        return self._request("GET", f"/V1/stockItems/{path_segment(sku)}")

    def update_stock_item(self, sku: str, qty: int, *, in_stock: bool | None = None) -> int:
        """PUT /V1/products/{sku}/stockItems/1 (the item id is ignored by Magento)."""
        body = {"stockItem": {"qty": qty, "is_in_stock": qty > 0 if in_stock is None else in_stock}}
        path = f"/V1/products/{path_segment(sku)}/stockItems/1"
        return int(self._request("PUT", path, body=body))

    def set_stock_status(self, sku: str, in_stock: bool) -> int:
        """PUT /V1/products/{sku}/stockItems/1 with the stock status only (a composite parent)."""
        body = {"stockItem": {"is_in_stock": in_stock}}
        path = f"/V1/products/{path_segment(sku)}/stockItems/1"
        return int(self._request("PUT", path, body=body))

    def product_attribute(self, skus: list[str], attribute: str) -> dict[str, str]:
        """GET /V1/products filtered by SKU (in the query: any SKU works) -> {sku: the custom
        attribute's value} for the products that have it."""
        items: list[dict[str, Any]] = []
        for sku_filter, size in sku_filters(skus):
            params = search_params([[sku_filter]], page_size=size, page=1)
            params.append(("fields", "items[sku,custom_attributes]"))
            items += self._request("GET", "/V1/products", params=params).get("items") or []
        found = {}
        for item in items:
            for custom in item.get("custom_attributes") or []:
                if custom.get("attribute_code") == attribute and custom.get("value"):
                    found[str(item.get("sku"))] = str(custom["value"])
        return found

    def product_skus(self, product_ids: list[int]) -> dict[int, str]:
        """GET /V1/products filtered by entity_id -> {product id: sku}."""
        params = search_params(
            [[SearchFilter("entity_id", ",".join(str(int(i)) for i in product_ids), "in")]],
            page_size=len(product_ids),
            page=1,
        )
        params.append(("fields", "items[id,sku]"))
        items = self._request("GET", "/V1/products", params=params).get("items") or []
        return {int(i["id"]): str(i["sku"]) for i in items if i.get("id") and i.get("sku")}

    def salable_quantities(self, skus: list[str], website: str) -> dict[str, float]:
        """GET /V1/inventory/export-stock-salable-qty/website/{code} filtered by SKU (the SKUs
        travel in the query, so any SKU works): {sku: salable qty} of the SKUs Magento has."""
        path = f"/V1/inventory/export-stock-salable-qty/website/{path_segment(website)}"
        items: list[dict[str, Any]] = []
        for sku_filter, size in sku_filters(skus):
            params = search_params([[sku_filter]], page_size=size, page=1)
            items += self._request("GET", path, params=params).get("items") or []
        return {str(i.get("sku")): float(i.get("qty") or 0) for i in items if i.get("sku")}

    def save_source_items(self, items: list[dict[str, Any]]) -> None:
        """POST /V1/inventory/source-items (MSI; all or nothing)."""
        self._request("POST", "/V1/inventory/source-items", body={"sourceItems": items})

    def search_source_items(self, skus: list[str], source_code: str) -> list[dict[str, Any]]:
        """GET /V1/inventory/source-items filtered by sku and source_code (one page: at most one
        item per SKU, so pageSize = len(skus) also works under Magento's input limiting)."""
        items: list[dict[str, Any]] = []
        for sku_filter, size in sku_filters(skus):
            params = search_params(
                [[sku_filter], [SearchFilter("source_code", source_code)]], page_size=size, page=1
            )
            found = self._request("GET", "/V1/inventory/source-items", params=params)
            items += found.get("items") or []
        return items


def sku_filters(skus: list[str]) -> list[tuple[SearchFilter, int]]:
    """(filter, page size) reading `skus`: one `in` filter for those without a comma (Magento
    splits an `in` value at commas), one `eq` filter each for the rest (8.6)."""
    plain = [sku for sku in skus if "," not in sku]
    filters = [(SearchFilter("sku", ",".join(plain), "in"), len(plain))] if plain else []
    return filters + [(SearchFilter("sku", sku), 1) for sku in skus if "," in sku]


class UnroutableSku(MagentoError):
    """A SKU Magento cannot route in a URL path ("/", "\\", "." or ".."): use a call that
    carries it in the body or the query."""


def path_safe(value: str) -> bool:
    """Whether Magento routes `value` as one path segment: its web server resolves "." and ".."
    (also encoded) and never routes an encoded "/"."""
    return bool(value) and value not in (".", "..") and "/" not in value and "\\" not in value


def path_segment(value: str) -> str:
    """`value` percent-encoded as one path segment; UnroutableSku when Magento cannot route it."""
    if not path_safe(value):
        raise UnroutableSku(f"SKU {value!r} cannot be sent in a Magento URL path", status=None)
    return quote(value, safe="")


def _safe_json(result: http.HttpResult) -> Any:
    try:
        return result.json()
    except ValueError:
        return None
