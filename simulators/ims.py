"""A fake Adobe IMS token endpoint (server-to-server OAuth, client credentials).

``POST /ims/token/v3`` with a form body ``grant_type=client_credentials``, ``client_id``,
``client_secret``, ``scope`` answers ``{"access_token", "token_type": "bearer", "expires_in"}``
(seconds), as Adobe IMS does for Adobe Commerce as a Cloud Service. Errors answer 400 with
``{"error": ..., "error_description": ...}``. Tokens expire on this fake's clock; the fake Magento
accepts them when its ``ims`` is this fake (see ``MagentoSimulator.ims``).

Knobs: ``clients`` (client_id -> secret), ``org_id``, ``token_ttl_seconds`` (default 86399),
``required_scopes`` (each must be asked for). ``expire_tokens()`` ends every token issued so far.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from simulators.base import RecordedRequest, SimError, SimResponse, Simulator

TOKEN_PATH = "/ims/token/v3"


def _error(error: str, description: str) -> SimError:
    return SimError(SimResponse(400, {"error": error, "error_description": description}))


class ImsSimulator(Simulator):
    """Issues client-credentials access tokens; remembers which client each belongs to."""

    def __init__(self, *, clients: dict[str, str] | None = None, org_id: str = "") -> None:
        super().__init__()
        self.clients: dict[str, str] = dict(clients or {})
        self.org_id = org_id
        self.token_ttl_seconds = 86399
        self.required_scopes: set[str] = {"openid", "AdobeID"}
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (client_id, expiry)
        self.clock_offset = 0.0
        self.route("POST", TOKEN_PATH, self._h_token)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def expire_tokens(self) -> None:
        """End every token issued so far (the next call with one is refused)."""
        with self.lock:
            self.tokens = {t: (client, 0.0) for t, (client, _) in self.tokens.items()}

    def client_of(self, token: str) -> str | None:
        """The client id of a valid (unexpired) token, else None."""
        with self.lock:
            client, expiry = self.tokens.get(token, ("", 0.0))
            return client if client and expiry > self.now() else None

    def issued(self) -> int:
        return len(self.tokens)

    def _h_token(self, req: RecordedRequest) -> SimResponse:
        form: dict[str, Any] = dict(parse_qsl(req.body.decode(), keep_blank_values=True))
        form = {**req.query, **form}
        if form.get("grant_type") != "client_credentials":
            raise _error("unsupported_grant_type", "grant_type must be client_credentials")
        client_id = form.get("client_id", "")
        if client_id not in self.clients:
            raise _error("invalid_client", "invalid client_id parameter")
        if not secrets.compare_digest(str(form.get("client_secret", "")), self.clients[client_id]):
            raise _error("invalid_client", "invalid client_secret parameter")
        scopes = {s.strip() for s in str(form.get("scope", "")).split(",") if s.strip()}
        if not self.required_scopes <= scopes:
            raise _error(
                "invalid_scope",
                "scope is missing " + ",".join(sorted(self.required_scopes - scopes)),
            )
        token = "eyJ" + secrets.token_urlsafe(32)
        self.tokens[token] = (client_id, self.now() + self.token_ttl_seconds)
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl_seconds}
        return SimResponse(200, body)
