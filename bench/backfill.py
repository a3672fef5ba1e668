"""Backfill throughput: N historical Magento orders taken by ``sync_magento --backfill``.

The fake Magento (``--magento-latency`` per call) is seeded with N orders created over the year
before go-live; the fake Omni answers every push after ``--omni-latency``. Both run in child
processes on loopback. The proxy runs as in production on PostgreSQL: ``manage.py qcluster`` with
``Q_WORKERS=W`` (the backfill queues its pushes on the outbox like the intake does: chunks of
``OUTBOX_TASK_CHUNK`` operations per django-q task) and one ``manage.py sync_magento --backfill
--since 2000-01-01`` process, whose progress lines are shown as they come. The clock runs from the
start of the backfill until the fake Omni holds every order; then it checks that Omni got exactly
N orders with no duplicate attempt.

Goal: at most 1.3 × N × omni_latency / W; the backfill's peak RSS (``ru_maxrss``) ≤ 300 MB.

    .venv/bin/python bench/backfill.py [--orders 10000] [--workers 2] [--omni-latency 0.05]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.intake import BackendCpu, Fake, _no_schedules, _operations

DAYS_BACK = 400  # the oldest order; the newest is DAYS_BACK - 365 days before now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS of the qcluster")
    parser.add_argument("--magento-latency", type=float, default=0.05)
    parser.add_argument("--omni-latency", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--every", type=int, default=10, help="show every n-th progress line")
    common.quiet_option(parser)
    args = parser.parse_args()
    common.header(
        "Backfill throughput: historical Magento orders -> mirror -> Omni", args.wait_quiet
    )
    common.reset_database()
    common.setup_django()
    _no_schedules()
    from django.db import connection

    connection.close()  # the fakes are forked: no shared database socket
    print(f"seeding {args.orders} historical orders in the fake Magento ...", flush=True)
    magento = Fake("magento", args.orders, args.magento_latency, history=(DAYS_BACK, 365))
    omni = Fake("omni", 0, args.omni_latency)
    env = common.base_env(
        MAGENTO_BASE_URL=f"{magento.url}/rest/default",
        OMNI_BASE_URL=omni.url,
        Q_WORKERS=str(args.workers),
        MAGENTO_PAGE_SIZE="100",
    )
    try:
        result = run(args, env, omni)
    finally:
        magento.stop()
        omni.stop()
    report(args, result)


def _show(stream: Any, every: int, lines: list[str]) -> None:
    """Print every n-th progress line of the backfill as it comes (all are kept)."""
    for count, line in enumerate(stream, 1):
        lines.append(line.rstrip())
        if count % every == 1 or not line.startswith("read "):
            print(f"  [{time.strftime('%H:%M:%S')}] {line.rstrip()[:200]}", flush=True)


def run(args: argparse.Namespace, env: dict[str, str], omni: Fake) -> dict:
    cluster = subprocess.Popen(
        [common.PYTHON, "manage.py", "qcluster"], cwd=common.ROOT, env=env, start_new_session=True
    )
    lines: list[str] = []
    try:
        time.sleep(3)  # the cluster's workers start
        before = omni.stats()
        cluster_cpu = common.cpu_seconds(cluster.pid)
        started = time.monotonic()
        command = [common.PYTHON, "manage.py", "sync_magento", "--backfill"]
        backfill = subprocess.Popen(
            [*command, "--since", "2000-01-01 00:00:00"],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        reader = threading.Thread(target=_show, args=(backfill.stdout, args.every, lines))
        reader.start()
        backends = BackendCpu()
        done_seconds, usage, last = None, None, 0.0
        while time.monotonic() - started < args.timeout:
            backends.sample()
            if done_seconds is None:
                pid, status, rusage = os.wait4(backfill.pid, os.WNOHANG)
                if pid:
                    backfill.returncode = os.waitstatus_to_exitcode(status)
                    done_seconds, usage = time.monotonic() - started, rusage
            at_omni = omni.stats()["orders"]
            if time.monotonic() - last > 30:
                last = time.monotonic()
                print(
                    f"  [{time.strftime('%H:%M:%S')}] at Omni: {at_omni}; "
                    f"load {common.load_average()}",
                    flush=True,
                )
            if at_omni >= args.orders and done_seconds is not None:
                break
            time.sleep(0.2)
        wall = time.monotonic() - started
        cluster_cpu = common.cpu_seconds(cluster.pid) - cluster_cpu
        backends.sample()
        time.sleep(2)  # any straggler attempt would show now
        after = omni.stats()
    finally:
        common.stop(cluster)
    reader.join(timeout=10)
    return {
        "wall": wall,
        "backfill_seconds": done_seconds,
        "usage": usage,
        "returncode": backfill.returncode,
        "progress_lines": sum(1 for line in lines if line.startswith("read ")),
        "cluster_cpu": cluster_cpu,
        "postgres_cpu": backends.total(),
        "omni_before": before,
        "omni": after,
        "operations": _operations(),
    }


def report(args: argparse.Namespace, result: dict) -> None:
    bound = args.orders * args.omni_latency / args.workers
    omni = result["omni"]
    usage = result["usage"]
    ratio = result["wall"] / bound
    print(f"orders: {args.orders}; W = {args.workers} qcluster workers")
    print(
        f"fake Magento {args.magento_latency * 1000:.0f} ms/call (pages of 100), "
        f"fake Omni {args.omni_latency * 1000:.0f} ms/push"
    )
    print(f"backfill exit code {result['returncode']}, {result['progress_lines']} progress lines")
    if result["backfill_seconds"] is not None:
        print(f"backfill command finished after {result['backfill_seconds']:.1f} s")
    print(
        f"every order at Omni after {result['wall']:.1f} s; bound {args.orders} x "
        f"{args.omni_latency * 1000:.0f} ms / {args.workers} = {bound:.1f} s; ratio {ratio:.2f} "
        f"(goal <= 1.3): {'MET' if ratio <= 1.3 else 'MISSED'}"
    )
    print(f"throughput: {args.orders / result['wall']:.1f} orders/s")
    print(
        f"Omni: {omni['orders']} orders, {omni['attempts']} create calls, "
        f"{omni['duplicates']} duplicate attempts"
    )
    print(f"mirror: {result['operations']}")
    if usage is not None:
        rss = usage.ru_maxrss / 1024
        verdict = "MET" if rss <= 300 else "MISSED"
        cpu = usage.ru_utime + usage.ru_stime
        print(f"backfill peak RSS: {rss:.0f} MB (goal <= 300 MB: {verdict}); CPU {cpu:.1f} s")
    print(f"qcluster CPU (all its processes): {result['cluster_cpu']:.1f} s")
    print(f"PostgreSQL CPU (backends of the benchmark database): {result['postgres_cpu']:.1f} s")
    print(f"load average at the end: {common.load_average()}")


if __name__ == "__main__":
    main()
