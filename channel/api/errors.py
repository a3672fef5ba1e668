"""The one place that owns the error body: {"hasError": true, "errorMessage": ...}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from channel.services.errors import Conflict, DomainError, Forbidden, NotFound, Unavailable

log = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """A readable refusal with a status code (400, 404, 409, 503...)."""

    def __init__(
        self, message: str, *, status_code: int = 400, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.errors = errors


# Each kind of refusal a service raises, and the status code the API answers it with.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (Unavailable, 503),
    (DomainError, 400),
)


def domain_status(exc: DomainError) -> int:
    return next(status for kind, status in DOMAIN_STATUS if isinstance(exc, kind))


def error_body(message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"hasError": True, "errorMessage": message}
    if errors:
        body["errors"] = errors
    return body


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail -> {"a.b[0].c": ["message"]}."""
    if isinstance(detail, dict):
        result: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            result.update(_flatten(value, path))
        return result
    if isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            return {prefix or "body": [str(v) for v in detail]}
        result = {}
        for index, value in enumerate(detail):
            if value:
                result.update(_flatten(value, f"{prefix}[{index}]"))
        return result
    return {prefix or "body": [str(detail)]}


def _validation_message(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid request: {field}: {messages[0]}{more}"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApiError):
        return Response(error_body(exc.message, exc.errors), status=exc.status_code)
    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.errors), status=domain_status(exc))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return Response(error_body(_validation_message(errors), errors), status=400)
    if isinstance(exc, Http404):
        return Response(error_body("Not found."), status=404)
    if isinstance(exc, PermissionDenied):
        return Response(error_body("Permission denied."), status=403)
    if isinstance(exc, exceptions.ParseError):
        return Response(error_body("The request body is not valid JSON."), status=400)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        wait = getattr(exc, "wait", None)  # Throttled's (not in the stubs)
        if isinstance(exc, exceptions.Throttled) and wait:
            headers["Retry-After"] = str(int(wait))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        return Response(error_body(_text(exc.detail)), status=exc.status_code, headers=headers)
    log.exception("unhandled error in %s", context.get("view"))
    return Response(error_body("Internal error; it has been logged."), status=500)


def _text(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(map(str, detail))
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_text(v)}" for k, v in detail.items())
    return str(detail)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(f"No endpoint at {request.path}."), status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("Internal error; it has been logged."), status=500)
