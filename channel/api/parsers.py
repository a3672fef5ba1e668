"""The API's JSON parser: DRF's, refusing what would otherwise fail later as a 500 (docs/api.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers

from channel.api.errors import ApiError

MAX_DEPTH = 32  # Omni's bodies nest four levels; deeper ones are not requests, and would recurse
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it), lone surrogates


class JsonParser(parsers.JSONParser):
    """A body nested too deeply, with a NUL character or an infinite number is a 400."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        check_values(data)
        return data


def too_deep() -> ApiError:
    return ApiError(f"The request body is nested more than {MAX_DEPTH} levels deep.")


def check_values(data: Any) -> None:
    """Walk the body without recursion: its depth, list lengths, strings and numbers."""
    max_items = settings.API_MAX_LIST_ITEMS
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    refuse(path or "body", "Field names may not contain NUL or surrogates.")
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            if len(value) > max_items:
                refuse(
                    path or "body",
                    f"At most {max_items} items per list (API_MAX_LIST_ITEMS); "
                    f"this one has {len(value)}.",
                )
            stack.extend((item, f"{path}[{n}]", depth + 1) for n, item in enumerate(value))
        elif isinstance(value, str) and UNSTORABLE.search(value):
            refuse(path or "body", "NUL characters and lone surrogates are not allowed.")
        elif isinstance(value, float) and not math.isfinite(value):
            refuse(path or "body", "Numbers must be finite.")


def refuse(path: str, message: str) -> None:
    raise ApiError(f"Invalid request: {path}: {message}", errors={path: [message]})
