"""Fixtures of the reliability suite: a whole proxy (real processes) per test, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.stage import Stage, database_url, stage_up


@pytest.fixture
def stage_factory(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Stage]]:
    """Start a proxy on stage (fakes + processes); everything is stopped after the test."""
    stages: list[Stage] = []

    def make(**options: Any) -> Stage:
        stage = stage_up(database_url=database_url(), log_dir=tmp_path / "logs", **options)
        stages.append(stage)
        return stage

    try:
        yield make
    finally:
        for stage in stages:
            stage.stop()
