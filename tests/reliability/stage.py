"""A whole proxy on stage: fakes, web and worker processes, and Omni's driver, on one database.

Needs Django set up in the calling process (pytest-django, or the bench scripts) because it writes
the API keys, the AWB series and the schedules straight into the proxy's database.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from channel.models import ApiKeyScope, Location, OperationAttempt
from channel.services.apikeys import api_key_create
from channel.services.awb import awb_series_add
from channel.services.schedules import ensure_schedules
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.reliability import checks
from tests.reliability.harness import (
    LOCATION,
    TRANSPORTER,
    Fakes,
    OmniDriver,
    Proxy,
    Secrets,
    proxy_environment,
    start_fakes,
    wait_for,
)

WAREHOUSE = {
    "name": "Reliability Test Warehouse",
    "line1": "Plot 14, KIADB Industrial Area",
    "city": "Bengaluru",
    "state": "Karnataka",
    "zip": "560099",
    "phone": "+91 80 4567 8900",
}


def database_url() -> str:
    """The URL of the database this process uses (pytest-django's `test_<name>`)."""
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the process-based reliability tests need PostgreSQL")
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Stage:
    secrets: Secrets
    fakes: Fakes
    proxy: Proxy
    driver: OmniDriver
    omni_key: str
    returns_key: str
    workers: list[str] = field(default_factory=list)

    @property
    def magento(self) -> MagentoSimulator:
        return self.fakes.magento

    @property
    def omni(self) -> OmniSimulator:
        return self.fakes.omni

    def sync(self, timeout: float = 60) -> str:
        """Pull orders now, as `manage.py sync_magento` (the schedule does it every minute)."""
        return self.proxy.manage("sync_magento", timeout=timeout)

    def settle(self, timeout: float = 60) -> None:
        """Wait until no operation is pending or running."""
        wait_for(checks.settled, timeout=timeout, what="the outbox to settle", explain=self.explain)

    def explain(self) -> str:
        logs = "\n".join(self.proxy.log_tail(name, 15) for name in list(self.proxy.processes))
        return f"unsettled operations:\n{checks.unsettled()}\nlogs:\n{logs}"

    def check(self, *, complete: bool = True) -> checks.Report:
        return checks.consistency(self.magento, self.omni, complete=complete)

    def restart_worker(self, name: str) -> None:
        self.proxy.start_worker(name)
        self.proxy.kick_sweep()

    def stop(self) -> None:
        try:
            self.proxy.stop()
        finally:
            self.fakes.stop()


def prepare_database() -> tuple[str, str]:
    """API keys (Omni's and a returns client's), an AWB series, the schedules."""
    omni_key = api_key_create(name="omni", scope=ApiKeyScope.OMNI)[1]
    returns_key = api_key_create(name="crm", scope=ApiKeyScope.RETURNS)[1]
    awb_series_add(
        transporter=TRANSPORTER,
        prefix="DL",
        start=100000,
        end=999999,
        location_code=LOCATION,
        make_default=True,
    )
    Location.objects.update_or_create(code=LOCATION, defaults=WAREHOUSE)
    ensure_schedules()
    return omni_key, returns_key


def stage_up(
    *,
    database_url: str,
    log_dir: Path,
    webs: int = 1,
    workers: int = 1,
    auth_mode: str = "bearer",
    redis_url: str = "",
    cluster_name: str = "proxy",
    extra: dict[str, str] | None = None,
    secrets: Secrets | None = None,
) -> Stage:
    """Start the fakes and the proxy's processes; the caller must `stop()` the stage."""
    # The same SECRET_KEY as this process: tasks it queues (a replay) are signed with it.
    secrets = secrets or Secrets(secret_key=settings.SECRET_KEY)
    fakes = start_fakes(secrets)
    env = proxy_environment(
        database_url=database_url,
        fakes=fakes,
        secrets=secrets,
        var_dir=log_dir / "var",
        auth_mode=auth_mode,
        redis_url=redis_url,
        cluster_name=cluster_name,
        extra=extra,
    )
    proxy = Proxy(env, log_dir)
    try:
        omni_key, returns_key = prepare_database()
        names = [f"worker{i + 1}" for i in range(workers)]
        urls: list[str] = []
        starts = [threading.Thread(target=proxy.start_worker, args=(name,)) for name in names]
        for thread in starts:
            thread.start()
        urls = [proxy.start_web(f"web{i + 1}") for i in range(webs)]
        for thread in starts:
            thread.join(timeout=60)
        for name in names:
            if not proxy.alive(name):
                raise AssertionError(f"{name} did not start:\n{proxy.log_tail(name)}")
        proxy.kick_sweep()
    except BaseException:
        proxy.stop()
        fakes.stop()
        raise
    driver = OmniDriver(urls, omni_key, returns_key)
    return Stage(secrets, fakes, proxy, driver, omni_key, returns_key, names)


def cut_database_connections() -> int:
    """Terminate every other connection to this database (what a restart does to the proxy's
    processes) without disturbing other databases on the server. Returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def attempts_by_process(proxy: Proxy) -> dict[str, int]:
    """Operation attempts per proxy process (web processes run invoices inline), while alive."""
    counts: dict[str, int] = {}
    workers = OperationAttempt.objects.values_list("worker", flat=True)
    for worker, n in Counter(workers).items():
        pid = int(worker.rsplit(":", 1)[-1])
        name = proxy.owner_of(pid) or "this process"
        counts[name] = counts.get(name, 0) + n
    return counts
