"""The test setup itself: skips say why, the shared reference material is found wherever it is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.support.shared import REPO, shared_file


def test_pytest_prints_skip_reasons() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "-rs" in config["tool"]["pytest"]["ini_options"]["addopts"].split()


def test_shared_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = tmp_path / "reference" / "schema.yaml"
    schema.parent.mkdir()
    schema.write_text("x: 1")
    monkeypatch.setenv("SHARED_DIR", str(tmp_path))
    assert shared_file("reference", "schema.yaml") == schema


def test_missing_shared_file_skips_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARED_DIR", str(tmp_path))
    with pytest.raises(pytest.skip.Exception) as skipped:
        shared_file("reference", "nowhere.yaml")
    assert "reference/nowhere.yaml not found under " + str(tmp_path) in str(skipped.value)
    assert "SHARED_DIR" in str(skipped.value)
