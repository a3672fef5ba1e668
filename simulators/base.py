"""Shared plumbing for the in-process HTTP simulators (fake Magento, fake Omni).

A :class:`Simulator` answers ``handle(method, path, query, headers, body)`` from a regex route
table, records every request it receives, answers after a set time (``latency_seconds``) and can
be told to misbehave (:meth:`Simulator.inject`).  Three ways to talk to one:

* :class:`SimulatorAdapter`, mounted on a ``requests.Session``: no sockets, fast, deterministic;
* :func:`serve`: a threaded HTTP server on 127.0.0.1 in a daemon thread;
* :func:`wsgi_app`: a WSGI callable for any WSGI server.

Fault kinds (consumed in order, one per matching request):

``status``          answer ``status`` with a realistic error body; no effect
``timeout_before``  no effect; the transport times out
``timeout_after``   the request IS applied, then the transport times out (the response is lost)
``reset``           connection error; no effect

This module must not import Django.
"""

from __future__ import annotations

import contextlib
import http
import io
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

FAULT_KINDS = ("status", "timeout_before", "timeout_after", "reset")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class SimResponse:
    """What a simulator answers: a status, a JSON-able ``body`` or ``raw`` bytes, headers."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body).encode()

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


@dataclass
class RecordedRequest:
    """One request as the simulator received it."""

    method: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: CaseInsensitiveDict[str]
    body: bytes
    json: Any
    json_error: bool
    at: float

    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    kind: str
    remaining: int
    status: int

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None


class SimulatedFault(Exception):
    """Raised by :meth:`Simulator.handle` for transport faults; transports translate it."""

    def __init__(self, kind: str, response: SimResponse | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.response = response


class SimError(Exception):
    """A handler raises this to answer an error response."""

    def __init__(self, response: SimResponse) -> None:
        super().__init__(response.status)
        self.response = response


Handler = Callable[..., SimResponse]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    meta: dict[str, Any]


class Simulator:
    """Thread-safe base: routes, request log, latency and fault injection."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.latency_seconds: float = 0.0
        self.timeout_sleep_seconds: float = 10.0
        self.internal_errors: list[BaseException] = []
        self._faults: list[Fault] = []
        self._routes: list[Route] = []

    # -- configuration -------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler, **meta: Any) -> None:
        """Register ``handler(req, **groups)`` for ``method`` and a full-match regex."""
        self._routes.append(Route(method.upper(), re.compile(pattern), handler, meta))

    def inject(
        self, method: str, path_pattern: str, kind: str, times: int = 1, status: int = 500
    ) -> None:
        """Make the next ``times`` requests matching ``method`` ("*" = any) and the regex
        ``path_pattern`` (searched in the full request path) fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        fault = Fault(method.upper(), re.compile(path_pattern), kind, times, status)
        with self.lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        with self.lock:
            return [f for f in self._faults if f.remaining > 0]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def calls(
        self, method: str | None = None, path_pattern: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests filtered by method and a regex searched in the path."""
        rx = re.compile(path_pattern) if path_pattern else None
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (rx is None or rx.search(r.path))
            ]

    # -- request pipeline ----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        delay: bool = True,
    ) -> SimResponse:
        """Answer one request.  Raises :class:`SimulatedFault` for transport faults.

        With ``latency_seconds`` the answer (or fault) comes that long after the request: the
        simulator's own work is part of it, as a real server's is part of its answer time."""
        started = time.monotonic()
        try:
            return self._handle(method, path, query, headers, body)
        finally:
            remaining = self.latency_seconds - (time.monotonic() - started)
            if delay and remaining > 0:
                time.sleep(remaining)

    def _handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str] | None,
        body: bytes,
    ) -> SimResponse:
        with self.lock:
            req = self._record(method.upper(), path, query, headers or {}, body)
            target = f"{path}?{unquote(req.query_string)}" if req.query_string else path
            fault = self._take_fault(req.method, target)
            if fault is not None and fault.kind in ("timeout_before", "reset"):
                raise SimulatedFault(fault.kind)
            if fault is not None and fault.kind == "status":
                return self._freeze(self.fault_response(fault.status, req))
            response = self._freeze(self._dispatch(req))
        if fault is not None:  # timeout_after: applied, answer lost
            raise SimulatedFault(fault.kind, response)
        return response

    def _record(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> RecordedRequest:
        parsed: Any = None
        error = False
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                error = True
        req = RecordedRequest(
            method=method,
            path=path,
            query=dict(parse_qsl(query, keep_blank_values=True)),
            query_string=query,
            headers=CaseInsensitiveDict({k: _text(v) for k, v in headers.items()}),
            body=body,
            json=parsed,
            json_error=error,
            at=time.time(),
        )
        self.requests.append(req)
        return req

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    def _freeze(self, response: SimResponse) -> SimResponse:
        """Serialise the body now, under the lock, so later mutations cannot leak in."""
        raw = response.raw if response.raw is not None else self.encode(response.body)
        headers = dict(response.headers)
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return SimResponse(response.status, response.body, raw, headers)

    def _dispatch(self, req: RecordedRequest) -> SimResponse:
        route_path = self.route_path(req.path)
        if route_path is None:
            return self.no_route(req)
        for route in self._routes:
            match = route.pattern.fullmatch(route_path)
            if match is None or route.method != req.method:
                continue
            try:
                denied = self.before(req, route)
                if denied is not None:
                    return denied
                return route.handler(req, **match.groupdict())
            except SimError as exc:
                return exc.response
            except Exception as exc:  # a bug in the simulator: answer 500, keep it for tests
                self.internal_errors.append(exc)
                return self.fault_response(500, req)
        return self.no_route(req)

    # -- hooks for subclasses ------------------------------------------------------------------

    def route_path(self, path: str) -> str | None:
        """Map the request path to the path the route table matches (None = no route)."""
        return path

    def before(self, req: RecordedRequest, route: Route) -> SimResponse | None:
        """Run before the handler (authentication); return a response to short-circuit."""
        return None

    def no_route(self, req: RecordedRequest) -> SimResponse:
        return SimResponse(404, {"message": "Not found"})

    def fault_response(self, status: int, req: RecordedRequest) -> SimResponse:
        """A realistic error for an injected ``status`` fault (gateway errors are HTML)."""
        if status in (502, 503, 504):
            return html_error(status)
        return SimResponse(status, {"message": http_phrase(status)})

    def encode(self, body: Any) -> bytes:
        return json.dumps(body).encode()


# -- helpers -------------------------------------------------------------------------------------


def http_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def html_error(status: int) -> SimResponse:
    page = _NGINX_PAGE.format(code=status, phrase=http_phrase(status))
    return SimResponse(status, raw=page.encode(), headers={"Content-Type": "text/html"})


def report_id() -> str:
    return uuid.uuid4().hex[:13]


# -- requests transport adapter ------------------------------------------------------------------


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _read_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return None if timeout[1] is None else float(timeout[1])
    if isinstance(timeout, int | float):
        return float(timeout)
    value = getattr(timeout, "read_timeout", None)
    return float(value) if isinstance(value, int | float) else None


class SimulatorAdapter(BaseAdapter):
    """A ``requests`` transport that hands requests to a simulator in-process.

    ``session.mount("http://magento.test", SimulatorAdapter(sim))``.  Latency is honoured (a
    request slower than the read timeout raises ``ReadTimeout`` after the request has been
    applied, like a real slow server), ``timeout_*`` faults raise ``ReadTimeout`` at once and
    ``reset`` raises ``ConnectionError``.
    """

    def __init__(self, sim: Simulator) -> None:
        super().__init__()
        self.sim = sim

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        headers = {k: _text(v) for k, v in request.headers.items()}
        headers.setdefault("Host", url.netloc)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        read_timeout = _read_timeout(timeout)
        slow = read_timeout is not None and self.sim.latency_seconds > read_timeout
        if slow:
            time.sleep(read_timeout or 0)
        try:
            sim_response = self.sim.handle(
                request.method or "GET", url.path, url.query, headers, body, delay=not slow
            )
        except SimulatedFault as exc:
            raise self._transport_error(exc.kind, request) from None
        if slow:
            raise requests.exceptions.ReadTimeout("Read timed out (simulated)", request=request)
        return self.build_response(request, sim_response)

    @staticmethod
    def _transport_error(kind: str, request: requests.PreparedRequest) -> Exception:
        if kind == "reset":
            return requests.exceptions.ConnectionError(
                "Connection aborted: connection reset by peer (simulated)", request=request
            )
        return requests.exceptions.ReadTimeout("Read timed out (simulated)", request=request)

    def build_response(
        self, request: requests.PreparedRequest, sim_response: SimResponse
    ) -> requests.Response:
        content = sim_response.content
        response = requests.Response()
        response.status_code = sim_response.status
        response.headers = CaseInsensitiveDict(sim_response.headers)
        response.headers.setdefault("Content-Length", str(len(content)))
        response._content = content
        response.raw = io.BytesIO(content)
        response.url = request.url or ""
        response.request = request
        response.reason = http_phrase(sim_response.status)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.connection = self
        return response

    def close(self) -> None:
        return None


# -- real HTTP server on loopback ----------------------------------------------------------------


@dataclass
class RunningServer:
    server: ThreadingHTTPServer
    thread: threading.Thread
    stopping: threading.Event

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # like a real web server; Python's default of 5 drops bursts


def _make_handler(sim: Simulator, stopping: threading.Event) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body of every keep-alive
        # response after the first waits for the client's delayed ACK (~40 ms on Linux).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client died mid-request: a real server applies nothing
                self.close_connection = True
                return
            url = urlsplit(self.path)
            try:
                response = sim.handle(self.command, url.path, url.query, dict(self.headers), body)
            except SimulatedFault as exc:
                self._fail(exc.kind)
                return
            self._write(response)

        def _write(self, response: SimResponse) -> None:
            content = response.content
            self.send_response(response.status, http_phrase(response.status))
            for name, value in response.headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def _fail(self, kind: str) -> None:
            self.close_connection = True
            if kind != "reset":
                stopping.wait(sim.timeout_sleep_seconds)
                return
            with contextlib.suppress(OSError):  # RST instead of FIN
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return _Handler


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Run ``sim`` on a threaded HTTP server (loopback only) in a daemon thread."""
    if host not in LOOPBACK_HOSTS:
        raise ValueError("simulators only listen on the loopback interface")
    stopping = threading.Event()
    server = _Server((host, port), _make_handler(sim, stopping))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="simulator", daemon=True
    )
    thread.start()
    return RunningServer(server, thread, stopping)


# -- WSGI ----------------------------------------------------------------------------------------

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _wsgi_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    return headers


def _wsgi_path(environ: Mapping[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return urlsplit(str(raw)).path
    path_info = str(environ.get("PATH_INFO", ""))
    return quote(path_info.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def wsgi_app(sim: Simulator) -> Callable[[Mapping[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI application answering with ``sim``.  Timeout faults sleep
    ``sim.timeout_sleep_seconds`` then answer 504; ``reset`` raises ``ConnectionAbortedError``
    so the WSGI server drops the request."""

    def app(environ: Mapping[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        method = str(environ.get("REQUEST_METHOD", "GET"))
        query = str(environ.get("QUERY_STRING", ""))
        try:
            response = sim.handle(method, _wsgi_path(environ), query, _wsgi_headers(environ), body)
        except SimulatedFault as exc:
            if exc.kind == "reset":
                raise ConnectionAbortedError("simulated connection reset") from None
            time.sleep(sim.timeout_sleep_seconds)
            response = html_error(504)
        content = response.content
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(content))))
        start_response(f"{response.status} {http_phrase(response.status)}", headers)
        return [content]

    return app
