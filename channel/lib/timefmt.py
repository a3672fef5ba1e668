"""Time formats: Magento speaks UTC `YYYY-MM-DD HH:MM:SS`; Omni gets ISO 8601 with millis, UTC."""

from __future__ import annotations

from datetime import UTC, datetime

MAGENTO_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_magento(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value[:19], MAGENTO_FORMAT).replace(tzinfo=UTC)


def to_magento(value: datetime) -> str:
    return value.astimezone(UTC).strftime(MAGENTO_FORMAT)


def to_omni(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def parse_iso(value: str) -> datetime:
    """Any ISO 8601 timestamp; one without offset is UTC. Raises ValueError."""
    text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
