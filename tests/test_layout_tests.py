"""How the tests share code: helpers are fixtures or live in ``tests/support/`` (the reliability
suite keeps its harness modules in ``tests/reliability/``). No file under tests/ imports a
``conftest`` module or a test module: pytest loads those itself, and an import loads them a second
time (and couples one test package to another's fixtures file)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module (and ``from`` name) a file imports."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module.rstrip('.')}.{alias.name}"


def forbidden(name: str) -> bool:
    parts = [p for p in name.split(".") if p]
    ours = name.startswith((".", "tests."))
    return "conftest" in parts or (ours and any(p.startswith("test_") for p in parts))


def test_no_test_file_imports_a_conftest_or_a_test_module() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50  # the scan sees the suite
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}: {name}"
        for path in files
        for line, name in imports(path)
        if forbidden(name)
    ]
    assert offenders == [], "import helpers from tests/support/ instead:\n" + "\n".join(offenders)


def test_the_check_sees_each_kind_of_import() -> None:
    assert forbidden("tests.conftest")
    assert forbidden("tests.returns.conftest.shipped_order")
    assert forbidden(".conftest")
    assert forbidden("..channel.admin.conftest")
    assert forbidden("tests.reliability.conftest")
    assert forbidden("tests.channel.services.test_sync.helper")
    assert not forbidden("tests.support.returns.shipped_order")
    assert not forbidden("tests.reliability.stage.Stage")
    assert not forbidden("django.test.Client")
