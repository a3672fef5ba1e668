"""Typed environment helpers fail loudly on bad values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_it_reads_booleans_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "yes")
    assert env.env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false, not 'maybe'"):
        env.env_bool("FLAG", False)


def test_it_refuses_a_number_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="WORKERS must be at least 1, not 0"):
        env.env_int("WORKERS", 2, minimum=1)


def test_it_reads_a_secret_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("MAGENTO_TOKEN_FILE", str(secret))
    assert env.env_secret("MAGENTO_TOKEN") == "s3cret"


def test_it_says_which_secret_file_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGENTO_TOKEN_FILE", "/nonexistent/token")
    with pytest.raises(ImproperlyConfigured, match="MAGENTO_TOKEN_FILE"):
        env.env_secret("MAGENTO_TOKEN")


def test_it_parses_a_location_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAP", "WH1:src_a, WH2:src_b")
    assert env.env_map("MAP") == {"WH1": "src_a", "WH2": "src_b"}
    monkeypatch.setenv("MAP", "WH1")
    with pytest.raises(ImproperlyConfigured, match="KEY:VALUE"):
        env.env_map("MAP")


def test_it_accepts_only_listed_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGENTO_AUTH_MODE", "basic")
    with pytest.raises(ImproperlyConfigured, match="bearer, oauth1, admin"):
        env.env_choice("MAGENTO_AUTH_MODE", "bearer", ("bearer", "oauth1", "admin"))


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is false" in result.stderr
