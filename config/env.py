"""Typed environment helpers: every setting comes from the environment and fails loudly.

A secret `NAME` may instead be given as a file path in `NAME_FILE` (Docker/K8s secrets).
"""

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value.strip()


def env_secret(name: str) -> str:
    """A secret has no default: empty means 'not configured'."""
    return (_raw(name) or "").strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def env_decimal(name: str, default: str) -> Decimal:
    value = _raw(name)
    try:
        return Decimal(default if value is None or value.strip() == "" else value)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be a decimal number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    value = _raw(name)
    text = default if value is None else value
    return [part.strip() for part in text.split(",") if part.strip()]


def env_map(name: str, default: str = "") -> dict[str, str]:
    """`A:x,B:y` -> {"A": "x", "B": "y"}."""
    result: dict[str, str] = {}
    for part in env_list(name, default):
        key, sep, val = part.partition(":")
        if not sep or not key.strip() or not val.strip():
            raise ImproperlyConfigured(f"{name} must look like KEY:VALUE,KEY:VALUE, not {part!r}")
        result[key.strip()] = val.strip()
    return result


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value
