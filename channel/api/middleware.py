"""Record every API call (in) with bodies, key and order; keep API errors JSON.

The calls a request makes to Magento or Omni are recorded with it: they are kept in memory while
the view runs and written in one INSERT together with the inbound record, after the view's own
transaction (so a rolled-back view keeps the record of what it sent) and after the answer has
been sent (the client does not wait for it).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from functools import partial

from django.http import HttpRequest, HttpResponse

from channel.api.errors import json_not_found, json_server_error
from channel.integrations import http
from channel.lib import logcontext, redaction
from channel.models import CallDirection, CallRecord

log = logging.getLogger(__name__)
MAX_BODY_CHARS = 64_000
NOT_RECORDED = ("/api/schema/", "/api/docs/")  # the API's description, no calls
# Answers to requests without valid credentials: their bodies are not stored (anyone may send
# them, as large as the server accepts); the record keeps method, path, status and size.
REFUSED_STATUSES = (401, 403, 429)


# Attributes a view or the authentication sets on the request for its call record.
API_KEY_ID = "proxy_api_key_id"
ORDER_ID = "proxy_order_id"


class ApiCallRecordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") or request.path.startswith(NOT_RECORDED):
            return self.get_response(request)
        with logcontext.bound():  # log lines of this request name its order (bind_order)
            return self._recorded(request)

    def _recorded(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        body = request.body.decode("utf-8", "replace") if request.body else ""
        with http.deferred_records() as outbound:
            try:
                response = self.get_response(request)
            except BaseException:
                with contextlib.suppress(Exception):  # the view's own exception matters more
                    http.save_records(outbound)
                raise
        if response.status_code == 404 and not _is_json(response):
            response = json_not_found(request)
        elif response.status_code >= 500 and not _is_json(response):
            response = json_server_error(request)
        records = [*outbound, self._record(request, response, body, started)]
        # Written once the answer is sent (the WSGI server closes the response after writing
        # it): the client does not wait for the INSERT. Django's own list of what closing a
        # response runs; an error there would be swallowed, so `_save_after_answer` logs it.
        response._resource_closers.append(partial(_save_after_answer, records))  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return None

    def _record(
        self, request: HttpRequest, response: HttpResponse, body: str, started: float
    ) -> CallRecord:
        content = b"" if response.streaming else response.content
        path = request.get_full_path()
        api_key_id = getattr(request, API_KEY_ID, None)
        if response.status_code in REFUSED_STATUSES and api_key_id is None:
            body = f"(not stored: refused without valid credentials, {len(body)} characters)"
        return CallRecord(
            direction=CallDirection.INBOUND,
            system="returns" if path.startswith("/api/returns") else "omni",
            method=request.method or "",
            path=_storable(path)[:500],
            status=response.status_code,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_body=_storable(body)[:MAX_BODY_CHARS],
            response_body=_storable(content.decode("utf-8", "replace"))[:MAX_BODY_CHARS],
            api_key_id=api_key_id,
            order_id=getattr(request, ORDER_ID, None),
        )


def _save_after_answer(records: list[CallRecord]) -> None:
    try:
        http.save_records(records)
    except Exception:
        log.exception("could not store the call records of an API call (%d)", len(records))


def _storable(text: str) -> str:
    """Redacted, without what a database refuses: NUL characters (PostgreSQL), lone surrogates
    (a JSON body may spell both as escapes, which redaction decodes)."""
    text = redaction.redact_text(text).replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_json(response: HttpResponse) -> bool:
    return "json" in response.get("Content-Type", "")


def link_api_key(request: HttpRequest, api_key_id: int) -> None:
    """The inbound call record of this request names the API key that made it."""
    setattr(request, API_KEY_ID, api_key_id)


def link_order(request: HttpRequest, order_id: int | None) -> None:
    """The inbound call record of this request concerns this order (written after the view)."""
    setattr(request, ORDER_ID, order_id)
