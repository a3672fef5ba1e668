"""API keys: random, shown once, stored as SHA-256, compared in constant time.

A key found valid is remembered by this process for `API_KEY_CACHE_SECONDS` (by its SHA-256, never
the raw key), so a request does not read the key table every time. Saving or deleting a key
(revocation, a new scope or expiry in admin) forgets every remembered key in the process that
saves it; another process (gunicorn worker) notices within `API_KEY_CACHE_SECONDS`. Expiry is
checked on every request, from the remembered row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from channel.models import ApiKey, ApiKeyScope

PREFIX_LENGTH = 8


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *, name: str, scope: str = ApiKeyScope.OMNI, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key; the raw key is returned once and never stored."""
    raw = "omp_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        scope=scope,
        prefix=raw[:PREFIX_LENGTH],
        key_hash=hash_key(raw),
        expires_at=expires_at,
    )
    return key, raw


_remembered: dict[str, tuple[float, ApiKey]] = {}  # SHA-256 → (monotonic time found, key)
_remembered_lock = threading.Lock()


def api_key_check(raw: str) -> ApiKey | None:
    """The active key matching `raw`, or None."""
    if not raw or len(raw) > 200:
        return None
    digest = hash_key(raw)
    key = _recalled(digest)
    if key is None:
        key = _looked_up(raw, digest)
    return key if key is not None and key.is_active else None


def _recalled(digest: str) -> ApiKey | None:
    entry = _remembered.get(digest)
    if entry is None or time.monotonic() - entry[0] > settings.API_KEY_CACHE_SECONDS:
        return None
    return entry[1]


def _looked_up(raw: str, digest: str) -> ApiKey | None:
    for candidate in ApiKey.objects.filter(prefix=raw[:PREFIX_LENGTH]):
        if hmac.compare_digest(candidate.key_hash, digest):
            if candidate.is_active and settings.API_KEY_CACHE_SECONDS > 0:
                with _remembered_lock:
                    _remembered[digest] = (time.monotonic(), candidate)
            return candidate
    return None


def api_keys_forget(**kwargs: object) -> None:
    """Forget every remembered key (a key was saved or deleted: connected in ChannelConfig)."""
    with _remembered_lock:
        _remembered.clear()


def api_key_note_use(key: ApiKey) -> None:
    """Note when the key was last used (at most once a minute: not a write per request)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now  # the remembered row too


def api_key_revoke(key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
