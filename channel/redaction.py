"""Keep secrets out of call records, logs and admin."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from django.conf import settings

SECRET_FIELDS = re.compile(r"(password|secret|token|authorization|api[-_]?key)", re.IGNORECASE)
SECRET_SETTINGS = (
    "MAGENTO_TOKEN",
    "MAGENTO_CONSUMER_SECRET",
    "MAGENTO_ACCESS_TOKEN",
    "MAGENTO_ACCESS_TOKEN_SECRET",
    "MAGENTO_PASSWORD",
    "OMNI_AUTH_PASSWORD",
    "SECRET_KEY",
    "DOCUMENT_SIGNING_KEY",
)
MASK = "***"


@lru_cache(maxsize=1)
def _configured_secrets() -> tuple[str, ...]:
    values = {getattr(settings, name, "") for name in SECRET_SETTINGS}
    return tuple(sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True))


def extra_secrets() -> list[str]:
    """Secrets learnt at run time (e.g. a Magento admin token)."""
    return _runtime_secrets


_runtime_secrets: list[str] = []


def remember_secret(value: str) -> None:
    if value and value not in _runtime_secrets:
        _runtime_secrets.append(value)
        del _runtime_secrets[:-20]


def redact_text(text: str) -> str:
    """Mask configured secrets anywhere in the text, and values of secret-looking JSON keys."""
    if not text:
        return text
    for secret in (*_configured_secrets(), *_runtime_secrets):
        text = text.replace(secret, MASK)
    if text[:1] in "{[":
        try:
            return json.dumps(redact_data(json.loads(text)), ensure_ascii=False)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to walk
            return text
    return text


def redact_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if SECRET_FIELDS.search(str(k)) and v else redact_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    return value


def clear_cache() -> None:
    _configured_secrets.cache_clear()
