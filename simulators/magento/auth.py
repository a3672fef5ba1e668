"""Authentication: integration bearer tokens, OAuth 1.0a signatures, admin tokens, ACLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    MSG_2FA,
    MSG_SIGN_IN,
    MSG_UNAUTHORIZED,
    MagentoError,
    _required,
)

# -- OAuth 1.0a ----------------------------------------------------------------------------------


def _pct(value: str) -> str:
    return quote(value, safe="~")


def parse_oauth_header(credentials: str) -> dict[str, str]:
    """``oauth_consumer_key="..", oauth_token=".."`` (the part after ``OAuth``) -> dict."""
    pairs = re.findall(r'([A-Za-z0-9_]+)="([^"]*)"', credentials)
    return {unquote(k): unquote(v) for k, v in pairs}


def oauth_signature(
    method: str,
    base_uri: str,
    params: Iterable[tuple[str, str]],
    consumer_secret: str,
    token_secret: str,
    signature_method: str = "HMAC-SHA256",
) -> str:
    """RFC 5849 signature over ``base_uri`` (scheme://host[:port]/path) and all parameters
    (query, form body and ``oauth_*`` except ``oauth_signature`` and ``realm``)."""
    normalized = sorted(
        (_pct(k), _pct(v)) for k, v in params if k not in ("oauth_signature", "realm")
    )
    param_string = "&".join(f"{k}={v}" for k, v in normalized)
    base = "&".join([method.upper(), _pct(base_uri), _pct(param_string)])
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    digest = hashlib.sha1 if signature_method == "HMAC-SHA1" else hashlib.sha256
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


def _fake_jwt(claims: Mapping[str, Any], key: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"kid": "1", "alg": "HS256"}).encode())
    payload = b64(json.dumps(dict(claims)).encode())
    signature = b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def _strip_default_port(host: str, scheme: str) -> str:
    default = ":80" if scheme == "http" else ":443"
    return host[: -len(default)] if host.endswith(default) else host


def _unauthorized(acl: str) -> MagentoError:
    return MagentoError(401, MSG_UNAUTHORIZED, {"resources": acl})


class AuthMixin:
    """MagentoSimulator's authentication: bearer, OAuth 1.0a, admin tokens, ACLs."""

    # -- authentication ------------------------------------------------------------------------

    def _authorized(self, req: RecordedRequest, acl: str) -> bool:
        scheme, _, credentials = req.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
            ok = self._ims_ok(req, token) or (not self.ims_only and self._bearer_ok(token))
        elif scheme.lower() == "oauth" and not self.ims_only:
            token = self.oauth_access_token
            ok = self._oauth_ok(req, credentials)
        else:
            return False
        allowed = self.token_acl.get(token)
        return ok and (allowed is None or acl in allowed)

    def _bearer_ok(self, token: str) -> bool:
        expiry = self.admin_tokens.get(token)
        if expiry is not None:
            return expiry > self.now()
        return self.integration_bearer_allowed and token in self.integration_tokens

    def _ims_ok(self, req: RecordedRequest, token: str) -> bool:
        """An Adobe IMS access token, sent with its client id and the IMS organisation."""
        if self.ims is None:
            return False
        client = self.ims.client_of(token)
        if client is None or req.headers.get("x-api-key") != client:
            return False
        return not self.ims.org_id or req.headers.get("x-gw-ims-org-id") == self.ims.org_id

    def _oauth_ok(self, req: RecordedRequest, credentials: str) -> bool:
        params = parse_oauth_header(credentials)
        if params.get("oauth_consumer_key") != self.oauth_consumer_key:
            return False
        if params.get("oauth_token") != self.oauth_access_token:
            return False
        method = params.get("oauth_signature_method")
        if method not in ("HMAC-SHA256", "HMAC-SHA1"):
            return False
        if not self.oauth_verify_signature:
            return True
        signed = list(params.items()) + req.query_pairs()
        if "application/x-www-form-urlencoded" in req.headers.get("Content-Type", ""):
            signed += parse_qsl(req.body.decode(), keep_blank_values=True)
        host = req.headers.get("Host", "localhost").lower()
        given = params.get("oauth_signature", "")
        for scheme in ("http", "https"):
            uri = f"{scheme}://{_strip_default_port(host, scheme)}{req.path}"
            expected = oauth_signature(
                req.method,
                uri,
                signed,
                self.oauth_consumer_secret,
                self.oauth_access_token_secret,
                method,
            )
            if hmac.compare_digest(expected, given):
                return True
        return False

    def expire_tokens(self) -> None:
        """Expire every admin token issued so far (the next call with one answers 401)."""
        with self.lock:
            past = self.now() - timedelta(seconds=1)
            self.admin_tokens = {token: past for token in self.admin_tokens}

    def issue_admin_token(self) -> str:
        """Issue an admin token directly (no credentials check)."""
        with self.lock:
            now = self.now()
            expiry = now + timedelta(seconds=self.token_ttl_seconds)
            claims = {"kid": "1", "uid": 1, "utypid": 2, "iat": int(now.timestamp())}
            claims |= {"exp": int(expiry.timestamp()), "jti": secrets.token_hex(8)}
            token = _fake_jwt(claims, self._jwt_key)
            self.admin_tokens[token] = expiry
            return token

    def _h_admin_token(self, req: RecordedRequest) -> SimResponse:
        body = self._body(req)
        username, password = body.get("username"), body.get("password")
        if not username:
            raise _required("username")
        if not password:
            raise _required("password")
        now = self.now()
        if self._locked_until is not None and self._locked_until > now:
            raise MagentoError(401, MSG_SIGN_IN)
        if username != self.admin_username or password != self.admin_password:
            self._login_failures += 1
            if self._login_failures >= self.lockout_failures:
                self._locked_until = now + timedelta(seconds=self.lockout_seconds)
                self._login_failures = 0
            raise MagentoError(401, MSG_SIGN_IN)
        self._login_failures = 0
        if self.two_factor_enabled:
            raise MagentoError(400, MSG_2FA, {"active_providers": list(self.two_factor_providers)})
        return SimResponse(200, self.issue_admin_token())
