"""Real proxy processes against loopback fakes: the reliability suite, bench/multiworker.py and
bench/soak.py share this.

The fake Magento and fake Omni (`channel.simulators`) are served on 127.0.0.1 in the calling
process, so a test can inject faults and read their recorded state. The proxy runs as real
processes: gunicorn (web) and `manage.py qcluster` (worker), each in its own session so that a
kill takes its children too, as a crashed machine would. Every wait has a timeout and `stop()`
kills whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from simulators.base import RunningServer, serve
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator

ROOT = Path(__file__).resolve().parents[2]
OMNI_PREFIX = "/assure-magic2"
LOCATION = "WH1"
TRANSPORTER = "Delhivery"

# Short timeouts and backoffs so that a fault clears in seconds, not minutes.
FAST = {
    "OUTBOX_BASE_BACKOFF_SECONDS": "0.2",
    "OUTBOX_MAX_BACKOFF_SECONDS": "1",
    "OUTBOX_SWEEP_SECONDS": "0.3",
    "OUTBOX_CLAIM_SECONDS": "10",
    "MAGENTO_CONNECT_TIMEOUT": "1",
    "MAGENTO_READ_TIMEOUT": "1.5",
    "MAGENTO_BACKGROUND_READ_TIMEOUT": "1.5",
    "OMNI_CONNECT_TIMEOUT": "1",
    "OMNI_READ_TIMEOUT": "1.5",
    "INVENTORY_TIME_BUDGET_SECONDS": "3",
    "Q_POLL_SECONDS": "0.1",
    "Q_WORKERS": "3",
}


@dataclass(frozen=True)
class Secrets:
    """What the proxy is configured with (and what must never be stored or logged)."""

    magento_token: str = "rel-magento-integration-token-5b1f"
    magento_password: str = "rel-magento-admin-password-77c2"
    omni_password: str = "rel-omni-password-90ad"
    secret_key: str = "rel-secret-key-not-for-production-3e8f0c1d"


# --- the fakes ------------------------------------------------------------------------------------
@dataclass
class Fakes:
    """A fake Magento and a fake Omni served on loopback in this process."""

    magento: MagentoSimulator
    omni: OmniSimulator
    servers: list[RunningServer]

    @property
    def magento_url(self) -> str:
        return f"{self.servers[0].base_url}/rest/default"

    @property
    def omni_url(self) -> str:
        return f"{self.servers[1].base_url}{OMNI_PREFIX}"

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_fakes(secrets: Secrets, *, timeout_sleep: float = 2.5) -> Fakes:
    """Both fakes, accepting the configured credentials; a `timeout_*` fault holds the answer
    for `timeout_sleep` seconds, longer than the proxy's read timeouts (FAST)."""
    magento = MagentoSimulator()
    magento.integration_tokens.add(secrets.magento_token)
    magento.admin_password = secrets.magento_password
    magento.timeout_sleep_seconds = timeout_sleep
    omni = OmniSimulator(
        auth_username="omni-user",
        auth_password=secrets.omni_password,
        auth_domain="tenant",
        path_prefix=OMNI_PREFIX,
    )
    omni.timeout_sleep_seconds = timeout_sleep
    servers = [serve(magento), serve(omni)]
    for running in servers:  # a client that hung up (a killed process) is no news: no traceback
        running.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    return Fakes(magento, omni, servers)


# --- the proxy's processes ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_environment(
    *,
    database_url: str,
    fakes: Fakes,
    secrets: Secrets,
    var_dir: Path,
    auth_mode: str = "bearer",
    redis_url: str = "",
    cluster_name: str = "proxy",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment every web and worker process gets (the same on every machine)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "INFO",
        "PROXY_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "Q_CLUSTER_NAME": cluster_name,
        "MAGENTO_BASE_URL": fakes.magento_url,
        "MAGENTO_AUTH_MODE": auth_mode,
        "MAGENTO_TOKEN": secrets.magento_token,
        "MAGENTO_USERNAME": fakes.magento.admin_username,
        "MAGENTO_PASSWORD": secrets.magento_password,
        "OMNI_BASE_URL": fakes.omni_url,
        "OMNI_AUTH_USERNAME": "omni-user",
        "OMNI_AUTH_PASSWORD": secrets.omni_password,
        "OMNI_AUTH_DOMAIN": "tenant",
        # Tests add orders before the first sync, and a flushed test database has no go-live
        # row until then: take every order, as tests/conftest.py does in-process.
        "SYNC_START": "2000-01-01 00:00:00",
        **FAST,
    }
    return env | (extra or {})


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path
    url: str = ""


@dataclass
class Proxy:
    """Web and worker processes started from one environment; `stop()` kills them all."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    def _spawn(self, name: str, command: list[str], url: str = "") -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("ab")
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: kill() takes the children too
        )
        log.close()
        process = Process(name, popen, log_path, url)
        self.processes[name] = process
        return process

    def start_web(self, name: str = "web", *, workers: int = 2, threads: int = 4) -> str:
        """gunicorn on a free port; returns its base URL once it answers."""
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        command += ["--threads", str(threads), "--timeout", "60", "--graceful-timeout", "2"]
        process = self._spawn(name, command, url=f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(process.url), timeout=90, what=f"{name} to answer")
        return process.url

    def start_worker(self, name: str = "worker") -> None:
        """`manage.py qcluster`, waiting until its cluster says it is running."""
        process = self._spawn(name, [sys.executable, "manage.py", "qcluster"])
        start = process.log_path.stat().st_size
        wait_for(
            lambda: b"running." in process.log_path.read_bytes()[start:] or self._dead(process),
            timeout=90,  # a loaded machine starts slowly
            what=f"{name} to start",
        )
        if self._dead(process):
            raise AssertionError(f"{name} exited at start:\n{self.log_tail(name)}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process and its children (SIGKILL: as if its machine died)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, sig)
        try:
            process.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait(timeout=10)
        self.processes[f"{name}-{process.popen.pid}-gone"] = process  # its log stays readable

    def kill_child(self, name: str, pick: Callable[[list[int]], int]) -> int:
        """SIGKILL one child of a process (a gunicorn worker: its master starts a new one).
        Returns its pid, or 0 when it has none."""
        pid = self.processes[name].popen.pid
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        if not children:
            return 0
        child = pick(children)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        return child

    def manage(self, *args: str, timeout: float = 60) -> str:
        """Run a management command with the processes' environment; returns its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = result.stdout + result.stderr
        with (self.log_dir / "manage.log").open("a") as log:
            log.write(f"$ manage.py {' '.join(args)} -> {result.returncode}\n{output}\n")
        return output

    def kick_sweep(self) -> None:
        """Queue one outbox sweep for the workers now (the scheduler's first tick comes ~30 s
        after a cluster starts); with OUTBOX_SWEEP_SECONDS it keeps sweeping for a minute."""
        code = "from django_q.tasks import async_task; async_task('channel.tasks.sweep_outbox')"
        self.manage("shell", "-c", code)

    def stop(self) -> None:
        """Kill every process group we started, also where the leader is gone but a child
        (an orphaned qcluster worker) is not."""
        for name in list(self.processes):
            process = self.processes[name]
            if process.popen.poll() is None:
                self.kill(name)
            else:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.popen.pid, signal.SIGKILL)

    def owner_of(self, pid: int) -> str:
        """Which of our processes (by process group) a pid belongs to; "" if none."""
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return ""
        return next((n for n, p in self.processes.items() if p.popen.pid == group), "")

    def _dead(self, process: Process) -> bool:
        return process.popen.poll() is not None

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.popen.poll() is None

    def log_text(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log"))
        )

    def log_tail(self, name: str, lines: int = 40) -> str:
        process = self.processes.get(name)
        if process is None:
            return ""
        return "\n".join(process.log_path.read_text(errors="replace").splitlines()[-lines:])


def _answers(url: str) -> bool:
    try:
        requests.get(f"{url}/healthz", timeout=2)
    except requests.RequestException:
        return False
    return True


# --- waiting --------------------------------------------------------------------------------------
def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    explain: Callable[[], str] | None = None,
) -> Any:
    """Poll `predicate` until it is truthy; AssertionError (with `explain()`) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = explain() if explain else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{detail}")
        time.sleep(interval)


# --- Omni's side: calls to the proxy's API --------------------------------------------------------
@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


class OmniDriver:
    """Calls the proxy's API the way Omni (and an internal returns client) would, round-robin
    over the web processes; thread-safe (one HTTP session per thread)."""

    def __init__(self, urls: list[str], api_key: str, returns_key: str = "") -> None:
        self.urls = urls
        self.api_key = api_key
        self.returns_key = returns_key
        self.slowest = 0.0
        self.calls = 0
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}  # status (0: no answer) -> count, for non-2xx answers
        self._local = threading.local()
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def call(self, method: str, path: str, body: Any = None, *, key: str = "") -> Answer:
        with self._lock:
            url = self.urls[self.calls % len(self.urls)]
            self.calls += 1
        started = time.monotonic()
        try:
            response = self._session().request(
                method,
                f"{url}{path}",
                json=body,
                headers={"X-Api-Key": key or self.api_key},
                timeout=30,
            )
        except requests.RequestException as exc:
            with self._lock:
                self.errors[0] = self.errors.get(0, 0) + 1
            return Answer(0, str(exc), time.monotonic() - started)
        seconds = time.monotonic() - started
        with self._lock:
            self.slowest = max(self.slowest, seconds)
            self.latencies.append(seconds)
            if response.status_code >= 300:
                code = response.status_code
                self.errors[code] = self.errors.get(code, 0) + 1
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = response.text[:300]
        return Answer(response.status_code, parsed, seconds)

    def ack(self, code: str) -> Answer:
        body = {"orders": [{"locationCode": LOCATION, "orderCode": code}]}
        return self.call(
            "PUT", "/api/omni/orders/acknowledge", body | {"consolidationType": "NONE"}
        )

    def pack(self, code: str, shipment_id: int, items: list[dict[str, Any]]) -> Answer:
        body = {
            "orderCode": code,
            "locationCode": LOCATION,
            "shipmentId": shipment_id,
            "weight": 750,
            "dimensions": {"length": 30, "breadth": 20, "height": 10},
            "shipmentItems": items,
        }
        return self.call("POST", "/api/omni/shipments/pack", body)

    def invoice(self, code: str, shipment_code: str) -> Answer:
        body = {"orderCode": code, "shipmentCode": shipment_code}
        return self.call("POST", "/api/omni/invoices", body)

    def label(self, code: str, shipment_code: str) -> Answer:
        query = f"orderCode={code}&shipmentCode={shipment_code}&locationCode={LOCATION}"
        return self.call("GET", f"/api/omni/shipping-label?{query}")

    def handover(self, code: str, shipment_code: str, awb: str) -> Answer:
        item = {
            "orderCode": code,
            "shipmentCode": shipment_code,
            "gatePassCode": "GP-1",
            "packBoxDetailsList": [{"boxId": 1, "awbNumber": awb}],
        }
        body = {"locationCode": LOCATION, "handoverItems": [item]}
        return self.call("POST", "/api/omni/handover", body)

    def inventory(self, quantities: dict[str, int]) -> Answer:
        lines = [{"channelSkuCode": sku, "quantity": qty} for sku, qty in quantities.items()]
        return self.call(
            "PUT", "/api/omni/inventory", {"locationCode": LOCATION, "inventories": lines}
        )

    def create_return(self, code: str, return_code: str, items: list[dict[str, Any]]) -> Answer:
        body = {
            "forwardOrderCode": code,
            "returnOrderCode": return_code,
            "orderType": "CUSTOMER_RETURN",
            "awbNumber": f"R{return_code}",
            "transporter": TRANSPORTER,
            "orderItems": items,
        }
        return self.call("POST", "/api/returns/", body, key=self.returns_key)


REFUSED = (400, 401, 403, 404)  # repeating will not help: stop at once


def until(
    call: Callable[[], Answer], ok: Callable[[Answer], bool], *, timeout: float, what: str
) -> Answer:
    """Repeat a call, as Omni does, until its answer is `ok` (or a refusal, which fails)."""
    last: list[Answer] = []

    def attempt() -> bool:
        answer = call()
        last[:] = [answer]
        if answer.status in REFUSED:
            raise AssertionError(f"{what}: refused {answer}")
        if not ok(answer):
            time.sleep(0.2)
            return False
        return True

    wait_for(attempt, timeout=timeout, what=what, interval=0, explain=lambda: repr(last))
    return last[0]


@dataclass
class Fulfilment:
    """What Omni did with one order."""

    order_code: str
    shipment_code: str = ""
    awb: str = ""
    steps: list[str] = field(default_factory=list)


def fulfil(
    driver: OmniDriver, omni_order: dict[str, Any], shipment_id: int, *, timeout: float = 60
) -> Fulfilment:
    """Acknowledge, pack everything, invoice, label and hand over one order Omni received,
    repeating each call until it succeeds (as Omni does when the proxy answers an error)."""
    code = omni_order["orderCode"]
    done = Fulfilment(code)
    acked = {"locationCode": LOCATION, "orderCode": code}
    until(
        lambda: driver.ack(code),
        lambda a: a.status == 200 and acked in a.body["successOrders"],
        timeout=timeout,
        what=f"ack of {code}",
    )
    items = [
        {
            "channelSkuCode": item["channelSkuCode"],
            "orderItemCode": item["orderItemCode"],
            "quantityToPack": item["quantity"],
        }
        for item in omni_order["orderItems"]
    ]
    packed = until(
        lambda: driver.pack(code, shipment_id, items),
        lambda a: a.status == 200,
        timeout=timeout,
        what=f"pack of {code}",
    )
    done.shipment_code = packed.body["shipmentCode"]
    until(
        lambda: driver.invoice(code, done.shipment_code),
        lambda a: a.status == 200,
        timeout=timeout,
        what=f"invoice of {code}",
    )
    label = until(
        lambda: driver.label(code, done.shipment_code),
        lambda a: a.status == 200,
        timeout=timeout,
        what=f"label of {code}",
    )
    done.awb = label.body["awbNumber"]
    until(
        lambda: driver.handover(code, done.shipment_code, done.awb),
        lambda a: a.status == 200 and a.body == {"hasError": False, "errorMessage": ""},
        timeout=timeout,
        what=f"handover of {code}",
    )
    return done


# --- the database going away ----------------------------------------------------------------------
def postgres_version() -> str:
    """The local PostgreSQL cluster's version (`pg_lsclusters`), e.g. "15"."""
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10, check=True
    )
    return listing.stdout.split()[0]


def restart_postgres() -> None:
    """Restart the local PostgreSQL cluster (disturbs every other user of it)."""
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main", "restart"]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
