"""The outbound session reads proxies and CA bundles from the environment only when one is set."""

from __future__ import annotations

import pytest

from channel.integrations import http


@pytest.fixture(autouse=True)
def fresh_sessions():
    http.reset_sessions()
    yield
    http.reset_sessions()


def without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*http._PROXY_VARIABLES, "requests_ca_bundle", "curl_ca_bundle"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_without_proxy_settings_requests_does_not_read_the_environment(monkeypatch) -> None:
    without_proxies(monkeypatch)
    session = http._session()
    assert (session.trust_env, session.verify) == (False, True)


@pytest.mark.parametrize("name", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_in_the_environment_is_still_used(monkeypatch, name: str) -> None:
    without_proxies(monkeypatch)
    monkeypatch.setenv(name, "/etc/ssl/shop-ca.pem")
    session = http._session()
    assert (session.trust_env, session.verify) == (False, "/etc/ssl/shop-ca.pem")


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "no_proxy"])
def test_a_proxy_in_the_environment_is_honoured(monkeypatch, name: str) -> None:
    without_proxies(monkeypatch)
    monkeypatch.setenv(name, "http://proxy.internal:3128")
    session = http._session()
    assert session.trust_env is True
    if name == "HTTPS_PROXY":
        assert session.rebuild_proxies(_request("https://shop.example/"), {}) == {
            "https": "http://proxy.internal:3128"
        }


def _request(url: str):
    import requests

    return requests.Request("GET", url).prepare()
