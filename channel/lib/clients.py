"""Who is calling: the client's address behind trusted proxies, and rates such as `20/min`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`20/min` -> (20, 60): how many in how many seconds (s, sec, m, min, h, hour, d, day)."""
    try:
        count, period = rate.strip().split("/")
        return int(count), PERIODS[period.strip().lower()[:1]]
    except (ValueError, KeyError):
        raise ValueError(f"{rate!r} is not a rate such as 20/min") from None


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item)


def _is_trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    meta: Mapping[str, Any], *, proxy_count: int = 0, trusted_proxies: Sequence[str] = ()
) -> str:
    """The address of the client that made the request.

    REMOTE_ADDR unless the deployment says a proxy in front sets X-Forwarded-For:
    - `trusted_proxies` (addresses or networks): when REMOTE_ADDR is one of them, the last
      address of X-Forwarded-For that is not a trusted proxy (each proxy appends the address it
      saw, so anything left of that may be forged by the client);
    - `proxy_count` N: the N-th address from the right of X-Forwarded-For.
    Without either the header is ignored: any client could write it.
    """
    remote = str(meta.get("REMOTE_ADDR") or "unknown")
    forwarded = [a.strip() for a in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [a for a in forwarded if a]
    if trusted_proxies:
        networks = _networks(tuple(trusted_proxies))
        if not _is_trusted(remote, networks):
            return remote
        for address in reversed(forwarded):
            if not _is_trusted(address, networks):
                return address
        return forwarded[0] if forwarded else remote
    if proxy_count > 0 and forwarded:
        return forwarded[-min(proxy_count, len(forwarded))]
    return remote
