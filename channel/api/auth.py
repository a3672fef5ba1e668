"""API-key authentication and scopes for the Omni-facing and returns APIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from channel.api.middleware import link_api_key
from channel.models import ApiKey, ApiKeyScope
from channel.services.apikeys import api_key_check, api_key_note_use

FAILURE_LIMIT = 20
FAILURE_WINDOW_SECONDS = 60


@dataclass
class ApiClient:
    """The `request.user` of an API call: the key's owner."""

    key: ApiKey
    is_authenticated: bool = True
    is_staff: bool = False

    def __str__(self) -> str:
        return self.key.name


def _client_id(request: Request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _failures_key(request: Request) -> str:
    return f"auth-failures:{_client_id(request)}"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = "HTTP_" + settings.API_KEY_HEADER.upper().replace("-", "_")
        raw = request.META.get(header, "")
        if int(cache.get(_failures_key(request), 0)) >= FAILURE_LIMIT:
            raise exceptions.Throttled(wait=FAILURE_WINDOW_SECONDS)
        if not raw:
            return None
        key = api_key_check(raw)
        if key is None:
            self._count_failure(request)
            raise exceptions.AuthenticationFailed("The API key is wrong, revoked or expired.")
        link_api_key(request._request, key.pk)
        api_key_note_use(key)
        return ApiClient(key), key

    def authenticate_header(self, request: Request) -> str:
        return settings.API_KEY_HEADER

    def _count_failure(self, request: Request) -> None:
        key = _failures_key(request)
        cache.add(key, 0, FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, FAILURE_WINDOW_SECONDS)


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
