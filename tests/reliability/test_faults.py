"""Faults in the middle of every flow, against real web and worker processes (PostgreSQL).

Each test runs the whole flow (intake, push, acknowledge, pack → invoice, label, handover → ship,
inventory, return) with one kind of fault before each step's calls, then checks against the fakes'
recorded state that every intent had exactly one effect and nothing was lost.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from channel import outbox
from channel.models import Operation
from returns.models import ReturnOrder, ReturnState
from returns.services import return_replay
from tests.reliability import flows
from tests.reliability.harness import fulfil
from tests.reliability.marks import needs_processes
from tests.reliability.secrets import assert_no_secrets
from tests.reliability.stage import Stage

pytestmark = needs_processes


def assert_consistent(stage: Stage) -> None:
    report = stage.check()
    assert not report.problems, str(report)
    assert stage.driver.slowest < 10, f"an answer took {stage.driver.slowest:.1f} s"
    assert_no_secrets(stage.proxy.log_text(), stage.secrets, [stage.omni_key, stage.returns_key])


def test_it_completes_every_flow_once_through_magento_and_omni_server_errors(
    stage_factory: Callable[..., Stage],
) -> None:
    stage = stage_factory()
    record = flows.whole_flow(stage, flows.server_errors())

    assert_consistent(stage)
    magento, omni = stage.magento, stage.omni
    assert [a.body["successOrders"] for a in record.first_acks] == [[], [], []]
    assert len(magento.calls("POST", r"/invoice$")) == 3 + 2  # two 503s, then one each
    assert len(magento.invoices) == len(magento.shipments) == 3
    assert len(omni.calls("POST", r"/orders/outward$")) == 3 + 2
    assert sorted(omni.orders) == record.codes and set(omni.create_attempts.values()) == {1}
    assert len(omni.calls("POST", r"/return/return-orders$")) == 1 + 2
    assert list(omni.returns) == record.returns
    assert len(record.inventory_answers[0].body["failureList"]) == 2  # retried in the background


def test_it_completes_every_flow_once_when_answers_are_lost(
    stage_factory: Callable[..., Stage],
) -> None:
    stage = stage_factory()
    record = flows.whole_flow(stage, flows.lost_answers())

    assert_consistent(stage)
    magento, omni = stage.magento, stage.omni
    assert len(magento.calls("POST", r"/invoice$")) == 3  # the lost one was read back
    assert len(magento.calls("POST", r"/ship$")) == 3
    assert len(magento.invoices) == len(magento.shipments) == 3
    read_back = Operation.objects.filter(result__readBack=True).values_list("kind", flat=True)
    assert sorted(read_back) == ["magento.create_invoice", "magento.ship"]
    assert sorted(omni.create_attempts.values()) == [1, 1, 2] and len(omni.orders) == 3
    assert omni.return_attempts[record.returns[0]] == 2 and list(omni.returns) == record.returns
    (lost,) = record.inventory_answers[0].body["failureList"]  # written, answer lost
    assert len(magento.calls("PUT", rf"/V1/products/{lost}/stockItems/1$")) == 2  # not twice more
    assert magento.products[lost]["stock"]["qty"] == 3


@pytest.mark.parametrize("processes", [{"auth_mode": "admin"}])
def test_it_fetches_a_new_admin_token_whenever_magento_expires_it(
    stage_factory: Callable[..., Stage], processes: dict
) -> None:
    stage = stage_factory(**processes)
    flows.whole_flow(stage, flows.token_expiry())

    assert_consistent(stage)
    magento = stage.magento
    assert len(magento.calls("POST", r"/V1/integration/admin/token$")) >= 7
    assert len(magento.invoices) == len(magento.shipments) == 3


def test_omni_bad_data_waits_for_a_person_and_a_replay_delivers_once(
    stage_factory: Callable[..., Stage],
) -> None:
    stage = stage_factory()
    magento, omni = stage.magento, stage.omni
    magento.add_order([{"sku": "SKU-A", "qty": 2, "price": 500}], payment_method="checkmo")
    omni.inject("POST", r"/orders/outward$", "status", status=400)  # BAD_DATA
    flows.intake(stage, 1)
    stage.settle()
    push = Operation.objects.get(kind="omni.push_order")
    assert (push.state, push.error_class) == ("failed", "permanent")
    assert push.last_error.startswith("BAD_DATA: Input validation failed") and not omni.orders

    outbox.replay(push)  # what "Replay selected operations now" in admin does, after the fix
    stage.settle()
    assert list(omni.orders) == ["000000001"]
    fulfil(stage.driver, omni.orders["000000001"], 4001)
    stage.settle()

    omni.inject("POST", r"/return/return-orders$", "status", status=400)
    item = {"channelSkuCode": "SKU-A", "quantity": 1, "reason": "Too small"}
    assert stage.driver.create_return("000000001", "R-1", [item]).status == 201
    stage.settle()
    refused = ReturnOrder.objects.get()
    assert refused.state == ReturnState.FAILED and "BAD_DATA" in refused.last_error
    return_replay(return_order=refused, actor="support")
    stage.settle()

    assert_consistent(stage)
    assert list(omni.returns) == ["R-1"] and len(omni.calls("POST", r"/return/")) == 2
    assert len(omni.calls("POST", r"/orders/outward$")) == 2
