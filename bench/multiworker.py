"""Several machines' worth: N orders through several web and worker processes, then the proof.

Starts the fake Magento and fake Omni on loopback, `--webs` gunicorn processes and `--workers`
`manage.py qcluster` processes (PostgreSQL, Redis as broker), adds `--orders` orders to the fake
Magento and plays Omni with `--threads` concurrent calls spread over the web processes: intake →
push → acknowledge → pack → invoice → label → handover, exactly as tests/reliability does.
Then it checks that every order reached Omni once, every shipment was invoiced once and shipped
once in Magento, every order is `complete` there and no operation failed, and prints figures:
wall time, orders/s, operations per process, Omni's answer times. Exits 1 when inconsistent.

    .venv/bin/python bench/multiworker.py [--orders 1000] [--webs 2] [--workers 2] [--threads 8]
        [--database-url postgres://postgres@127.0.0.1:5432/proxy_bench_multiworker]
        [--redis-url redis://127.0.0.1:6379/13] [--q-workers 3]

The database of --database-url is dropped and created again (its name must start with
proxy_bench or bench_). `--omni-latency 0.2` makes every push wait 200 ms at Omni (goal 5 of
issue 20: 4 worker processes against 2). Without --redis-url the workers use the ORM broker
(the database).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from reliability_setup import fresh_database, machine, setup_django


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="Omni's calls at once")
    parser.add_argument("--q-workers", default="3", help="Q_WORKERS of each qcluster")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proxy_bench_multiworker"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--omni-latency", type=float, default=0.0, help="seconds the fake Omni takes per call"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="give up after (seconds)")
    return parser.parse_args()


def main() -> int:
    args = parse()
    fresh_database(args.database_url)
    setup_django(args.database_url)

    from channel.models import CallRecord, Operation, OperationAttempt
    from tests.reliability import flows
    from tests.reliability.stage import attempts_by_process, stage_up

    log_dir = Path(tempfile.mkdtemp(prefix="bench-multiworker-"))
    started = time.monotonic()
    stage = stage_up(
        database_url=args.database_url,
        log_dir=log_dir,
        webs=args.webs,
        workers=args.workers,
        redis_url=args.redis_url,
        cluster_name=f"bench-{uuid.uuid4().hex[:8]}",
        extra={"Q_WORKERS": args.q_workers},
    )
    stage.fakes.omni.latency_seconds = args.omni_latency
    try:
        up = time.monotonic() - started
        drive = flows.drive(
            stage,
            args.orders,
            rng=random.Random(args.seed),
            threads=args.threads,
            timeout=args.timeout,
        )
        report = stage.check()
        by_process = attempts_by_process(stage.proxy)
    finally:
        stage.stop()

    latencies = sorted(stage.driver.latencies)
    kinds = Counter(Operation.objects.values_list("kind", flat=True))
    broker = "Redis" if args.redis_url else "the ORM broker"
    print(f"multiworker: {machine()}")
    print(
        f"{args.webs} web (gunicorn, 2 workers × 4 threads) + {args.workers} worker (qcluster, "
        f"Q_WORKERS={args.q_workers}) processes, PostgreSQL + {broker}; Omni: {args.threads} "
        f"calls at once; fake Omni answers in {args.omni_latency * 1000:.0f} ms; "
        f"processes up in {up:.1f} s; logs in {log_dir}"
    )
    print(
        f"{args.orders} orders: {drive.seconds:.1f} s from the first order in Magento to the "
        f"last operation done = {args.orders / drive.seconds:.1f} orders/s"
    )
    per_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    print(
        f"operations: {sum(kinds.values())} ({per_kind}); "
        f"attempts {OperationAttempt.objects.count()}"
    )
    print("attempts per process: " + ", ".join(f"{k} {n}" for k, n in sorted(by_process.items())))
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"Omni's calls: {len(latencies)}, answer time median "
        f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; "
        f"non-2xx answers {dict(sorted(stage.driver.errors.items()))} (repeated, as Omni does)"
    )
    print(
        f"calls recorded: {CallRecord.objects.filter(system='magento').count()} to Magento, "
        f"{CallRecord.objects.filter(system='omni', direction='out').count()} to Omni"
    )
    if drive.errors:
        print(f"driver errors: {drive.errors[:10]}")
    print(f"check: {report}")
    return 1 if report.problems or drive.errors else 0


if __name__ == "__main__":
    sys.exit(main())
