"""Shared by bench/multiworker.py and bench/soak.py: a fresh scratch PostgreSQL database, and this
process's Django configured on it (the proxy's processes, started by tests/reliability/stage.py,
share it)."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SCRATCH_PREFIX = ("proxy_bench", "bench_")


def fresh_database(url: str) -> None:
    """Drop and create the database of `url` (only scratch databases named proxy_bench*)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(SCRATCH_PREFIX):
        raise SystemExit(f"refusing to wipe {name!r}: its name must start with {SCRATCH_PREFIX}")
    server = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    """Point this process at `url`, set Django up and migrate."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    cpu = platform.processor() or platform.machine()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL "
        f"{version}, load average {load}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
