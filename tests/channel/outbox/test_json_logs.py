"""LOG_FORMAT=json: one JSON object a line, naming the order and the operation a line concerns."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from channel import outbox
from channel.integrations.magento import MagentoError
from channel.lib.logcontext import ContextFilter, JsonFormatter, bound
from channel.models import Flow, Operation
from channel.services.orders import order_upsert
from tests.support import magento_orders as mo


@outbox.register("test.logs.refused", flow=Flow.PUSH)
def refused(operation: Operation) -> dict:
    raise MagentoError("Magento said no")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_names_what_it_concerns_and_only_then(json_lines: io.StringIO) -> None:
    log = logging.getLogger("test.logs")
    with bound(order="000000100", operation=7):
        log.warning("about one order")
    log.warning("about nothing in particular")
    first, second = _lines(json_lines)
    assert (first["order_code"], first["operation_id"], first["level"]) == (
        "000000100",
        7,
        "WARNING",
    )
    assert first["message"] == "about one order" and first["time"].endswith("+00:00")
    assert "order_code" not in second and "operation_id" not in second


@pytest.mark.django_db
def test_an_operation_s_log_lines_name_it_and_its_order(json_lines: io.StringIO) -> None:
    order = order_upsert(raw=mo.order(100)).order
    operation = outbox.enqueue("test.logs.refused", key="logs-1", order=order)
    outbox.run_operation(operation.pk)
    lines = [line for line in _lines(json_lines) if line["logger"] == "channel.outbox.runner"]
    assert lines, "the failure is logged"
    assert all(line["operation_id"] == operation.pk for line in lines)
    assert all(line["order_code"] == order.order_code for line in lines)


def test_log_format_json_is_a_setting() -> None:
    code = "import logging, django; django.setup(); logging.getLogger('x').warning('hello')"
    env = {**os.environ, "LOG_FORMAT": "json", "SECRET_KEY": "x"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stderr.strip().splitlines()[-1])["message"] == "hello"
