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
    assert lines[0].startswith("admin login: demo / ")
    password = lines[0].split(" / ")[1]
    assert client.login(request=HttpRequest(), username="demo", password=password)  # axes
    response = client.get("/api/omni/orders", HTTP_X_API_KEY=lines[1])
    assert response.status_code == 200


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
