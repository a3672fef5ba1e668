"""What runs an operation: a handler per kind (service modules register theirs; the apps'
ready() imports them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channel.models import (
    ErrorClass,
    Operation,
)


class OperationError(Exception):
    """Raised by a handler to stop with a readable reason."""

    def __init__(self, message: str, error_class: str = ErrorClass.PERMANENT) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class


class Retry(OperationError):
    """A handler asks to be run again later (e.g. waiting for another operation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorClass.TRANSIENT)


@dataclass(frozen=True)
class Done:
    """What a handler may return instead of its result dict: `record` makes the handler's own
    writes (e.g. "pushed at", an audit entry) in the transaction that marks the operation done."""

    result: dict[str, Any]
    record: Callable[[], None] | None = None


Handler = Callable[[Operation], "Done | dict[str, Any] | None"]
ReadBack = Callable[[Operation], dict[str, Any] | None]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    flow: str
    read_back: ReadBack | None = None
    lines: bool = False  # the handler reads the order's lines (loaded with a batch's operations)
    # The handler only calls out (no database; its writes go in Done.record): in a chunk, its
    # call overlaps the previous operation's commit (`run_operations`).
    pipelined: bool = False


_registry: dict[str, Registration] = {}


def register(
    kind: str,
    *,
    flow: str,
    read_back: ReadBack | None = None,
    lines: bool = False,
    pipelined: bool = False,
) -> Callable:
    def decorator(func: Handler) -> Handler:
        _registry[kind] = Registration(func, flow, read_back, lines, pipelined)
        return func

    return decorator


def registration(kind: str) -> Registration:
    return _registry[kind]


def kinds_of_flows(flows: set[str]) -> list[str]:
    return [kind for kind, reg in _registry.items() if reg.flow in flows]
