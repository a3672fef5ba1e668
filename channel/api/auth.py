"""API-key authentication and scopes for the Omni-facing and returns APIs."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import NoReturn, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from channel.api.middleware import link_api_key
from channel.lib.clients import client_address, parse_rate
from channel.models import ApiKey, ApiKeyScope
from channel.services.apikeys import api_key_check, api_key_note_use

log = logging.getLogger(__name__)


@dataclass
class ApiClient:
    """The `request.user` of an API call: the key's owner."""

    key: ApiKey
    is_authenticated: bool = True
    is_staff: bool = False

    def __str__(self) -> str:
        return self.key.name


def _failure_limit() -> tuple[int, int]:
    return parse_rate(settings.AUTH_FAILURE_RATE)


def request_client_address(request: HttpRequest | Request) -> str:
    """The client's address as TRUSTED_PROXY_COUNT / TRUSTED_PROXIES say (also django-axes')."""
    return client_address(
        request.META,
        proxy_count=settings.TRUSTED_PROXY_COUNT,
        trusted_proxies=settings.TRUSTED_PROXIES,
    )


def axes_client_address(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the client's address, None when it is not one
    (a login made in code has no REMOTE_ADDR; PostgreSQL's inet column refuses other text)."""
    address = request_client_address(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def _failures_key(request: Request) -> str:
    return f"auth-failures:{request_client_address(request)}"


class ApiKeyAuthentication(BaseAuthentication):
    """A valid key is always let in, whatever its address; a wrong one counts against the
    client's address (in the shared cache) and past AUTH_FAILURE_RATE answers 429."""

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = "HTTP_" + settings.API_KEY_HEADER.upper().replace("-", "_")
        raw = request.META.get(header, "")
        if not raw:
            return None
        key = api_key_check(raw)
        if key is None:
            self._refuse(request)
        link_api_key(request._request, key.pk)
        api_key_note_use(key)
        return ApiClient(key), key

    def authenticate_header(self, request: Request) -> str:
        return settings.API_KEY_HEADER

    def _refuse(self, request: Request) -> NoReturn:
        limit, window = _failure_limit()
        if _count_failure(_failures_key(request), window) > limit:
            raise exceptions.Throttled(wait=window)
        raise exceptions.AuthenticationFailed("The API key is wrong, revoked or expired.")


def _count_failure(key: str, window: int) -> int:
    """Add one failure to the address's count; a cache that fails counts nothing (the caller
    still gets its 401)."""
    try:
        cache.add(key, 0, window)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            return 1
    except Exception:
        log.exception("could not count a failed API key in the cache")
        return 0


class _HasScope(BasePermission):
    scope = ApiKeyScope.OMNI
    message = "This API key may not call this endpoint."

    def has_permission(self, request: Request, view: object) -> bool:
        if request.auth is None:
            raise exceptions.NotAuthenticated(
                f"An API key is required in the {settings.API_KEY_HEADER} header."
            )
        return cast(ApiKey, request.auth).scope == self.scope


class HasOmniScope(_HasScope):
    scope = ApiKeyScope.OMNI


class HasReturnsScope(_HasScope):
    scope = ApiKeyScope.RETURNS
