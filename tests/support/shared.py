"""Where the shared reference material (`../shared`: spec, Adobe schema, samples) is.

`SHARED_DIR` in the environment names it; otherwise the first `shared` folder beside the repo or
beside any folder above it (a worktree checked out one level deeper still finds it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_candidates() -> list[Path]:
    configured = os.environ.get("SHARED_DIR", "")
    found = [Path(configured)] if configured else []
    return found + [parent / "shared" for parent in REPO.parents]


def shared_file(*parts: str) -> Path:
    """The shared file, or skip the test naming what is missing and where it was looked for."""
    for base in shared_candidates():
        candidate = base.joinpath(*parts)
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(base) for base in shared_candidates()[:3])
    pytest.skip(f"{'/'.join(parts)} not found under {looked} (set SHARED_DIR to the shared folder)")
