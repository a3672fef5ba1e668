"""Shared plumbing for the benchmark scripts (not used by the proxy itself).

Every script runs as ``.venv/bin/python bench/<name>.py``: it puts the project on ``sys.path``,
points Django at a dedicated benchmark database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/proxy_perf_bench``), and talks to the loopback fake Magento and
fake Omni from ``channel.simulators``. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Not proxy_bench: bench/soak.py and bench/multiworker.py drop and create that one.
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/proxy_perf_bench"
MAGENTO_TOKEN = "bench-integration-token"
OMNI_AUTH = {"username": "bench-user", "password": "bench-pass", "domain": "bench"}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def base_env(**extra: str) -> dict[str, str]:
    """The environment of the proxy's processes in a benchmark (production settings)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "MAGENTO_AUTH_MODE": "bearer",
        "MAGENTO_TOKEN": MAGENTO_TOKEN,
        "OMNI_AUTH_USERNAME": OMNI_AUTH["username"],
        "OMNI_AUTH_PASSWORD": OMNI_AUTH["password"],
        "OMNI_AUTH_DOMAIN": OMNI_AUTH["domain"],
        # The fake shop's orders are older than the bench database's go-live moment (its first
        # migrate): take them all, as a backfill would.
        "SYNC_START": os.environ.get("SYNC_START", "2000-01-01 00:00:00"),
    }
    env.update(extra)
    return env


def setup_django(**extra: str) -> None:
    """Configure this process like the proxy's and call ``django.setup()``."""
    os.environ.update({k: v for k, v in base_env(**extra).items() if k not in ("PATH",)})
    import django

    django.setup()


def reset_database(url: str | None = None) -> None:
    """Drop and create the benchmark database (PostgreSQL only), then migrate it."""
    url = url or database_url()
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme.startswith("postgres"):
        import psycopg

        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=base_env(DATABASE_URL=url),
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def process(args: list[str], env: dict[str, str], **kwargs: object) -> Iterator[subprocess.Popen]:
    """Run a child process (in its own process group) for the duration of the block."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the child's process group (it started it), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 1, threads: int = 1) -> Iterator[Server]:
    """The proxy's web process (gunicorn); yields its base URL. `threads` > 1: gunicorn's gthread
    workers, as `scripts/run` starts them (`--threads 4`), which keep a client's connection open
    between requests; 1: sync workers, a new connection per request."""
    port = free_port()
    args = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    with process(args, env) as proc:
        wait_for_port(port)
        yield Server(f"http://127.0.0.1:{port}", proc.pid)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue += [int(child) for child in task.read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@contextmanager
def profiled(pid: int | None, path: str | None) -> Iterator[None]:
    """Sample ``pid`` (and its children) with py-spy while the block runs, if ``path`` is set.

    ``.txt`` writes collapsed stacks (one line per stack with its sample count; read them with
    ``bench/hotspots.py``); any other name writes a speedscope JSON file (speedscope.app)."""
    if not path or pid is None:
        yield
        return
    fmt = "raw" if path.endswith(".txt") else "speedscope"
    args = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--pid", str(pid), "--subprocesses"]
    args += ["--rate", "250", "--format", fmt, "--output", path, "--nonblocking"]
    log = open(f"{path}.log", "w")
    spy = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(1)  # let py-spy attach before the measured work starts
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        spy.wait(timeout=60)
        log.close()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


def machine() -> str:
    """One line about this machine: cores (nproc), CPU model, Python, PostgreSQL."""
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (
        f"{cores} cores (nproc), {cpu_model()}, "
        f"Python {platform.python_version()}, {postgres_version()}"
    )


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else what `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def postgres_version() -> str:
    url = database_url()
    if not url.startswith("postgres"):
        return "SQLite"
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0].split()[0] if row else '?'}"


def header(title: str, wait_quiet: float | None = None) -> None:
    wait_for_quiet(wait_quiet)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# {title}")
    print(f"# {now}; {machine()}")
    print(f"# command: .venv/bin/python {' '.join(sys.argv)}")
    print(f"# load average at start: {load_average()}")


def wait_for_quiet(max_load: float | None, timeout: float = 900) -> None:
    """Wait (at most ``timeout`` s) until the 1-minute load average is below ``max_load``:
    on a shared machine, other work on the same cores skews every figure."""
    if max_load is None:
        return
    deadline = time.monotonic() + timeout
    while float(load_average().split()[0]) >= max_load and time.monotonic() < deadline:
        time.sleep(10)


def quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-quiet",
        type=float,
        metavar="LOAD",
        help="first wait (up to 15 min) until the 1-minute load average is below LOAD",
    )


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on the same cores skews every figure."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
