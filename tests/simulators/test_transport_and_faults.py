"""The shared plumbing: request log, latency, fault injection, real server, WSGI."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests

from simulators.base import RunningServer, serve, wsgi_app
from simulators.magento import MagentoSimulator
from tests.support.simulators import REST


@pytest.fixture
def server(magento: MagentoSimulator) -> Iterator[RunningServer]:
    running = serve(magento)
    yield running
    running.stop()


def _bearer(magento: MagentoSimulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {magento.oauth_access_token}"}


def test_it_records_every_request(magento: MagentoSimulator, client: requests.Session) -> None:
    magento.add_order()
    client.get(f"{REST}/orders", params={"searchCriteria[pageSize]": "1"})
    client.post(f"{REST}/orders/1/comments", json={"statusHistory": {"comment": "hi"}})
    get, post = magento.requests
    assert (get.method, get.path, get.query) == (
        "GET",
        "/rest/default/V1/orders",
        {"searchCriteria[pageSize]": "1"},
    )
    assert (post.method, post.json) == ("POST", {"statusHistory": {"comment": "hi"}})
    assert post.headers["authorization"].startswith("Bearer ")
    assert magento.calls("POST", r"/comments$") == [post]


def test_it_answers_injected_status_faults_without_effect(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.inject("POST", r"/V1/orders/\d+/cancel", "status", times=2, status=500)
    for _ in range(2):
        failed = client.post(f"{REST}/orders/1/cancel")
        assert failed.status_code == 500
        assert failed.json()["message"].startswith("Internal Error. Details are available")
    assert magento.get_order(1)["state"] == "new"
    assert client.post(f"{REST}/orders/1/cancel").json() is True
    magento.inject("GET", r"/orders", "status", status=503)
    gateway = client.get(f"{REST}/orders/1")
    assert gateway.status_code == 503 and "<html>" in gateway.text
    magento.inject("*", r"/orders", "status", status=429)
    assert client.get(f"{REST}/orders/1").json() == {"message": "Too Many Requests", "trace": None}


def test_it_times_out_before_or_after_applying_the_request(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order([{"sku": "A", "qty": 2, "price": 100}])
    magento.inject("POST", r"/invoice$", "timeout_before")
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.post(f"{REST}/order/1/invoice", json={})
    assert magento.invoices == {}
    magento.inject("POST", r"/invoice$", "timeout_after")
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.post(f"{REST}/order/1/invoice", json={})
    assert list(magento.invoices) == [1]  # applied, answer lost
    retry = client.post(f"{REST}/order/1/invoice", json={})
    assert retry.status_code == 400  # nothing left to invoice
    assert len(magento.calls("POST", "/invoice")) == 3


def test_it_resets_connections_without_effect(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.inject("POST", r"/hold$", "reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post(f"{REST}/orders/1/hold")
    assert magento.get_order(1)["state"] == "new"
    assert magento.pending_faults == []
    with pytest.raises(ValueError, match="unknown fault kind"):
        magento.inject("GET", ".*", "explode")


def test_it_consumes_faults_in_order_and_can_clear_them(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.inject("GET", r"/orders/1$", "status", status=502)
    magento.inject("GET", r"/orders/1$", "timeout_before")
    assert client.get(f"{REST}/orders/1").status_code == 502
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get(f"{REST}/orders/1")
    magento.inject("GET", r"/orders/1$", "reset", times=5)
    magento.clear_faults()
    assert client.get(f"{REST}/orders/1").ok


def test_it_applies_slow_requests_that_the_client_gave_up_on(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.latency_seconds = 0.05
    started = time.monotonic()
    assert client.get(f"{REST}/orders/1", timeout=1).ok
    assert time.monotonic() - started >= 0.05
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.post(f"{REST}/orders/1/hold", timeout=(1, 0.01))
    assert magento.get_order(1)["state"] == "holded"


def test_it_serves_over_http_on_loopback(magento: MagentoSimulator, server: RunningServer) -> None:
    magento.add_order()
    assert server.base_url.startswith("http://127.0.0.1:")
    headers = _bearer(magento)
    response = requests.get(f"{server.base_url}/rest/V1/orders/1", headers=headers, timeout=5)
    assert response.status_code == 200 and response.json()["entity_id"] == 1
    assert response.headers["Content-Type"].startswith("application/json")
    status = requests.get(
        f"{server.base_url}/rest/V1/orders/1/statuses", headers=headers, timeout=5
    )
    assert status.json() == "pending"
    missing = requests.get(f"{server.base_url}/nope", timeout=5)
    assert missing.status_code == 404


def test_it_times_out_and_resets_over_http(
    magento: MagentoSimulator, server: RunningServer
) -> None:
    magento.add_order()
    magento.timeout_sleep_seconds = 2
    url = f"{server.base_url}/rest/V1/orders/1/cancel"
    magento.inject("POST", "/cancel", "timeout_after")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(url, headers=_bearer(magento), timeout=0.3)
    assert magento.get_order(1)["state"] == "canceled"
    magento.inject("POST", "/cancel", "reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url, headers=_bearer(magento), timeout=5)


def test_it_serves_as_a_wsgi_app(magento: MagentoSimulator) -> None:
    magento.add_order()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/rest/V1/orders/1/comments",
        "QUERY_STRING": "",
        "HTTP_AUTHORIZATION": f"Bearer {magento.oauth_access_token}",
        "CONTENT_TYPE": "application/json",
    }
    body = b'{"statusHistory": {"comment": "via wsgi"}}'
    environ |= {"CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    setup_testing_defaults(environ)
    seen: list[str] = []
    chunks = wsgi_app(magento)(environ, lambda status, headers: seen.append(status))
    assert seen == ["200 OK"] and b"".join(chunks) == b"true"
    assert magento.get_order(1)["status_histories"][0]["comment"] == "via wsgi"


def test_it_serialises_concurrent_requests_like_magento_s_order_mutex(
    magento: MagentoSimulator, server: RunningServer
) -> None:
    magento.add_order([{"sku": "A", "qty": 1, "price": 100}])
    url = f"{server.base_url}/rest/V1/order/1/invoice"

    def invoice(_: int) -> int:
        return requests.post(url, json={}, headers=_bearer(magento), timeout=5).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(invoice, range(8)))
    assert statuses == [200] + [400] * 7
    assert len(magento.invoices) == 1


def test_it_applies_nothing_when_the_client_dies_before_its_body_arrives(
    magento: MagentoSimulator, server: RunningServer
) -> None:
    magento.add_order()
    host, port = server.server.server_address[:2]
    head = (
        "POST /rest/V1/order/1/ship HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nAuthorization: Bearer {magento.oauth_access_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 80\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(head.encode())  # requests sends the body next; the process died first
    deadline = time.monotonic() + 1  # the server sees the connection close at once
    while time.monotonic() < deadline and not magento.calls("POST") and not magento.shipments:
        time.sleep(0.05)
    assert magento.shipments == {} and magento.calls("POST") == []
