"""What a log line concerns: the order code and the outbox operation id, carried in context
variables while a request or an operation runs, added to every record by `ContextFilter`, and
written by `JsonFormatter` (LOG_FORMAT=json) as one JSON object a line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

order_code: ContextVar[str | None] = ContextVar("order_code", default=None)
operation_id: ContextVar[int | None] = ContextVar("operation_id", default=None)


@contextmanager
def bound(*, order: str | None = None, operation: int | None = None) -> Iterator[None]:
    """Within the block, log lines name this order and operation (set later by `bind`)."""
    tokens = (order_code.set(order), operation_id.set(operation))
    try:
        yield
    finally:
        order_code.reset(tokens[0])
        operation_id.reset(tokens[1])


def bind_order(code: str) -> None:
    """From here to the end of the enclosing `bound` block, lines name this order."""
    order_code.set(code)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.order_code = order_code.get()
        record.operation_id = operation_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("order_code", "operation_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
