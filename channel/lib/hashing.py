"""A stable hash of JSON-like content (idempotency keys, "same request?" checks)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(content: Any) -> str:
    """SHA-256 hex of `content` as canonical JSON (sorted keys; other values as their str())."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
