"""docs/security.md's roles table is what the admin does (manage.py roles_table --write)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from channel.management.commands.roles_table import roles_table, with_table

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
pytestmark = pytest.mark.django_db


def test_the_roles_table_in_the_security_doc_matches_the_code() -> None:
    document = DOC.read_text()
    assert with_table(document, roles_table()) == document, (
        "run: manage.py roles_table --write docs/security.md"
    )


def test_the_table_shows_what_an_auditor_and_support_may_do() -> None:
    rows = {line.split(" | ")[0]: line for line in roles_table().splitlines()}
    api_keys = rows["| channel: api keys"].split(" | ")
    assert api_keys[1:] == [
        "view",
        "view",
        "view, add, change, delete, revert history; *Revoke selected keys* |",
    ]
    assert all(
        line.split(" | ")[1] in ("view", "auditor") for line in rows.values() if "---" not in line
    )


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("roles_table")
    assert capsys.readouterr().out == roles_table()
