"""What other apps add to channel's admin pages, registered from their AppConfig.ready()
(channel never imports them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Admin actions shown on the shipments list beside channel's own (e.g. returns' "mark RTO").
shipment_actions: list[Callable[..., Any]] = []


# Inlines shown on the order page after channel's own (e.g. returns' list of the order's returns).
order_inlines: list[type[Any]] = []


def add_order_inline(inline: type[Any]) -> None:
    if inline not in order_inlines:
        order_inlines.append(inline)


def add_shipment_action(action: Callable[..., Any]) -> None:
    if action not in shipment_actions:
        shipment_actions.append(action)
