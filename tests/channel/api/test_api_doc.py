"""docs/api.md lists every operation of the API's schema, each with a curl example."""

from __future__ import annotations

import re
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

DOC = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text()


def _operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path, operation["operationId"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_is_listed_with_a_curl_example() -> None:
    operations = _operations()
    assert len(operations) >= 17
    for method, path, operation_id in operations:
        shown = re.sub(r"\{(\w+)\}", lambda m: "{" + _camel(m.group(1)) + "}", path)
        assert f"`{method} {shown}`" in DOC or f"{method} {shown}`" in DOC, (method, path)
        assert f"# {operation_id}" in DOC or f", {operation_id}" in DOC, operation_id
        pattern = "".join(
            r"[^/\"? ]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{\w+\})", path)
        )
        assert re.search(r"curl .*\$PROXY" + pattern + r"[\"?]", DOC), (method, path)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)
