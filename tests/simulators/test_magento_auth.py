"""Admin tokens, integration tokens, OAuth 1.0a and ACL denial in the fake Magento."""

from __future__ import annotations

import pytest
import requests

from simulators.magento import MagentoSimulator, oauth_signature
from tests.support.simulators import MAGENTO, REST

TOKEN_URL = f"{MAGENTO}/rest/V1/integration/admin/token"
DENIED = "The consumer isn't authorized to access %resources."


def _login(
    anon: requests.Session, username: str = "admin", password: str = "admin123"
) -> requests.Response:
    return anon.post(TOKEN_URL, json={"username": username, "password": password})


def test_it_issues_an_admin_token_as_a_json_string(
    magento: MagentoSimulator, anon: requests.Session
) -> None:
    magento.add_order()
    response = _login(anon)
    assert response.status_code == 200 and response.text.startswith('"')
    token = response.json()
    assert token.count(".") == 2  # a JWT since 2.4.4; clients must treat it as opaque
    order = anon.get(f"{REST}/orders/1", headers={"Authorization": f"Bearer {token}"})
    assert order.status_code == 200


def test_it_answers_401_once_the_admin_token_expires(
    magento: MagentoSimulator, anon: requests.Session
) -> None:
    magento.add_order()
    headers = {"Authorization": f"Bearer {_login(anon).json()}"}
    magento.advance_clock(magento.token_ttl_seconds - 1)
    assert anon.get(f"{REST}/orders/1", headers=headers).status_code == 200
    magento.advance_clock(2)
    expired = anon.get(f"{REST}/orders/1", headers=headers)
    assert (expired.status_code, expired.json()) == (
        401,
        {"message": DENIED, "parameters": {"resources": "Magento_Sales::actions_view"}},
    )
    fresh = {"Authorization": f"Bearer {_login(anon).json()}"}
    assert anon.get(f"{REST}/orders/1", headers=fresh).status_code == 200
    magento.expire_tokens()
    assert anon.get(f"{REST}/orders/1", headers=fresh).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic YWRtaW46eA=="},
        {"Authorization": "Bearer"},
    ],
)
def test_it_denies_missing_or_unknown_credentials_with_the_route_acl(
    magento: MagentoSimulator, anon: requests.Session, headers: dict[str, str]
) -> None:
    magento.add_order()
    response = anon.post(f"{REST}/orders/1/cancel", headers=headers)
    assert response.status_code == 401
    assert response.json()["parameters"] == {"resources": "Magento_Sales::cancel"}
    assert magento.get_order(1)["state"] == "new"


def test_it_rejects_wrong_credentials_and_locks_the_account(
    magento: MagentoSimulator, anon: requests.Session
) -> None:
    wrong = _login(anon, password="wrong")
    assert wrong.status_code == 401
    assert wrong.json()["message"].startswith("The account sign-in was incorrect")
    for _ in range(5):
        _login(anon, password="wrong")
    assert _login(anon).status_code == 401  # locked, same message
    magento.advance_clock(magento.lockout_seconds + 1)
    assert _login(anon).status_code == 200
    missing = anon.post(TOKEN_URL, json={"username": "admin"})
    assert missing.json()["parameters"] == {"fieldName": "password"}


def test_it_refuses_admin_tokens_when_two_factor_auth_is_on(
    magento: MagentoSimulator, anon: requests.Session
) -> None:
    magento.two_factor_enabled = True
    response = _login(anon)
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "Please use the 2fa provider-specific endpoints to obtain a token.",
            "parameters": {"active_providers": ["google"]},
        },
    )
    assert _login(anon, password="wrong").status_code == 401


def test_it_accepts_integration_tokens_only_when_bearer_use_is_allowed(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    assert client.get(f"{REST}/orders/1").status_code == 200
    magento.integration_bearer_allowed = False
    assert client.get(f"{REST}/orders/1").status_code == 401


def test_it_denies_routes_outside_the_token_acl(
    magento: MagentoSimulator, client: requests.Session
) -> None:
    magento.add_order()
    magento.token_acl[magento.oauth_access_token] = {"Magento_Sales::actions_view"}
    assert client.get(f"{REST}/orders/1").status_code == 200
    denied = client.post(f"{REST}/order/1/invoice", json={})
    assert denied.json()["parameters"] == {"resources": "Magento_Sales::invoice"}


def test_it_signs_like_rfc_5849() -> None:
    # RFC 5849 section 1.2 example (HMAC-SHA1)
    params = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    signature = oauth_signature(
        "GET",
        "http://photos.example.net/photos",
        params,
        "kd94hf93k423kf44",
        "pfkkdhi9sl3r4s00",
        "HMAC-SHA1",
    )
    assert signature == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_it_accepts_oauth_signed_requests(
    magento: MagentoSimulator, anon: requests.Session
) -> None:
    oauth1 = pytest.importorskip("requests_oauthlib").OAuth1
    magento.add_order()

    def auth(secret: str) -> object:
        return oauth1(
            magento.oauth_consumer_key,
            client_secret=magento.oauth_consumer_secret,
            resource_owner_key=magento.oauth_access_token,
            resource_owner_secret=secret,
            signature_method="HMAC-SHA256",
        )

    url = f"{REST}/orders"
    params = {"searchCriteria[pageSize]": "5"}
    good = anon.get(url, params=params, auth=auth(magento.oauth_access_token_secret))
    assert good.status_code == 200, good.text
    assert anon.post(
        f"{REST}/order/1/invoice", json={}, auth=auth(magento.oauth_access_token_secret)
    ).ok
    bad = anon.get(url, params=params, auth=auth("wrong-secret"))
    assert bad.status_code == 401
