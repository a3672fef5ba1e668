"""How the support desk shows values to a person: one time format (UTC, seconds, zone shown), ages
in one unit style, JSON indented, addresses as addresses. Pure functions (no Django)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def utc_text(value: datetime | None) -> str:
    """`2026-12-02 04:26:49 UTC` (the format of every time in admin), or an empty string."""
    return "" if value is None else value.astimezone(UTC).strftime(TIME_FORMAT)


def age_text(seconds: float | None) -> str:
    """An age in one style: `24 s`, `5 min 3 s`, `2 h 5 min`, `3 d 4 h`; `never` for None."""
    if seconds is None:
        return "never"
    whole = max(0, int(seconds))
    minutes, secs = divmod(whole, 60)
    hours, mins = divmod(minutes, 60)
    days, hrs = divmod(hours, 24)
    if days:
        return f"{days} d {hrs} h"
    if hours:
        return f"{hours} h {mins} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def readable_value(value: Any, labels: dict[Any, Any] | None = None) -> str:
    """One value as a person reads it: a choice by its label, a time as `utc_text`, JSON compact,
    None and blanks as an em dash."""
    if value is None or value == "":
        return "—"
    if labels and value in labels:
        return str(labels[value])
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def pretty_json(value: Any) -> str:
    """JSON indented for reading; a string that holds JSON is parsed first (call bodies)."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return value.decode(errors="replace") if isinstance(value, bytes) else value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def json_summary(value: Any) -> str:
    """One line saying what a JSON value holds (the collapsed view)."""
    if isinstance(value, dict):
        keys = ", ".join(list(map(str, value))[:6])
        more = "…" if len(value) > 6 else ""
        return f"{{{len(value)} keys: {keys}{more}}}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    return str(value)[:80]


def _street(address: dict[str, Any]) -> list[str]:
    street = address.get("street") or []
    if isinstance(street, str):
        street = street.splitlines()
    lines = [str(line) for line in street if line]
    for key in ("line1", "line2", "line3"):
        if address.get(key):
            lines.append(str(address[key]))
    return lines


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """A Magento (or Omni) address as the lines of an envelope, then phone and e-mail."""
    if not address:
        return []
    name = address.get("name") or " ".join(
        str(p) for p in (address.get("firstname"), address.get("lastname")) if p
    )
    town = " ".join(
        str(p) for p in (address.get("postcode") or address.get("zip"), address.get("city")) if p
    )
    region = address.get("region") or address.get("state")
    if isinstance(region, dict):
        region = region.get("region")
    country = address.get("country_id") or address.get("country")
    phone = address.get("telephone") or address.get("phone")
    lines = [name, address.get("company"), *_street(address), town, region, country]
    lines += [f"☎ {phone}" if phone else None, address.get("email")]
    return [str(line) for line in lines if line]
