"""The whole flow, step by step, with a fault plan hitting the calls of every step.

Used by the fault tests and by bench/soak.py: intake → push to Omni → acknowledge → pack (→ invoice
in the background) → Omni's invoice call → label → handover (→ Magento shipment in the
background) → inventory → a return pushed to Omni.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from channel.models import Order
from tests.reliability.harness import LOCATION, Answer, Fulfilment, fulfil, until
from tests.reliability.stage import Stage

OK = {"hasError": False, "errorMessage": ""}
# (lines, payment method): a COD order in two units, a captured prepaid configurable, and a
# two-line order
SAMPLE_ORDERS: list[tuple[list[dict[str, Any]], str]] = [
    ([{"sku": "SKU-A", "qty": 2, "price": 500}], "cashondelivery"),
    (
        [{"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": 1, "price": 999}],
        "razorpay",
    ),
    (
        [{"sku": "SKU-B", "qty": 1, "price": 300}, {"sku": "SKU-C", "qty": 3, "price": 100}],
        "checkmo",
    ),
]

Injector = Callable[[Stage, str, str], None]


@dataclass
class FaultPlan:
    """What goes wrong at each step: `magento(stage, method, path)` / `omni(...)` inject a fault
    into the next calls matching method and path (a regex)."""

    name: str
    magento: Injector
    omni: Injector


def server_errors() -> FaultPlan:
    """Two 503s (nginx's HTML page) before every step's calls succeed."""

    def magento(stage: Stage, method: str, path: str) -> None:
        stage.magento.inject(method, path, "status", times=2, status=503)

    def omni(stage: Stage, method: str, path: str) -> None:
        stage.omni.inject(method, path, "status", times=2, status=503)

    return FaultPlan("server errors", magento, omni)


def lost_answers() -> FaultPlan:
    """The first call of every step is applied, then its answer is lost (read timeout)."""

    def magento(stage: Stage, method: str, path: str) -> None:
        stage.magento.inject(method, path, "timeout_after", times=1)

    def omni(stage: Stage, method: str, path: str) -> None:
        stage.omni.inject(method, path, "timeout_after", times=1)

    return FaultPlan("lost answers", magento, omni)


def token_expiry() -> FaultPlan:
    """Magento's admin tokens expire before every step (admin-token mode); Omni has none."""

    def magento(stage: Stage, method: str, path: str) -> None:
        stage.magento.expire_tokens()

    def omni(stage: Stage, method: str, path: str) -> None:
        return None

    return FaultPlan("token expiry", magento, omni)


def no_faults() -> FaultPlan:
    def nothing(stage: Stage, method: str, path: str) -> None:
        return None

    return FaultPlan("no faults", nothing, nothing)


@dataclass
class FlowRecord:
    """What the flow did, for the test's own assertions."""

    codes: list[str] = field(default_factory=list)
    shipments: dict[str, str] = field(default_factory=dict)  # orderCode -> shipmentCode
    awbs: dict[str, str] = field(default_factory=dict)
    first_acks: list[Answer] = field(default_factory=list)
    inventory_answers: list[Answer] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)


def intake(stage: Stage, count: int, *, tries: int = 10) -> None:
    """Pull orders (as the schedule would) until `count` are mirrored; a failed pull leaves the
    cursor where it was, so the next one continues."""
    for _ in range(tries):
        stage.sync(timeout=60 + count * 0.5)
        if Order.objects.count() >= count:
            return
    raise AssertionError(f"only {Order.objects.count()} of {count} orders mirrored")


def whole_flow(
    stage: Stage,
    plan: FaultPlan,
    *,
    orders: list[tuple[list[dict[str, Any]], str]] | None = None,
    first_shipment_id: int = 5000,
    timeout: float = 60,
) -> FlowRecord:
    """Run every step for new orders with `plan`'s fault before each step; ends settled."""
    orders = orders if orders is not None else SAMPLE_ORDERS
    record = FlowRecord()
    known = Order.objects.count()
    for lines, method in orders:
        stage.magento.add_order(lines, payment_method=method)

    plan.magento(stage, "GET", r"/V1/orders$")
    plan.omni(stage, "POST", r"/orders/outward$")
    intake(stage, known + len(orders))
    stage.settle(timeout)
    record.codes = list(Order.objects.order_by("pk").values_list("order_code", flat=True)[known:])

    for code in record.codes:
        plan.magento(stage, "POST", r"/V1/orders/\d+/comments$")
        record.first_acks.append(stage.driver.ack(code))
        acked = {"locationCode": LOCATION, "orderCode": code}
        until(
            lambda code=code: stage.driver.ack(code),
            lambda a, acked=acked: a.status == 200 and acked in a.body["successOrders"],
            timeout=timeout,
            what=f"ack of {code}",
        )

    plan.magento(stage, "POST", r"/V1/order/\d+/invoice$")
    for n, code in enumerate(record.codes):
        items = [
            {
                "channelSkuCode": item["channelSkuCode"],
                "orderItemCode": item["orderItemCode"],
                "quantityToPack": item["quantity"],
            }
            for item in stage.omni.orders[code]["orderItems"]
        ]
        packed = until(
            lambda code=code, n=n, items=items: stage.driver.pack(
                code, first_shipment_id + n, items
            ),
            lambda a: a.status == 200,
            timeout=timeout,
            what=f"pack of {code}",
        )
        record.shipments[code] = packed.body["shipmentCode"]
    for code, shipment_code in record.shipments.items():
        until(
            lambda code=code, s=shipment_code: stage.driver.invoice(code, s),
            lambda a: a.status == 200 and a.body["invoiceDetails"],
            timeout=timeout,
            what=f"invoice of {code}",
        )
        label = until(
            lambda code=code, s=shipment_code: stage.driver.label(code, s),
            lambda a: a.status == 200,
            timeout=timeout,
            what=f"label of {code}",
        )
        record.awbs[code] = label.body["awbNumber"]

    plan.magento(stage, "POST", r"/V1/order/\d+/ship$")
    for code, shipment_code in record.shipments.items():
        until(
            lambda code=code, s=shipment_code: stage.driver.handover(code, s, record.awbs[code]),
            lambda a: a.status == 200 and a.body == OK,
            timeout=timeout,
            what=f"handover of {code}",
        )
    stage.settle(timeout)

    skus = sorted({line["sku"] for lines, _ in orders for line in lines})
    plan.magento(stage, "PUT", r"/stockItems/")
    quantities = {sku: 10 + n for n, sku in enumerate(skus)}
    record.inventory_answers.append(stage.driver.inventory(quantities))
    stage.settle(timeout)
    plan.magento(stage, "PUT", r"/stockItems/")
    record.inventory_answers.append(stage.driver.inventory({sku: 3 for sku in skus}))
    stage.settle(timeout)

    plan.omni(stage, "POST", r"/return/return-orders$")
    code = record.codes[0]
    first_line = stage.omni.orders[code]["orderItems"][0]
    return_code = f"R-{code}-1"
    answer = stage.driver.create_return(
        code,
        return_code,
        [{"channelSkuCode": first_line["channelSkuCode"], "quantity": 1, "reason": "Too small"}],
    )
    assert answer.status == 201, answer
    record.returns.append(return_code)
    stage.settle(timeout)
    return record


# --- many orders at once (the multi-worker test, bench/multiworker.py, bench/soak.py) -----------
CATALOG = [f"SKU-{n:03d}" for n in range(40)]
METHODS = ["cashondelivery", "razorpay", "checkmo"]


def random_lines(rng: random.Random) -> list[dict[str, Any]]:
    skus = rng.sample(CATALOG, rng.randint(1, 3))
    return [
        {"sku": sku, "qty": rng.randint(1, 3), "price": rng.choice([199, 499, 999])} for sku in skus
    ]


@dataclass
class DriveReport:
    orders: int = 0
    seconds: float = 0.0
    fulfilled: list[Fulfilment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def new_orders(stage: Stage, count: int, rng: random.Random) -> None:
    for _ in range(count):
        stage.magento.add_order(random_lines(rng), payment_method=rng.choice(METHODS))


def omni_codes(stage: Stage) -> list[str]:
    with stage.omni.lock:
        return list(stage.omni.orders)


def drive(
    stage: Stage,
    count: int,
    *,
    rng: random.Random,
    threads: int = 8,
    first_shipment_id: int = 100000,
    timeout: float = 300,
    step_timeout: float = 60,
    during: Callable[[], None] | None = None,
) -> DriveReport:
    """`count` new Magento orders through intake → push → ack → pack → invoice → label →
    handover, with `threads` of Omni's calls at once; `during()` runs while Omni works (faults).
    Returns once every order is handed over and the outbox has settled."""
    report = DriveReport(orders=count)
    started = time.monotonic()
    known = set(omni_codes(stage))
    new_orders(stage, count, rng)
    intake(stage, Order.objects.count() + count)
    deadline = started + timeout
    futures: dict[str, Future[Fulfilment]] = {}
    with ThreadPoolExecutor(threads, thread_name_prefix="omni") as pool:
        while len(futures) < count:
            for code in omni_codes(stage):
                if code not in known and code not in futures:
                    order = stage.omni.orders[code]
                    shipment_id = first_shipment_id + len(futures)
                    futures[code] = pool.submit(
                        fulfil, stage.driver, order, shipment_id, timeout=step_timeout
                    )
            if during is not None:
                during()
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(futures)} of {count} orders reached Omni")
            time.sleep(0.2)
        for code, future in futures.items():
            try:
                report.fulfilled.append(future.result(timeout=max(1, deadline - time.monotonic())))
            except Exception as exc:  # reported; the caller's check fails
                report.errors.append(f"{code}: {exc}")
    stage.settle(max(10, deadline - time.monotonic()))
    report.seconds = time.monotonic() - started
    return report
