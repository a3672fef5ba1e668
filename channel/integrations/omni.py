"""Increff Omni client: the calls the proxy makes into Omni's standard APIs.

Reference: ../shared/reference/increff-omni.md (I1 Create Outward Order, I2 Customer Cancellation,
I3 Update Order Properties, I4 Create Return Order). Success is 200 with an (often empty) body;
400 BAD_DATA is permanent; 5xx, timeouts and connection errors are transient.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings

from channel.integrations import http
from channel.integrations.errors import RemoteError


class OmniError(RemoteError):
    """Omni refused or did not answer."""


def omni_message(body: Any, status: int) -> str:
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("code", "message", "description") if body.get(k)]
        if parts:
            return ": ".join(parts)
    return f"Omni answered HTTP {status}"


class OmniClient:
    def __init__(self, *, order_id: int | None = None, operation_id: int | None = None) -> None:
        self.base_url = settings.OMNI_BASE_URL
        self.timeout = (settings.OMNI_CONNECT_TIMEOUT, settings.OMNI_READ_TIMEOUT)
        self.context = http.CallContext("omni", order_id=order_id, operation_id=operation_id)

    def _headers(self) -> dict[str, str]:
        return {
            "authUsername": settings.OMNI_AUTH_USERNAME,
            "authPassword": settings.OMNI_AUTH_PASSWORD,
            "authDomainName": settings.OMNI_AUTH_DOMAIN,
        }

    def _request(self, method: str, path: str, body: Any) -> Any:
        if not self.base_url:
            raise OmniError("OMNI_BASE_URL is not configured", needs_config=True)
        try:
            result = http.send(
                method,
                f"{self.base_url}{path}",
                context=self.context,
                timeout=self.timeout,
                json_body=body,
                headers=self._headers(),
            )
        except http.RedirectRefused as exc:
            raise OmniError(str(exc), status=exc.status, needs_config=True) from exc
        except http.TransportError as exc:
            raise OmniError(f"Omni did not answer: {exc}", transient=True) from exc
        try:
            parsed = result.json()
        except ValueError:
            parsed = None
        if 200 <= result.status < 300:
            return parsed
        message = omni_message(parsed, result.status)
        if result.status in (401, 403):
            raise OmniError(
                f"Omni refused the credentials: {message}", status=result.status, needs_config=True
            )
        transient = result.status >= 500 or result.status in (408, 429)
        raise OmniError(message, status=result.status, transient=transient)

    def create_outward_order(self, payload: dict[str, Any]) -> Any:
        """POST {OMNI}/orders/outward (Create Outward Order)."""
        return self._request("POST", "/orders/outward", payload)

    def customer_cancellation(self, order_code: str, payload: dict[str, Any]) -> Any:
        """PUT {OMNI}/orders/{orderCode}/cancel (Customer Cancellation)."""
        return self._request("PUT", f"/orders/{quote(order_code, safe='')}/cancel", payload)

    def update_order_properties(self, order_code: str, payload: dict[str, Any]) -> Any:
        """PUT {OMNI}/orders/{orderCode} (Update Order Properties: hold / unhold)."""
        return self._request("PUT", f"/orders/{quote(order_code, safe='')}", payload)

    def create_return_order(self, payload: dict[str, Any]) -> Any:
        """POST {OMNI}/return/return-orders (Create Return Order; path configurable)."""
        return self._request("POST", settings.OMNI_RETURN_PATH, payload)
