"""The newcomer's demo: its setup commands and the Omni player that walks orders through."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from channel import outbox
from channel.models import Order, OrderLifecycle
from channel.services.sync import sync_magento
from simulators.demo import OmniPlayer
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator


@pytest.mark.django_db
def test_demo_setup_prints_a_login_and_a_working_key(capsys, client) -> None:
    call_command("demo_setup")
    call_command("demo_data")
    call_command("demo_data")  # idempotent
    lines = capsys.readouterr().out.strip().splitlines()
    logins = {
        line.split()[2]: (line.split()[4], line.split()[5])
        for line in lines
        if line.startswith("admin login: ")
    }
    assert {user: role for user, (_, role) in logins.items()} == {
        "demo": "(superuser)",
        "support": "(support)",
        "auditor": "(auditor)",
    }
    for user, (password, _) in logins.items():
        assert client.login(request=HttpRequest(), username=user, password=password)  # axes
        assert client.get("/admin/").status_code == 200
    keys = {
        line.split()[2].rstrip(":"): line.split()[3] for line in lines if line.startswith("api key")
    }
    assert set(keys) == {"omni", "returns"}
    assert client.get("/api/omni/orders", HTTP_X_API_KEY=keys["omni"]).status_code == 200
    missing = client.get("/api/returns/R-unknown", HTTP_X_API_KEY=keys["returns"])
    assert missing.status_code == 404  # the key is accepted; the return is unknown
    refused = client.get("/api/returns/R-unknown", HTTP_X_API_KEY=keys["omni"])
    assert refused.status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_the_demo_omni_walks_an_order_to_complete_in_magento(
    live_server, magento: MagentoSimulator, omni: OmniSimulator, omni_key: str
) -> None:
    call_command("demo_data")
    created = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 999}])
    sync_magento()
    outbox.run_due()
    player = OmniPlayer(live_server.url, omni_key)
    for _ in range(5):  # acknowledge, pack, invoice + label, handover
        player.step(omni.orders[created["increment_id"]])
        outbox.run_due()
    assert player.done[created["increment_id"]] == "handed_over"
    assert Order.objects.get(entity_id=created["entity_id"]).lifecycle == OrderLifecycle.FULFILLED
    assert magento.get_order(created["entity_id"])["state"] == "complete"


@pytest.mark.django_db(transaction=True)
def test_the_demo_fills_every_panel(
    live_server, magento: MagentoSimulator, omni: OmniSimulator, omni_key: str
) -> None:
    """Manifest, stock push, a customer cancellation, and a return Omni refuses for its missing
    AWB, which support fixes and sends again."""
    from channel.models import ApiKeyScope, Manifest, StockLevel
    from channel.services.apikeys import api_key_create
    from returns import services as returns_services
    from returns.models import ReturnOrder, ReturnState
    from simulators.demo import cancel_by_customer

    call_command("demo_data")
    omni.require_awb = True  # as the demo's Omni
    returns_key = api_key_create(name="r", scope=ApiKeyScope.RETURNS)[1]
    shipped = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 999}])
    cancelled = magento.add_order([{"sku": "TS-2", "qty": 1, "price": 499}])
    sync_magento()
    outbox.run_due()
    player = OmniPlayer(live_server.url, omni_key, returns_key=returns_key)

    assert cancel_by_customer(magento, player, omni.orders[cancelled["increment_id"]])
    assert magento.get_order(cancelled["entity_id"])["state"] == "canceled"
    magento.advance_clock(60)
    sync_magento()  # the proxy's next sync sends Omni the customer's cancellation
    outbox.run_due()
    assert cancelled["increment_id"] in omni.cancellations
    for _ in range(5):
        player.step(omni.orders[shipped["increment_id"]])
        player.step(omni.orders[cancelled["increment_id"]])  # never moves: cancelled
        outbox.run_due()
    assert player.done[cancelled["increment_id"]] == "cancelled"
    assert Manifest.objects.count() == 1

    player.push_stock([omni.orders[shipped["increment_id"]]])
    assert StockLevel.objects.filter(sku="TS-1").exists()

    refused = ReturnOrder.objects.get()
    outbox.run_due()
    refused.refresh_from_db()
    assert refused.state == ReturnState.FAILED and "awbNumber" in refused.last_error
    returns_services.return_edit(
        return_order=refused, actor="sam", changes={"awb_number": "RET1", "transporter": "X"}
    )
    returns_services.return_replay(return_order=refused, actor="sam")
    outbox.run_due()
    refused.refresh_from_db()
    assert refused.state == ReturnState.SENT


@pytest.mark.django_db(transaction=True)
def test_the_demo_omni_cancels_a_prepaid_order_and_admin_shows_the_credit_memo(
    live_server, magento: MagentoSimulator, omni: OmniSimulator, omni_key: str, admin_client
) -> None:
    from channel.models import CreditMemo, CreditMemoState
    from simulators.demo import DEMO_PREPAID_METHODS

    call_command("demo_data")
    magento.prepaid_methods = set(DEMO_PREPAID_METHODS)  # as the demo's Magento
    cod = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 999}])
    paid = magento.add_order(
        [{"sku": "TS-2", "qty": 2, "price": 499}], payment_method=next(iter(DEMO_PREPAID_METHODS))
    )
    assert magento.invoices_for(paid["entity_id"])  # invoiced when the payment was captured
    sync_magento()
    outbox.run_due()
    player = OmniPlayer(live_server.url, omni_key)
    assert not player.cancel_prepaid(omni.orders[cod["increment_id"]])
    assert player.cancel_prepaid(omni.orders[paid["increment_id"]])
    assert player.done[paid["increment_id"]] == "cancelled"
    memo = CreditMemo.objects.get()
    assert (memo.state, memo.online, memo.grand_total) == (CreditMemoState.CREATED, True, 998)
    assert magento.get_order(paid["entity_id"])["state"] == "closed"
    order = Order.objects.get(entity_id=paid["entity_id"])
    page = admin_client.get(f"/admin/channel/order/{order.pk}/change/")
    assert page.status_code == 200 and memo.creditmemo_number in page.content.decode()
