"""API keys: random, shown once, stored as SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

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


def api_key_check(raw: str) -> ApiKey | None:
    """The active key matching `raw`, or None."""
    if not raw or len(raw) > 200:
        return None
    digest = hash_key(raw)
    for candidate in ApiKey.objects.filter(prefix=raw[:PREFIX_LENGTH]):
        if hmac.compare_digest(candidate.key_hash, digest) and candidate.is_active:
            return candidate
    return None


def api_key_note_use(key: ApiKey) -> None:
    """Note when the key was last used (at most once a minute: not a write per request)."""
    if key.last_used_at is None or (timezone.now() - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


def api_key_revoke(key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
