"""Hand-picked hostile inputs on every operation of the schema (docs/api.md, "Fuzzing").

Random generation rarely produces the inputs that broke this API before (a NUL character, a
number too large for a float, a timestamp past UTC's last day, a body nested 100000 levels
deep), so each operation also gets all of them, derived from its schema: its example body with
one more field, each top-level field replaced, each path and query parameter replaced. Every
answer must be below 500, and an error must have the hasError body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.support.api import key_header, openapi, scope_of

DEEP = 100_000
BODIES = [
    "\x00",
    "[]",
    "null",
    '"text"',
    "[" * DEEP + "]" * DEEP,
    '{"a": ' * 40 + "1" + "}" * 40,
]
FIELD_VALUES = [  # as JSON text
    "null",
    "{}",
    "[]",
    "[null]",
    "true",
    '"\\u0000"',
    '"\\ud800"',
    json.dumps("x" * 300),
    "-1",
    str(2**64),
    "1e999",
    "[" * 40 + "]" * 40,
]
PARAMETER_VALUES = [
    "\x00",
    "%",
    "x" * 1000,
    "\U0001f600",
    "-1",
    str(2**64),
    "1e999",
    "NaN",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "",
]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: str | None

    def __str__(self) -> str:
        return f"{self.method} {self.path} {(self.body or '')[:80]!r}"


@cache
def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), operation)
        for path, methods in openapi()["paths"].items()
        for method, operation in methods.items()
    ]


def calls(path: str, method: str, operation: dict[str, Any]) -> Iterator[Call]:
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    values = {name: example(p) for name, p in parameters.items()}
    for name in parameters:
        for value in PARAMETER_VALUES:
            yield Call(method, url(path, parameters, {**values, name: value}), None)
    base = url(path, parameters, values)
    if "requestBody" not in operation:
        return
    body = json.dumps(request_example(operation))
    yield from (Call(method, base, hostile) for hostile in BODIES)
    for value in FIELD_VALUES:
        yield Call(method, base, f'{body[:-1]}, "fuzzNote": {value}}}')
        for field in json.loads(body):
            yield Call(method, base, replace(body, field, value))


def example(parameter: dict[str, Any]) -> str:
    examples = parameter.get("examples") or {}
    return str(next(iter(examples.values()))["value"]) if examples else "1"


def request_example(operation: dict[str, Any]) -> dict[str, Any]:
    examples = operation["requestBody"]["content"]["application/json"].get("examples") or {}
    return next(iter(examples.values()))["value"] if examples else {}


def url(path: str, parameters: dict[str, Any], values: dict[str, str]) -> str:
    query = {}
    for name, value in values.items():
        if parameters[name]["in"] == "path":
            path = path.replace(f"{{{name}}}", quote(value, safe=""))
        else:
            query[name] = value
    return f"{path}?{urlencode(query)}" if query else path


def replace(body: str, field: str, value: str) -> str:
    data = json.loads(body)
    data[field] = "__VALUE__"
    return json.dumps(data).replace('"__VALUE__"', value)


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    operations(),
    ids=[f"{method} {path}" for path, method, _ in operations()],
)
def test_it_answers_hostile_input_without_a_5xx_and_with_has_error(
    path: str, method: str, operation: dict[str, Any], seeded: None, keys: dict[str, str]
) -> None:
    client = APIClient(raise_request_exception=False)
    client.credentials(**{key_header(): keys[scope_of(path)]})
    failures = []
    for call in calls(path, method, operation):
        with transaction.atomic():
            body = call.body.encode() if call.body is not None else None
            response = client.generic(call.method, call.path, body or b"", "application/json")
            transaction.set_rollback(True)
        if response.status_code >= 500 or (response.status_code >= 400 and not has_error(response)):
            failures.append(f"{response.status_code} {call}: {response.content[:200]!r}")
    assert not failures, "\n".join(failures)


def has_error(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict) and body.get("hasError") is True and bool(body.get("errorMessage"))
    )
