"""Load: mixed Omni traffic against gunicorn + PostgreSQL, with the outbox draining behind it.

Starts, on loopback, the whole production shape and drives it the way Omni's warehouse does:

* a fake Magento and a fake Omni (`channel.simulators`, served by `simulators.base.serve`)
  in a child process, answering every call after a random 20-50 ms (`--latency`), Magento seeded
  with `--orders` sample orders (`seed_magento`) plus `--skus` products for the inventory pushes;
* a fresh PostgreSQL database (`--database-url`, dropped and created), migrated, with an API key,
  warehouse WH1 and a courier AWB series (`demo_data`), filled by `manage.py sync_magento`;
* `manage.py qcluster` (the outbox worker, `--q-workers` processes) on the same database; the
  bench waits until it has pushed every synced order to the fake Omni before the load starts;
* gunicorn with the production settings (DEBUG=false, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1;
  SECURE_SSL_REDIRECT=false only because the load is plain HTTP on loopback), `--workers` x
  `--threads` (gthread);
* `--users` client threads for `--duration` seconds, sending `--rate` requests/s between them
  (Poisson arrivals; fewer when every client is waiting for an answer; `--rate 0`: closed loop).
  Each request is, by the `--mix` weights, one step of an order (acknowledge -> pack -> invoice ->
  shipping label -> handover, in that order per order, about `--in-flight` orders interleaved), a
  page of the order list, an order's detail (refreshed from Magento), or an inventory push of
  50-200 SKUs that exist in the fake Magento (one push at a time, like Omni's inventory job).

Then it stops the clients, times how long the outbox takes to drain (every invoice created and
every shipment shipped in Magento), and prints requests/s, latency p50/p95/p99 per endpoint and
overall, errors (any non-2xx except the expected ones: 409 "invoice pending" from POST /invoices
while the worker is creating that invoice, after which the step is repeated), the CPU time each
component used (everything shares this machine's cores, and so does whatever else runs on it), and
the outbox drain time. Exits 1 when an endpoint's p99 >= 1 s, an error happened, an operation
failed, or the outbox did not drain.

    .venv/bin/python bench/load.py                       # 5 minutes (defaults)
    .venv/bin/python bench/load.py --duration 30 --orders 1500   # a smoke run
    .venv/bin/python bench/load.py --profile /tmp/profile  # plus py-spy profiles of web and worker

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust). The client is plain http.client:
it shares the CPU with everything else, which the figures show.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_model  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")
MAGENTO_TOKEN = "load-integration-token"
OMNI_USER, OMNI_PASSWORD, OMNI_DOMAIN = "load", "load-password", "load"
LOCATION = "WH1"
SEED_SPACING_MAX = 900  # seconds between seeded orders at most (simulators.samples)
STEPS = ("ack", "pack", "invoice", "label", "handover")
ENDPOINTS = {
    "list": "GET /orders",
    "detail": "GET /orders/{code}",
    "ack": "PUT /orders/acknowledge",
    "pack": "POST /shipments/pack",
    "invoice": "POST /invoices",
    "label": "GET /shipping-label",
    "handover": "POST /handover",
    "inventory": "PUT /inventory",
}
DEFAULT_MIX = "step=70,list=8,detail=18,inventory=4"
INVENTORY_SENDER = threading.Lock()


# --- the simulators' process ----------------------------------------------------------------------
def load_skus(count: int) -> list[str]:
    return [f"LOAD-{n:04d}" for n in range(count)]


def _jitter(sim: Any, low: float, high: float) -> None:
    """Answer every request after a random delay in [low, high] (outside the simulator's lock)."""
    handle = sim.handle
    rng = random.Random()

    def delayed(*args: Any, delay: bool = True, **kwargs: Any) -> Any:
        if delay:
            time.sleep(rng.uniform(low, high))
        return handle(*args, delay=False, **kwargs)

    sim.handle = delayed


def serve_simulators(args: argparse.Namespace, start: datetime, conn: Connection) -> None:
    """Child process: seed and serve the fake Magento and Omni until the parent says stop."""
    from simulators.base import serve
    from simulators.magento import MagentoSimulator
    from simulators.omni import OmniSimulator
    from simulators.samples import seed_magento

    magento = MagentoSimulator()
    magento.integration_tokens.add(MAGENTO_TOKEN)
    omni = OmniSimulator(
        auth_username=OMNI_USER, auth_password=OMNI_PASSWORD, auth_domain=OMNI_DOMAIN
    )
    seed_magento(magento, args.orders, seed=args.seed, start=start)
    for sku in load_skus(args.skus):
        magento.add_product(sku, qty=100)
    low, high = args.latency
    _jitter(magento, low, high)
    _jitter(omni, low, high)
    with serve(magento) as m, serve(omni) as o:
        conn.send((f"{m.base_url}/rest/default", o.base_url))
        conn.recv()
        conn.send(
            {
                "magento_requests": len(magento.requests),
                "omni_orders": len(omni.orders),
                "magento_errors": [repr(e) for e in magento.internal_errors[:5]],
                "omni_errors": [repr(e) for e in omni.internal_errors[:5]],
            }
        )
    os._exit(0)


# --- processes we start ---------------------------------------------------------------------------
@dataclass
class Stack:
    args: argparse.Namespace
    scratch: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    sim: multiprocessing.Process | None = None
    sim_conn: Connection | None = None

    def manage(self, *command: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.scratch / f"{name}.log", "ab")  # closed when the process ends
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends its children too
        )
        self.procs[name] = proc
        return proc

    def stop(self) -> dict[str, Any]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in 30 s; killing it", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        summary: dict[str, Any] = {}
        if self.sim is not None and self.sim_conn is not None:
            with contextlib.suppress(OSError, EOFError):
                self.sim_conn.send("stop")
                if self.sim_conn.poll(10):
                    summary = self.sim_conn.recv()
            self.sim.join(timeout=10)
        return summary


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = db_name(url)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def proxy_env(args: argparse.Namespace, scratch: Path, magento: str, omni: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=args.database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; production terminates TLS
        PROXY_VAR_DIR=str(scratch),
        LOG_LEVEL="WARNING",
        MAGENTO_BASE_URL=magento,
        MAGENTO_AUTH_MODE="bearer",
        MAGENTO_TOKEN=MAGENTO_TOKEN,
        MAGENTO_STOCK_MODE=args.stock_mode,
        OMNI_BASE_URL=omni,
        OMNI_AUTH_USERNAME=OMNI_USER,
        OMNI_AUTH_PASSWORD=OMNI_PASSWORD,
        OMNI_AUTH_DOMAIN=OMNI_DOMAIN,
        Q_WORKERS=str(args.q_workers),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{args.port}",
        SELLER_NAME="Load Test Fashion Pvt Ltd",
        SELLER_ADDRESS_LINE1="Gala 14, Rajlaxmi Logistics Park",
        SELLER_CITY="Bhiwandi",
        SELLER_STATE="Maharashtra",
        SELLER_ZIP="421302",
        SELLER_GSTIN="27AABCD1234E1Z5",
    )
    if args.stock_mode == "msi":
        env["MAGENTO_SOURCE_MAP"] = f"{LOCATION}:default"
    env.update(args.proxy_env)
    return env


def parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


# --- the database, read by the bench --------------------------------------------------------------
def db_counts(url: str, sql: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {str(k): int(v) for k, v in conn.execute(sql).fetchall()}


def open_operations(url: str) -> int:
    counts = db_counts(
        url,
        "SELECT state, count(*) FROM channel_operation "
        "WHERE state IN ('pending', 'running') GROUP BY state",
    )
    return sum(counts.values())


def wait_for_drain(url: str, timeout: float, label: str) -> float | None:
    """Seconds until no operation is pending or running; None on timeout."""
    started = time.monotonic()
    last_report = started
    while time.monotonic() - started < timeout:
        left = open_operations(url)
        if left == 0:
            return time.monotonic() - started
        if time.monotonic() - last_report > 15:
            print(f"  {label}: {left} operations open after {time.monotonic() - started:.0f} s")
            last_report = time.monotonic()
        time.sleep(0.25)
    return None


# --- CPU accounting (everything shares the machine) -----------------------------------------------
def _proc_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (ppid, name, cpu seconds) for every process we can read."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / ticks)
    return table


def _ours_or_shared(pid: int, database: str) -> bool:
    """A PostgreSQL backend of our database, or one of the server's own processes (WAL writer,
    checkpointer, ...); not the backends of other databases on the same server."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    client = re.search(r" (\S+) (\S+) (?:[\d.:a-f]+\(\d+\)|\[local\])", title)
    return client is None or client.group(2) == database


def cpu_snapshot(roots: dict[str, int], database: str) -> dict[str, dict[int, float]]:
    """CPU seconds per pid of each named process tree, of PostgreSQL (our database's backends and
    the server's own processes), and of this bench."""
    table = _proc_table()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        children[ppid].append(pid)
    result: dict[str, dict[int, float]] = {}
    for name, root in roots.items():
        result[name], stack = {}, [root]
        while stack:
            pid = stack.pop()
            if pid in table:
                result[name][pid] = table[pid][2]
                stack.extend(children[pid])
    result["postgresql"] = {
        pid: cpu
        for pid, (_, name, cpu) in table.items()
        if name.startswith("postgres") and _ours_or_shared(pid, database)
    }
    own = os.times()
    result["load generator"] = {os.getpid(): own.user + own.system}
    return result


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict:
    """CPU seconds per component between two snapshots (processes that ended are not counted)."""
    return {
        name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
        for name, pids in after.items()
    }


# --- the Omni client ------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP connection per client thread."""

    IDLE_SECONDS = 1.0  # gunicorn closes idle keep-alive connections after 2 s

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.headers = {"X-Api-Key": key, "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """(status, parsed body or text, seconds); status 0 when the connection failed."""
        if self.conn is not None and time.monotonic() - self.last_used > self.IDLE_SECONDS:
            self.close()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = None if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return 0, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
        elapsed = time.perf_counter() - started
        self.last_used = time.monotonic()
        if response.will_close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:300].decode("utf-8", "replace")
        return response.status, parsed, elapsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- recording ------------------------------------------------------------------------------------
@dataclass
class Sample:
    endpoint: str
    seconds: float
    status: int
    outcome: str  # ok | expected | error
    at: float


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.errors: Counter[str] = Counter()
        self.error_examples: dict[str, str] = {}
        self.notes: Counter[str] = Counter()

    def add(self, endpoint: str, status: int, seconds: float, body: Any, expected: bool) -> str:
        outcome = "ok" if 200 <= status < 300 else "expected" if expected else "error"
        with self.lock:
            self.samples.append(Sample(endpoint, seconds, status, outcome, time.monotonic()))
            if outcome == "error":
                key = f"{endpoint} {status}"
                self.errors[key] += 1
                self.error_examples.setdefault(key, str(body)[:300])
        return outcome

    def note(self, what: str) -> None:
        with self.lock:
            self.notes[what] += 1


# --- Omni's warehouse: one state machine per order ------------------------------------------------
@dataclass
class OrderJob:
    code: str
    items: list[dict[str, Any]]
    step: str = "ack"
    shipment_code: str = ""
    awb: str = ""


class Warehouse:
    """Orders waiting (fresh) and in progress; a client thread owns a job while it works on it."""

    def __init__(self, jobs: list[OrderJob], in_flight: int) -> None:
        self.lock = threading.Lock()
        self.fresh = deque(jobs)
        self.ready: deque[OrderJob] = deque()
        self.in_flight = in_flight
        self.busy = 0
        self.done = 0
        self.shipment_ids = iter(range(7_000_000_001, 8_000_000_000))

    def take(self) -> OrderJob | None:
        with self.lock:
            if self.fresh and len(self.ready) + self.busy < self.in_flight:
                job = self.fresh.popleft()
            elif self.ready:
                job = self.ready.popleft()
            elif self.fresh:
                job = self.fresh.popleft()
            else:
                return None
            self.busy += 1
            return job

    def give_back(self, job: OrderJob) -> None:
        with self.lock:
            self.busy -= 1
            if job.step == "done":
                self.done += 1
            else:
                self.ready.append(job)

    def next_shipment_id(self) -> int:
        with self.lock:
            return next(self.shipment_ids)


@dataclass
class Omni:
    client: Client
    recorder: Recorder
    warehouse: Warehouse
    order_codes: list[str]
    list_pages: int
    skus: list[str]
    rng: random.Random

    def request(
        self, what: str, method: str, path: str, body: Any = None, expect: Any = None
    ) -> tuple[str, Any]:
        status, answer, seconds = self.client.call(method, path, body)
        expected = expect is not None and expect(status, answer)
        return self.recorder.add(ENDPOINTS[what], status, seconds, answer, expected), answer

    # reads
    def list_orders(self) -> None:
        query = urlencode({"page": self.rng.randint(1, self.list_pages), "pageSize": 50})
        self.request("list", "GET", f"/api/omni/orders?{query}")

    def order_detail(self) -> None:
        self.request("detail", "GET", f"/api/omni/orders/{self.rng.choice(self.order_codes)}")

    def inventory(self) -> None:
        """One push at a time, like Omni's inventory job; a client finding it busy reads a page."""
        if not INVENTORY_SENDER.acquire(blocking=False):
            self.list_orders()
            return
        try:
            self._push_inventory()
        finally:
            INVENTORY_SENDER.release()

    def _push_inventory(self) -> None:
        chosen = self.rng.sample(self.skus, self.rng.randint(50, min(200, len(self.skus))))
        lines = [{"channelSkuCode": s, "quantity": self.rng.randint(0, 500)} for s in chosen]
        outcome, answer = self.request(
            "inventory",
            "PUT",
            "/api/omni/inventory",
            {"locationCode": LOCATION, "inventories": lines},
        )
        if outcome == "ok" and answer.get("failureList"):
            self.recorder.note(f"inventory SKUs in failureList: {len(answer['failureList'])}")

    # one step of one order
    def advance(self) -> None:
        job = self.warehouse.take()
        if job is None:
            self.recorder.note("no order left to advance (seed more with --orders)")
            self.order_detail()
            return
        try:
            getattr(self, f"step_{job.step}")(job)
        finally:
            self.warehouse.give_back(job)

    def step_ack(self, job: OrderJob) -> None:
        outcome, answer = self.request(
            "ack",
            "PUT",
            "/api/omni/orders/acknowledge",
            {
                "orders": [{"locationCode": LOCATION, "orderCode": job.code}],
                "consolidationType": "NONE",
            },
        )
        if outcome != "ok":
            return
        if any(o.get("orderCode") == job.code for o in answer.get("successOrders", [])):
            job.step = "pack"
        else:
            self.recorder.note("acknowledge left the order out (asked again)")

    def step_pack(self, job: OrderJob) -> None:
        items = [
            {
                "channelSkuCode": i["channelSkuCode"],
                "orderItemCode": i["orderItemCode"],
                "quantityToPack": i["quantity"],
            }
            for i in job.items
        ]
        outcome, answer = self.request(
            "pack",
            "POST",
            "/api/omni/shipments/pack",
            {
                "orderCode": job.code,
                "locationCode": LOCATION,
                "shipmentId": self.warehouse.next_shipment_id(),
                "weight": self.rng.randint(200, 5000),
                "dimensions": {"length": 30, "breadth": 20, "height": 10},
                "shipmentItems": items,
            },
        )
        if outcome == "ok":
            job.shipment_code = answer["shipmentCode"]
            job.step = "invoice"

    def step_invoice(self, job: OrderJob) -> None:
        outcome, _ = self.request(
            "invoice",
            "POST",
            "/api/omni/invoices",
            {"orderCode": job.code, "shipmentCode": job.shipment_code},
            expect=invoice_pending,
        )
        if outcome == "ok":
            job.step = "label"
        elif outcome == "expected":
            self.recorder.note("invoice pending (409, asked again later)")

    def step_label(self, job: OrderJob) -> None:
        query = urlencode({"orderCode": job.code, "shipmentCode": job.shipment_code})
        outcome, answer = self.request("label", "GET", f"/api/omni/shipping-label?{query}")
        if outcome == "ok":
            job.awb = answer["awbNumber"]
            job.step = "handover"

    def step_handover(self, job: OrderJob) -> None:
        outcome, _ = self.request(
            "handover",
            "POST",
            "/api/omni/handover",
            {
                "locationCode": LOCATION,
                "handoverItems": [
                    {
                        "orderCode": job.code,
                        "shipmentCode": job.shipment_code,
                        "gatePassCode": f"GP-{job.code}",
                        "packBoxDetailsList": [{"boxId": 1, "awbNumber": job.awb}],
                    }
                ],
            },
        )
        if outcome == "ok":
            job.step = "done"


def invoice_pending(status: int, answer: Any) -> bool:
    """409 'pending': the worker is creating this invoice right now; Omni asks again."""
    message = answer.get("errorMessage", "") if isinstance(answer, dict) else ""
    return status == 409 and "pending" in message


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in ("step", "list", "detail", "inventory"):
            raise argparse.ArgumentTypeError(f"unknown mix entry {name!r}")
        mix[name.strip()] = float(weight)
    return mix


class Pacer:
    """Hands out send times `1/rate` apart (randomised), shared by all clients: an open-loop
    offered rate, capped by the number of clients when the server falls behind. rate 0: none."""

    def __init__(self, rate: float, start: float) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self.next_at = start
        self.lock = threading.Lock()
        self.rng = random.Random(7)

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            self.next_at = max(self.next_at, now - self.interval)  # no bursts to catch up
            self.next_at += self.rng.expovariate(1 / self.interval)
            at = self.next_at
        time.sleep(max(0.0, at - time.monotonic()))


def client_loop(omni: Omni, mix: dict[str, float], stop_at: float, pacer: Pacer) -> None:
    actions = {
        "step": omni.advance,
        "list": omni.list_orders,
        "detail": omni.order_detail,
        "inventory": omni.inventory,
    }
    names = list(mix)
    weights = [mix[n] for n in names]
    try:
        while True:
            pacer.wait()
            if time.monotonic() >= stop_at:
                return
            actions[omni.rng.choices(names, weights)[0]]()
    finally:
        omni.client.close()


# --- setup ----------------------------------------------------------------------------------------
def fetch_open_orders(port: int, key: str) -> tuple[list[OrderJob], int]:
    """Every pending, not held order with items (Omni's list), and the list's page count."""
    client = Client(port, key)
    jobs, page, total = [], 1, 0
    while True:
        query = urlencode({"status": "pending", "page": page, "pageSize": 200})
        status, body, _ = client.call("GET", f"/api/omni/orders?{query}")
        if status != 200:
            raise SystemExit(f"order list answered {status}: {body}")
        for order in body["orders"]:
            if order["orderItems"] and not order["onHold"]:
                jobs.append(OrderJob(order["orderCode"], order["orderItems"]))
        if not body["orders"]:
            break
        page += 1
    status, body, _ = client.call("GET", "/api/omni/orders?pageSize=50")
    total = body["totalCount"]
    client.close()
    return jobs, max(1, -(-total // 50))


def start_profiles(
    stack: Stack, folder: Path, seconds: float, targets: dict[str, subprocess.Popen]
) -> None:
    """py-spy on each process tree for the load's duration: samples of the thread holding the GIL
    (Python CPU time, not waits), as collapsed stacks."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, proc in targets.items():
        stack.start(
            f"py-spy-{name}",
            [
                PY_SPY, "record", "--pid", str(proc.pid), "--subprocesses", "--nonblocking",
                "--gil", "--rate", "50", "--duration", str(int(seconds)), "--format", "raw",
                "--output", str(folder / f"{name}.txt"),
            ],
        )  # fmt: skip


def profile_summary(path: Path, top: int = 15) -> list[str]:
    """The proxy's functions (channel/*) with the largest share of a profile's samples."""
    total, inclusive = 0, Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        names = {
            frame.rsplit(":", 1)[0] + ")"
            for frame in stack.split(";")
            if "(channel/" in frame or "(returns/" in frame
        }
        for name in names:
            inclusive[name] += int(count)
    return [f"{n / total * 100:5.1f}%  {name}" for name, n in inclusive.most_common(top)]


def wait_for_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


# --- figures --------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


def figures(samples: list[Sample], seconds: float) -> list[dict[str, Any]]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[s.endpoint].append(s)
    rows = []
    for name in [*ENDPOINTS.values(), "overall"]:
        group = samples if name == "overall" else groups.get(name, [])
        if not group:
            continue
        times = sorted(s.seconds for s in group)
        outcomes = Counter(s.outcome for s in group)
        rows.append(
            {
                "endpoint": name,
                "requests": len(group),
                "rps": len(group) / seconds,
                "p50_ms": percentile(times, 50) * 1000,
                "p95_ms": percentile(times, 95) * 1000,
                "p99_ms": percentile(times, 99) * 1000,
                "max_ms": times[-1] * 1000,
                "errors": outcomes["error"],
                "expected": outcomes["expected"],
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'endpoint':26} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'expected':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['endpoint']:26} {r['requests']:8d} {r['rps']:7.1f} {r['p50_ms']:8.0f} "
            f"{r['p95_ms']:8.0f} {r['p99_ms']:8.0f} {r['max_ms']:8.0f} {r['errors']:7d} "
            f"{r['expected']:9d}"
        )


def describe_machine() -> str:
    return (
        f"nproc {os.cpu_count()} ({cpu_model()}), Python {platform.python_version()}, "
        f"load average before the run {os.getloadavg()[0]:.2f}"
    )


# --- main -----------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--users", type=int, default=16, help="client threads")
    parser.add_argument(
        "--rate",
        type=float,
        default=15.0,
        help="offered requests/s (Poisson arrivals); 0: each client sends its next request as soon "
        "as the last one is answered (closed loop)",
    )
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX))
    parser.add_argument("--in-flight", type=int, default=40, help="orders worked on at once")
    parser.add_argument("--orders", type=int, default=3000, help="orders seeded in Magento")
    parser.add_argument("--skus", type=int, default=1000, help="products for inventory pushes")
    parser.add_argument(
        "--latency",
        type=lambda t: tuple(float(x) / 1000 for x in t.split("-")),
        default=(0.020, 0.050),
        help="fake Magento/Omni answer time range in ms, e.g. 20-50",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--q-workers", type=int, default=2, help="qcluster worker processes")
    parser.add_argument("--stock-mode", choices=("legacy", "msi"), default="legacy")
    parser.add_argument(
        "--proxy-env",
        type=parse_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the proxy's processes (repeatable), e.g. INVENTORY_CONCURRENCY=16",
    )
    parser.add_argument("--port", type=int, default=8870)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/proxy_load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record py-spy profiles (collapsed stacks) of gunicorn and qcluster into this folder",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-load-"))
    print(f"load bench: {describe_machine()}; logs in {scratch}")
    started_at = datetime.now(UTC)
    seed_start = started_at - timedelta(seconds=args.orders * SEED_SPACING_MAX, days=3)
    recreate_database(args.database_url)

    stack = Stack(args, scratch)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    stack.sim = ctx.Process(target=serve_simulators, args=(args, seed_start, child), daemon=True)
    stack.sim_conn = parent
    t0 = time.monotonic()
    stack.sim.start()
    try:
        magento_url, omni_url = parent.recv()
        print(f"simulators up ({args.orders} orders seeded) in {time.monotonic() - t0:.1f} s")
        stack.env = proxy_env(args, scratch, magento_url, omni_url)
        stack.env["SYNC_START"] = (seed_start - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
        return run(args, stack)
    finally:
        summary = stack.stop()
        if summary.get("magento_errors") or summary.get("omni_errors"):
            print(f"simulator internal errors: {summary}")


def run(args: argparse.Namespace, stack: Stack) -> int:
    t0 = time.monotonic()
    stack.manage("migrate", "--noinput", "-v0")
    key = stack.manage("create_api_key", "load").strip().splitlines()[-1]
    stack.manage("demo_data")
    print(f"migrated, key and AWB series made in {time.monotonic() - t0:.1f} s")
    t0 = time.monotonic()
    print(f"sync_magento: {stack.manage('sync_magento').strip()} in {time.monotonic() - t0:.1f} s")
    qcluster = stack.start("qcluster", [PYTHON, "manage.py", "qcluster"])
    drained = wait_for_drain(args.database_url, args.drain_timeout, "order pushes")
    if drained is None:
        raise SystemExit("the order pushes to Omni did not drain before the load")
    print(f"outbox drained the order pushes to Omni in {drained:.1f} s")

    gunicorn_cmd = [
        GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{args.port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--timeout", "60", "--access-logfile", str(stack.scratch / "access.log"),
    ]  # fmt: skip
    gunicorn = stack.start("gunicorn", gunicorn_cmd)
    wait_for_http(args.port)
    jobs, list_pages = fetch_open_orders(args.port, key)
    rng = random.Random(args.seed)
    rng.shuffle(jobs)
    codes = [j.code for j in jobs]
    print(f"{len(jobs)} pending orders to work through; order list has {list_pages} pages of 50")

    recorder = Recorder()
    warehouse = Warehouse(jobs, args.in_flight)
    skus = load_skus(args.skus)
    roots = {
        "gunicorn": gunicorn.pid,
        "qcluster": qcluster.pid,
        "simulators": stack.sim.pid if stack.sim else 0,
    }
    cpu_before = cpu_snapshot(roots, db_name(args.database_url))
    busy_before = machine_busy_seconds()
    load_before = os.getloadavg()
    print(
        f"load: {args.users} users, offered rate {args.rate or 'unlimited'}/s, for "
        f"{args.duration:.0f} s; gunicorn {args.workers} workers x "
        f"{args.threads} threads; qcluster {args.q_workers} workers; stock mode {args.stock_mode}"
        + "".join(f"; {name}={value}" for name, value in args.proxy_env)
    )
    if args.profile:
        targets = {"gunicorn": gunicorn, "qcluster": qcluster}
        start_profiles(stack, args.profile, args.duration, targets)
    started = time.monotonic()
    stop_at = started + args.duration
    pacer = Pacer(args.rate, started)
    threads = [
        threading.Thread(
            target=client_loop,
            args=(
                Omni(
                    Client(args.port, key),
                    recorder,
                    warehouse,
                    codes,
                    list_pages,
                    skus,
                    random.Random(args.seed * 1000 + n),
                ),
                args.mix,
                stop_at,
                pacer,
            ),
            name=f"user-{n}",
        )
        for n in range(args.users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu_after = cpu_snapshot(roots, db_name(args.database_url))
    busy = machine_busy_seconds() - busy_before
    load_after = os.getloadavg()

    print("load over; waiting for the outbox to drain ...")
    backlog = open_operations(args.database_url)
    drain = wait_for_drain(args.database_url, args.drain_timeout, "outbox")
    rows = figures(recorder.samples, elapsed)
    ops = db_counts(
        args.database_url,
        "SELECT kind || ' ' || state, count(*) FROM channel_operation GROUP BY 1 ORDER BY 1",
    )
    shipments = db_counts(
        args.database_url, "SELECT state, count(*) FROM channel_shipment GROUP BY 1"
    )
    invoices = db_counts(
        args.database_url, "SELECT state, count(*) FROM channel_invoice GROUP BY 1"
    )

    print()
    print(
        f"== {elapsed:.0f} s of load, {args.users} users, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"load average 1 min {load_before[0]:.2f} -> {load_after[0]:.2f}"
    )
    print_table(rows)
    print(
        f"orders handed over: {warehouse.done}; orders in progress at the end: "
        f"{warehouse.busy + len(warehouse.ready)}; fresh orders left: {len(warehouse.fresh)}"
    )
    for what, count in sorted(recorder.notes.items()):
        print(f"note: {what}: {count}")
    for what, count in recorder.errors.most_common():
        print(f"ERROR {what}: {count}, e.g. {recorder.error_examples[what]}")
    cpu = cpu_used(cpu_before, cpu_after)
    cpu["other processes"] = max(0.0, busy - sum(cpu.values()))
    print(
        f"CPU seconds used during the load ({elapsed * (os.cpu_count() or 1):.0f} available, "
        f"{busy:.0f} used): " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
    )
    drain_text = f"{drain:.1f} s" if drain is not None else f"NOT within {args.drain_timeout:.0f} s"
    print(f"outbox: {backlog} operations open when the load stopped; drained in {drain_text}")
    print("operations: " + ", ".join(f"{k} {v}" for k, v in ops.items()))
    print(f"shipments: {shipments}; invoices: {invoices}")
    if args.profile:
        for name in ("gunicorn", "qcluster"):
            with contextlib.suppress(subprocess.TimeoutExpired):
                stack.procs[f"py-spy-{name}"].wait(timeout=60)
            report = args.profile / f"{name}.txt"
            if report.exists():
                print(f"profile {report} (share of GIL-holding samples, inclusive):")
                print("\n".join(profile_summary(report)))

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "seconds": elapsed,
                    "rows": rows,
                    "notes": dict(recorder.notes),
                    "errors": dict(recorder.errors),
                    "cpu_seconds": cpu,
                    "backlog": backlog,
                    "drain_seconds": drain,
                    "operations": ops,
                    "shipments": shipments,
                    "invoices": invoices,
                    "orders_done": warehouse.done,
                },
                indent=2,
            )
        )
    failed = {k: v for k, v in ops.items() if not k.endswith((" done", " cancelled"))}
    fast = all(r["p99_ms"] < 1000 for r in rows)
    ok = fast and not recorder.errors and drain is not None and not failed
    print("RESULT:", "OK" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
