"""The one HTTP seam. Only this module imports `requests`.

Every outbound call goes through `send()`, which applies timeouts, turns transport failures into
`TransportError`, and records a `CallRecord` with secrets redacted. Tests (and the demo) route a
base URL to an in-process simulator with `mount()`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

import requests
from django.db.models import TextField, Value
from requests.adapters import BaseAdapter, HTTPAdapter

from channel.lib import redaction
from channel.models import CallDirection, CallRecord

log = logging.getLogger(__name__)
MAX_BODY_CHARS = 64_000
RECORDS_PER_INSERT = 50  # 13 columns: within SQLite's 999 parameters
_local = threading.local()
_sink = threading.local()  # separate from _local: reset_sessions() must not drop a sink
_mounts: dict[str, BaseAdapter] = {}
# `requests` looks up proxies in the environment on every call when `trust_env` is on (~0.25 ms);
# with no proxy variable set it is switched off, and the CA bundle it would also read from there
# (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) is set on the session once instead. A ~/.netrc password
# then cannot replace the credentials a call sends.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class TransportError(Exception):
    """No usable answer: timeout or connection failure. Always transient."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class RedirectRefused(Exception):
    """The remote answered a redirect. It is never followed: the request's credentials would go
    to another address. Only a configuration change (the base URL) fixes it."""

    def __init__(self, message: str, *, status: int, location: str) -> None:
        super().__init__(message)
        self.status = status
        self.location = location


@dataclass
class HttpResult:
    status: int
    text: str
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text) if self.text.strip() else None


@dataclass
class CallContext:
    """What a recorded call concerns."""

    system: str
    order_id: int | None = None
    operation_id: int | None = None


def mount(prefix: str, adapter: BaseAdapter) -> None:
    """Route every request whose URL starts with `prefix` to `adapter` (tests, demo)."""
    _mounts[prefix] = adapter
    reset_sessions()


def unmount_all() -> None:
    _mounts.clear()
    reset_sessions()


def reset_sessions() -> None:
    _local.__dict__.clear()


@contextmanager
def deferred_records() -> Iterator[list[CallRecord]]:
    """Keep this thread's call records in memory, unsaved, for the caller to save.

    For worker threads that must not touch the database (on SQLite all writes stay on the request
    thread); the thread that owns the connection saves them with `save_records`.
    """
    previous = getattr(_sink, "records", None)
    records: list[CallRecord] = []
    _sink.records = records
    try:
        yield records
    finally:
        _sink.records = previous


def save_records(records: list[CallRecord]) -> None:
    """Insert call records, up to 50 a statement, each statement on its own (autocommit).

    `bulk_create` would wrap even two rows in BEGIN/COMMIT: three round trips where two plain
    saves take two; a record needs no transaction. `_insert` is the statement both are built on.
    On PostgreSQL Django sends a multi-row insert as one array per column (UNNEST), which psycopg
    quotes element by element in Python, ~1 ms per 10 kB body; a body given as an expression
    makes it write plain VALUES rows instead.
    """
    fields = [f for f in CallRecord._meta.concrete_fields if not f.primary_key]
    for start in range(0, len(records), RECORDS_PER_INSERT):
        batch = records[start : start + RECORDS_PER_INSERT]
        bodies = [record.response_body for record in batch]
        for record, body in zip(batch, bodies, strict=True):
            record.response_body = Value(body, output_field=TextField())
        try:
            CallRecord._base_manager._insert(batch, fields=fields)  # type: ignore[attr-defined]  # private
        finally:
            for record, body in zip(batch, bodies, strict=True):
                record.response_body = body


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = any(name.lower() in _PROXY_VARIABLES for name in os.environ)
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if not session.trust_env and bundle:
            session.verify = bundle
        session.mount("http://", HTTPAdapter(pool_maxsize=32, max_retries=0))
        session.mount("https://", HTTPAdapter(pool_maxsize=32, max_retries=0))
        for prefix, adapter in _mounts.items():
            session.mount(prefix, adapter)
        _local.session = session
    return session


def send(
    method: str,
    url: str,
    *,
    context: CallContext,
    timeout: tuple[float, float],
    json_body: Any = None,
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    auth: Any = None,
    secret_response: bool = False,
    form: dict[str, str] | None = None,
) -> HttpResult:
    """Send one request and record it. Raises TransportError when no answer came back and
    RedirectRefused on a 3xx (redirects are never followed).
    `form`: a form-encoded body instead of JSON (OAuth token endpoints)."""
    data = None if json_body is None else json.dumps(json_body)
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urlencode(form)
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    recorded = data if form is None else urlencode(redaction.redact_data(form))
    started = time.monotonic()
    try:
        response = _session().request(
            method,
            url,
            data=data,
            params=params,
            headers=all_headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        _record(method, url, params, recorded, context, started, None, "", f"timeout: {exc}")
        raise TransportError(f"{method} {_path(url)} timed out", timed_out=True) from exc
    except requests.RequestException as exc:
        _record(method, url, params, recorded, context, started, None, "", f"connection: {exc}")
        raise TransportError(f"{method} {_path(url)} failed: {exc}", timed_out=False) from exc
    text = response.text
    if response.is_redirect or 300 <= response.status_code < 400:
        _refuse_redirect(method, url, params, recorded, context, started, response)
    answer = "(secret, not recorded)" if secret_response and response.ok else text
    _record(method, url, params, recorded, context, started, response.status_code, answer, "")
    return HttpResult(
        status=response.status_code,
        text=text,
        duration_ms=_elapsed_ms(started),
        headers=dict(response.headers),
    )


def _refuse_redirect(
    method: str,
    url: str,
    params: Any,
    data: str | None,
    context: CallContext,
    started: float,
    response: requests.Response,
) -> None:
    location = redaction.redact_text(response.headers.get("Location", "(no Location header)"))
    message = (
        f"{method} {_path(url)} was answered {response.status_code} redirecting to {location}; "
        "redirects are not followed: set the base URL to the address that answers"
    )
    _record(method, url, params, data, context, started, response.status_code, "", message)
    raise RedirectRefused(message, status=response.status_code, location=location)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _path(url: str) -> str:
    return urlparse(url).path


def _record(
    method: str,
    url: str,
    params: Any,
    body: str | None,
    context: CallContext,
    started: float,
    status: int | None,
    response_text: str,
    error: str,
) -> None:
    path = _path(url)
    if params:
        encoded = requests.models.RequestEncodingMixin._encode_params(params)  # type: ignore[attr-defined]  # private
        path = f"{path}?{encoded}"
    try:
        record = CallRecord(
            direction=CallDirection.OUTBOUND,
            system=context.system,
            method=method,
            path=redaction.redact_text(path)[:500],
            status=status,
            duration_ms=_elapsed_ms(started),
            request_body=redaction.redact_text(body or "")[:MAX_BODY_CHARS],
            response_body=redaction.redact_text(response_text)[:MAX_BODY_CHARS],
            error=redaction.redact_text(error)[:2000],
            order_id=context.order_id,
            operation_id=context.operation_id,
        )
        sink = getattr(_sink, "records", None)
        if sink is not None:
            sink.append(record)
        else:
            record.save()
    except Exception:  # a failed record must never hide the call's own outcome
        log.exception("could not record %s %s", method, path)
