"""Soak: the whole flow for N minutes under random faults, then the consistency check.

Starts the fake Magento and fake Omni on loopback and the proxy's real processes (`--webs`
gunicorn, `--workers` qcluster; PostgreSQL; Magento in admin-token mode). Round after round it adds
orders to Magento and plays Omni (intake, push, acknowledge, pack, invoice, label, handover), pushes
inventory and creates returns, while a chaos thread driven by a seeded RNG injects faults: Magento
5xx / lost answers / unanswered requests / refused connections on a random endpoint, Omni 5xx /
lost answers, admin-token expiry, SIGKILL of a gunicorn worker (its master starts another) and
SIGKILL of a whole qcluster (started again a few seconds later). At the end the faults stop, the
outbox settles and the check runs: every order at Omni once, one invoice and one Magento shipment
per shipment, every order complete, every return at Omni once, Magento's stock equal to Omni's
latest, no operation failed. Prints what it processed, the failures it recovered from and the
check; exits 1 when inconsistent.

    .venv/bin/python bench/soak.py --minutes 5 [--seed 1] [--orders-per-round 12]
        [--database-url postgres://postgres@127.0.0.1:5432/proxy_bench_soak] [--redis-url URL]

The database of --database-url is dropped and created again (its name must start with
proxy_bench). Without --redis-url the workers use the ORM broker (the database).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from reliability_setup import fresh_database, machine, setup_django

MAGENTO_ENDPOINTS = [
    ("GET", r"/V1/orders$"),
    ("GET", r"/V1/orders/\d+$"),
    ("POST", r"/V1/orders/\d+/comments$"),
    ("POST", r"/V1/order/\d+/invoice$"),
    ("GET", r"/V1/invoices"),
    ("POST", r"/V1/order/\d+/ship$"),
    ("GET", r"/V1/shipments"),
    ("PUT", r"/stockItems/"),
    ("GET", r"/V1/stockItems/"),
]
MAGENTO_WRITES = [e for e in MAGENTO_ENDPOINTS if e[0] != "GET"]
OMNI_ENDPOINTS = [("POST", r"/orders/outward$"), ("POST", r"/return/return-orders$")]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders-per-round", type=int, default=12)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=6, help="Omni's calls at once")
    parser.add_argument("--fault-every", type=float, default=1.5, help="mean seconds between")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proxy_bench_soak"
    )
    parser.add_argument("--redis-url", default="")
    return parser.parse_args()


class Chaos(threading.Thread):
    """Injects one random fault every `every` seconds on average until stopped."""

    def __init__(self, stage: Any, rng: random.Random, every: float) -> None:
        super().__init__(name="chaos", daemon=True)
        self.stage = stage
        self.rng = rng
        self.every = every
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()  # held while a worker is down and being restarted

    def run(self) -> None:
        while not self.stopping.wait(self.rng.expovariate(1 / self.every)):
            try:
                self.one()
            except Exception as exc:  # a failed restart must not end the soak silently
                self.counts[f"chaos error: {exc!r}"[:120]] += 1

    def one(self) -> None:
        magento, omni, rng = self.stage.magento, self.stage.omni, self.rng
        roll = rng.random()
        if roll < 0.25:
            method, path = rng.choice(MAGENTO_ENDPOINTS)
            magento.inject(method, path, "status", times=rng.randint(1, 3), status=503)
            self.counts["Magento 503"] += 1
        elif roll < 0.45:
            method, path = rng.choice(MAGENTO_WRITES)
            magento.inject(method, path, "timeout_after")
            self.counts["Magento lost answer (applied, answer lost)"] += 1
        elif roll < 0.52:
            method, path = rng.choice(MAGENTO_ENDPOINTS)
            magento.inject(method, path, rng.choice(["timeout_before", "reset"]))
            self.counts["Magento unanswered / refused connection"] += 1
        elif roll < 0.65:
            method, path = rng.choice(OMNI_ENDPOINTS)
            omni.inject(method, path, "status", times=rng.randint(1, 2), status=503)
            self.counts["Omni 503"] += 1
        elif roll < 0.75:
            method, path = rng.choice(OMNI_ENDPOINTS)
            omni.inject(method, path, "timeout_after")
            self.counts["Omni lost answer (applied, answer lost)"] += 1
        elif roll < 0.86:
            magento.expire_tokens()
            self.counts["Magento admin token expired"] += 1
        elif roll < 0.93:
            web = rng.choice([n for n in self.stage.proxy.processes if n.startswith("web")])
            if self.stage.proxy.kill_child(web, rng.choice):
                self.counts["web worker killed mid-request (SIGKILL)"] += 1
        else:
            self.kill_a_worker()

    def kill_a_worker(self) -> None:
        with self.lock:
            name = self.rng.choice(self.stage.workers)
            self.stage.proxy.kill(name, signal.SIGKILL)
            self.counts["worker killed (SIGKILL)"] += 1
            time.sleep(self.rng.uniform(1, 4))
            self.stage.restart_worker(name)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=120)


def one_round(stage: Any, rng: random.Random, args: argparse.Namespace, n: int) -> dict:
    from tests.reliability import flows
    from tests.reliability.harness import until

    drive = flows.drive(
        stage,
        args.orders_per_round,
        rng=rng,
        threads=args.threads,
        first_shipment_id=1_000_000 + n * 1000,
        timeout=600,
        step_timeout=180,
    )
    skus = rng.sample(flows.CATALOG, 6)
    stock = until(
        lambda: stage.driver.inventory({sku: rng.randint(0, 50) for sku in skus}),
        lambda a: a.status == 200,
        timeout=60,
        what="inventory push",
    )
    returned = 0
    for done in rng.sample(drive.fulfilled, min(2, len(drive.fulfilled))):
        line = stage.omni.orders[done.order_code]["orderItems"][0]
        item = {"channelSkuCode": line["channelSkuCode"], "quantity": 1, "reason": "Soak"}
        code = f"R-{done.order_code}-1"
        until(
            lambda done=done, code=code, item=item: stage.driver.create_return(
                done.order_code, code, [item]
            ),
            lambda a: a.status in (200, 201),
            timeout=60,
            what=f"return {code}",
        )
        returned += 1
    return {
        "orders": len(drive.fulfilled),
        "errors": drive.errors,
        "stock failures": len(stock.body["failureList"]),
        "returns": returned,
        "seconds": drive.seconds,
    }


def main() -> int:
    args = parse()
    fresh_database(args.database_url)
    setup_django(args.database_url)

    from channel.models import Operation, OperationAttempt
    from tests.reliability import flows
    from tests.reliability.stage import stage_up

    log_dir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    rng = random.Random(args.seed)
    stage = stage_up(
        database_url=args.database_url,
        log_dir=log_dir,
        webs=args.webs,
        workers=args.workers,
        auth_mode="admin",
        redis_url=args.redis_url,
        cluster_name=f"soak-{uuid.uuid4().hex[:8]}",
    )
    for sku in flows.CATALOG:  # Omni pushes stock of SKUs Magento knows
        stage.magento.add_product(sku, qty=100)
    print(f"soak: {args.minutes:g} min, seed {args.seed}; {machine()}; logs in {log_dir}")
    chaos = Chaos(stage, random.Random(rng.random()), args.fault_every)
    totals: Counter[str] = Counter()
    errors: list[str] = []
    started = time.monotonic()
    try:
        chaos.start()
        n = 0
        while time.monotonic() - started < args.minutes * 60:
            n += 1
            result = one_round(stage, rng, args, n)
            errors += result.pop("errors")
            totals.update({k: v for k, v in result.items() if k != "seconds"})
            print(
                f"  round {n}: {result['orders']} orders in {result['seconds']:.0f} s, "
                f"{result['returns']} returns; faults so far {sum(chaos.counts.values())}",
                flush=True,
            )
        chaos.stop()
        stage.magento.clear_faults()
        stage.omni.clear_faults()
        for name in stage.workers:
            if not stage.proxy.alive(name):
                stage.restart_worker(name)
        stage.proxy.kick_sweep()
        stage.settle(300)
        report = stage.check()
        magento = stage.magento
        tokens = len(magento.calls("POST", r"/V1/integration/admin/token$"))
    finally:
        chaos.stopping.set()
        stage.stop()

    attempts = Counter(OperationAttempt.objects.values_list("outcome", flat=True))
    read_back = Operation.objects.filter(result__readBack=True).count()
    elapsed = (time.monotonic() - started) / 60
    print(
        f"processed in {elapsed:.1f} min: {totals['orders']} orders (each: intake, push, ack, "
        f"pack, invoice, label, handover), {n} inventory pushes ({totals['stock failures']} "
        f"SKUs answered as failures, then retried), {totals['returns']} returns"
    )
    print("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(chaos.counts.items())))
    print(
        f"recovered: {attempts.get('transient', 0)} operation attempts failed transiently and "
        f"were retried; {read_back} operations found their effect already done (read back); "
        f"{sum(stage.driver.errors.values())} of Omni's calls answered an error or nothing and "
        f"were repeated {dict(sorted(stage.driver.errors.items()))}; {tokens} admin tokens "
        f"fetched; slowest answer to Omni {stage.driver.slowest:.1f} s"
    )
    if errors:
        print(f"driver errors: {errors[:10]}")
    print(f"check: {report}")
    return 1 if report.problems or errors else 0


if __name__ == "__main__":
    sys.exit(main())
