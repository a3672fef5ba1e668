"""Query-parameter parsing shared by the list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from rest_framework.request import Request

from channel.api.errors import ApiError
from channel.lib.timefmt import parse_iso


def int_param(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"{name} must be a whole number, not {raw[:40]!r}.") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(f"{name} must be {limit}, not {value}.")
    return value


def time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        parsed = parse_iso(raw)
    except ValueError:
        raise ApiError(
            f"{name} must be an ISO 8601 timestamp such as 2026-01-31T09:15:00+00:00, "
            f"not {raw[:40]!r}."
        ) from None
    try:
        return parsed.astimezone(UTC)  # 9999-12-31T23:59-01:00 parses, but is past UTC's last
    except OverflowError:
        raise ApiError(f"{name} is out of range: {raw[:40]!r}.") from None


def list_param(request: Request, name: str, default: list[str]) -> list[str]:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not values:
        raise ApiError(f"{name} must name at least one value.")
    if "\x00" in raw:
        raise ApiError(f"{name} may not contain NUL characters.")
    limit = settings.API_MAX_QUERY_VALUES
    if len(values) > limit:
        raise ApiError(f"{name} may name at most {limit} values (API_MAX_QUERY_VALUES).")
    return values


def paging(request: Request) -> tuple[int, int]:
    return int_param(request, "page", 1, 1), int_param(request, "pageSize", 50, 1, 200)
