"""Intake throughput: N new Magento orders mirrored and pushed to Omni, end to end.

The fake Magento (``--magento-latency`` per call, pages of 100) and the fake Omni
(``--omni-latency`` per push) each run in a child process on loopback, as real servers would. The
proxy runs as in production on PostgreSQL: ``manage.py qcluster`` with ``Q_WORKERS=W`` (django-q2's
ORM broker in the same database, or Redis with ``--broker redis``) and one
``manage.py sync_magento`` process, started together. The clock runs from the start of the sync
until the fake Omni holds every order. Then it checks that Omni got exactly N orders with no
duplicate attempt, and that every push operation ran exactly once.

Target: at most 1.3 × N × omni_latency / W (what the Omni push latency alone allows W workers).
Memory: the sync's peak RSS (``ru_maxrss`` of the finished child) at most 300 MB.

    .venv/bin/python bench/intake.py [--orders 10000] [--workers 2] [--broker orm|redis]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


# --- the fakes, each in its own process ----------------------------------------------------------
def run_fake(
    kind: str, orders: int, latency: float, conn: Connection, history: tuple[int, int] = (2, 1)
) -> None:
    """Child process: one fake on loopback, answering ``stats`` / ``stop`` on ``conn``."""
    from simulators.base import serve

    sim = _fake_magento(orders, *history) if kind == "magento" else _fake_omni()
    sim.latency_seconds = latency
    with serve(sim) as server:
        conn.send(server.base_url)
        while True:
            message = conn.recv()
            if message == "stop":
                break
            conn.send(_stats(sim, kind))
    os._exit(0)  # skip inherited atexit handlers


def _fake_magento(orders: int, days_back: int, span_days: int) -> Any:
    """`orders` orders created from `days_back` days ago over `span_days` days."""
    from simulators.magento import MagentoSimulator
    from simulators.samples import random_lines, random_order_kwargs, seed_catalog

    sim = MagentoSimulator()
    sim.integration_tokens.add(common.MAGENTO_TOKEN)
    rng = random.Random(1)
    seed_catalog(sim, rng)
    when = datetime.now(UTC) - timedelta(days=days_back)
    step = timedelta(days=span_days) / orders
    for _ in range(orders):
        lines = random_lines(rng)
        while all(line.get("type") == "virtual" for line in lines):  # Omni gets every order
            lines = random_lines(rng)
        when += step if rng.random() > 0.05 else timedelta(0)  # some equal created_at
        sim.set_clock(when)
        sim.add_order(lines, **random_order_kwargs(rng, lines))
    sim.set_clock(datetime.now(UTC) - timedelta(hours=12))
    return sim


def _fake_omni() -> Any:
    from simulators.omni import OmniSimulator

    auth = common.OMNI_AUTH
    return OmniSimulator(
        auth_username=auth["username"], auth_password=auth["password"], auth_domain=auth["domain"]
    )


def _stats(sim: Any, kind: str) -> dict[str, Any]:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    stats: dict[str, Any] = {"cpu": cpu.ru_utime + cpu.ru_stime, "requests": len(sim.requests)}
    if kind == "omni":
        with sim.lock:
            stats["orders"] = len(sim.orders)
            stats["attempts"] = sum(sim.create_attempts.values())
            stats["duplicates"] = sum(max(0, n - 1) for n in sim.create_attempts.values())
    return stats


class Fake:
    def __init__(
        self, kind: str, orders: int, latency: float, history: tuple[int, int] = (2, 1)
    ) -> None:
        """`history`: the fake Magento's orders are created from this many days ago over this
        many days."""
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=run_fake, args=(kind, orders, latency, child, history), daemon=True
        )
        self.process.start()
        self.url: str = self.conn.recv()

    def stats(self) -> dict[str, Any]:
        self.conn.send("stats")
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(timeout=10)


# --- the run -------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS of the qcluster")
    parser.add_argument("--magento-latency", type=float, default=0.05)
    parser.add_argument("--omni-latency", type=float, default=0.02)
    parser.add_argument("--broker", choices=("orm", "redis"), default="orm")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", help="write a py-spy profile of the qcluster to this file")
    parser.add_argument("--profile-sync", help="write a py-spy profile of the sync to this file")
    common.quiet_option(parser)
    args = parser.parse_args()
    common.header("Intake throughput: Magento -> mirror -> Omni", args.wait_quiet)
    common.reset_database()
    common.setup_django()
    _no_schedules()
    from django.db import connection

    connection.close()  # the fakes are forked: no shared database socket
    print(f"seeding {args.orders} orders in the fake Magento ...", flush=True)
    magento = Fake("magento", args.orders, args.magento_latency)
    omni = Fake("omni", 0, args.omni_latency)
    env = common.base_env(
        MAGENTO_BASE_URL=f"{magento.url}/rest/default",
        OMNI_BASE_URL=omni.url,
        Q_WORKERS=str(args.workers),
        MAGENTO_PAGE_SIZE="100",
    )
    if args.broker == "redis":
        env["REDIS_URL"] = REDIS_URL
        _flush_redis()
    try:
        result = run(args, env, magento, omni)
    finally:
        magento.stop()
        omni.stop()
    report(args, result)


def _no_schedules() -> None:
    """The bench starts the sync itself; the every-minute schedules would start a second one."""
    from django_q.models import Schedule

    Schedule.objects.all().delete()


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def run(args: argparse.Namespace, env: dict[str, str], magento: Fake, omni: Fake) -> dict:
    cluster = subprocess.Popen(
        [common.PYTHON, "manage.py", "qcluster"], cwd=common.ROOT, env=env, start_new_session=True
    )
    try:
        time.sleep(3)  # the cluster's workers start
        before = {"magento": magento.stats(), "omni": omni.stats()}
        cluster_cpu = common.cpu_seconds(cluster.pid)
        started = time.monotonic()
        sync = subprocess.Popen(
            [common.PYTHON, "manage.py", "sync_magento"],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        backends = BackendCpu()
        with (
            common.profiled(cluster.pid, args.profile),
            common.profiled(sync.pid, args.profile_sync),
        ):
            sync_seconds, sync_rusage = None, None
            while time.monotonic() - started < args.timeout:
                backends.sample()
                if sync_seconds is None:
                    pid, status, usage = os.wait4(sync.pid, os.WNOHANG)
                    if pid:
                        sync.returncode = os.waitstatus_to_exitcode(status)
                        sync_seconds, sync_rusage = time.monotonic() - started, usage
                if omni.stats()["orders"] >= args.orders and sync_seconds is not None:
                    break
                time.sleep(0.2)
            wall = time.monotonic() - started
        cluster_cpu = common.cpu_seconds(cluster.pid) - cluster_cpu
        backends.sample()
        time.sleep(2)  # any straggler attempt would show now
        after = {"magento": magento.stats(), "omni": omni.stats()}
    finally:
        common.stop(cluster)
    output = sync.stdout.read() if sync.stdout else ""
    return {
        "wall": wall,
        "sync_seconds": sync_seconds,
        "sync_rusage": sync_rusage,
        "sync_output": output.strip(),
        "cluster_cpu": cluster_cpu,
        "postgres_cpu": backends.total(),
        "before": before,
        "after": after,
        "operations": _operations(),
    }


class BackendCpu:
    """CPU used by the PostgreSQL backends serving the benchmark database (sampled each second:
    a backend's last sample before it exits counts)."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[float, float]] = {}
        self.last = 0.0

    def sample(self) -> None:
        if time.monotonic() - self.last < 1:
            return
        self.last = time.monotonic()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            used = common.cpu_seconds(pid)
            first = self.seen.get(pid, (used, used))[0]
            self.seen[pid] = (first, used)

    def total(self) -> float:
        return sum(last - first for first, last in self.seen.values())


def _operations() -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from channel.models import Operation, OperationAttempt, Order
    from channel.services.orders import PUSH_ORDER

    connection.close()
    pushes = Operation.objects.filter(kind=PUSH_ORDER)
    states = dict(pushes.values_list("state").annotate(n=Count("pk")))
    return {
        "orders": Order.objects.count(),
        "push operations": pushes.count(),
        "push attempts": OperationAttempt.objects.filter(operation__kind=PUSH_ORDER).count(),
        **{f"push {state}": n for state, n in states.items()},
    }


def report(args: argparse.Namespace, result: dict) -> None:
    target = 1.3 * args.orders * args.omni_latency / args.workers
    omni = result["after"]["omni"]
    magento = result["after"]["magento"]
    usage = result["sync_rusage"]
    print(f"orders: {args.orders}; W = {args.workers} qcluster workers; broker: {args.broker}")
    print(
        f"fake Magento {args.magento_latency * 1000:.0f} ms/call (pages of 100), "
        f"fake Omni {args.omni_latency * 1000:.0f} ms/push"
    )
    print(f"sync: {result['sync_output']}")
    print(f"sync finished after {result['sync_seconds']:.1f} s")
    print(
        f"every order at Omni after {result['wall']:.1f} s "
        f"(target {target:.1f} s = 1.3 x {args.orders} x {args.omni_latency * 1000:.0f} ms "
        f"/ {args.workers}): {'MET' if result['wall'] <= target else 'MISSED'}"
    )
    print(f"throughput: {args.orders / result['wall']:.0f} orders/s")
    print(
        f"Omni: {omni['orders']} orders, {omni['attempts']} create calls, "
        f"{omni['duplicates']} duplicate attempts"
    )
    print(f"mirror: {result['operations']}")
    if usage is not None:
        print(
            f"sync peak RSS: {usage.ru_maxrss / 1024:.0f} MB (goal <= 300 MB); "
            f"sync CPU {usage.ru_utime + usage.ru_stime:.1f} s"
        )
    print(f"qcluster CPU (all its processes): {result['cluster_cpu']:.1f} s")
    print(f"PostgreSQL CPU (backends of the benchmark database): {result['postgres_cpu']:.1f} s")
    fake_cpu = (
        magento["cpu"]
        - result["before"]["magento"]["cpu"]
        + omni["cpu"]
        - result["before"]["omni"]["cpu"]
    )
    print(
        f"fakes' CPU (Magento + Omni processes): {fake_cpu:.1f} s; Magento calls: "
        f"{magento['requests'] - result['before']['magento']['requests']}"
    )
    print(f"load average at the end: {common.load_average()}")


if __name__ == "__main__":
    main()
