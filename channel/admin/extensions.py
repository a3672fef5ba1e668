"""What other apps add to channel's admin pages, registered from their AppConfig.ready()
(channel never imports them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Admin actions shown on the shipments list beside channel's own (e.g. returns' "mark RTO").
shipment_actions: list[Callable[..., Any]] = []


def add_shipment_action(action: Callable[..., Any]) -> None:
    if action not in shipment_actions:
        shipment_actions.append(action)
