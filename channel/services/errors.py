"""Domain errors: refusals a caller can act on, each with a readable message.

Services raise these, never an HTTP error. The API answers each kind with its status code in one
place (`channel.api.errors`); admin actions show the message to the person who clicked.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal; `errors` maps field paths to messages when the request had several faults."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidRequest(DomainError):
    """The request itself is wrong (a field, a quantity, an unknown SKU of the order)."""


class Forbidden(DomainError):
    """The caller may not do this (e.g. a document link that is not valid)."""


class NotFound(DomainError):
    """What the request names does not exist (an order, shipment, manifest, return)."""


class Conflict(DomainError):
    """The request does not fit the current state or configuration (a cancelled order, an AWB
    on another shipment, no courier configured)."""


class Unavailable(DomainError):
    """Magento (or Omni) could not answer in time; the same request may succeed later."""
