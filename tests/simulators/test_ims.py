"""The fake Adobe IMS token endpoint (client credentials)."""

from __future__ import annotations

from urllib.parse import urlencode

from simulators.ims import TOKEN_PATH, ImsSimulator

FORM = {
    "grant_type": "client_credentials",
    "client_id": "c1",
    "client_secret": "s1",
    "scope": "openid,AdobeID,additional_info.projectedProductContext",
}


def post(sim: ImsSimulator, **changes: str) -> tuple[int, dict]:
    body = urlencode({**FORM, **changes}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = sim.handle("POST", TOKEN_PATH, "", headers, body)
    return answer.status, answer.json()


def test_it_issues_a_bearer_token_valid_until_it_expires() -> None:
    sim = ImsSimulator(clients={"c1": "s1"})
    status, body = post(sim)
    assert status == 200 and body["token_type"] == "bearer" and body["expires_in"] == 86399
    assert sim.client_of(body["access_token"]) == "c1"
    sim.expire_tokens()
    assert sim.client_of(body["access_token"]) is None


def test_it_refuses_a_wrong_grant_client_secret_or_scope() -> None:
    sim = ImsSimulator(clients={"c1": "s1"})
    assert post(sim, grant_type="password") == (
        400,
        {
            "error": "unsupported_grant_type",
            "error_description": "grant_type must be client_credentials",
        },
    )
    assert post(sim, client_id="c2")[1]["error"] == "invalid_client"
    assert (
        post(sim, client_secret="nope")[1]["error_description"] == "invalid client_secret parameter"
    )
    assert post(sim, scope="openid")[1]["error"] == "invalid_scope"
    assert sim.issued() == 0
