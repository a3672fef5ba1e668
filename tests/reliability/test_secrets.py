"""No secret is ever stored or logged.

The whole flow (intake, push, acknowledge, pack, invoice, label, handover, inventory, return and
its QC) runs with every credential configured, in each Magento auth mode and with a few failures
on the way (their error bodies are stored too). Then every row of every model of `channel`,
`returns` and `django_q` (history tables included; pickled and signed fields decoded) and every log
record at DEBUG level are searched for the configured secrets, the admin tokens Magento issued and
the raw API keys: none may appear.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.tasks import async_task
from rest_framework.test import APIClient

from channel.integrations.magento import forget_admin_token
from channel.lib import redaction
from channel.models import ApiKeyScope, Location, Operation, OperationState
from channel.services.apikeys import api_key_create
from channel.services.awb import awb_series_add
from channel.services.sync import sync_magento
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.reliability.stage import WAREHOUSE

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = {
    "MAGENTO_TOKEN": "sec-magento-integration-token-a1b2c3",
    "MAGENTO_CONSUMER_SECRET": "sec-consumer-secret-d4e5f6",
    "MAGENTO_ACCESS_TOKEN": "sec-access-token-0718aa",
    "MAGENTO_ACCESS_TOKEN_SECRET": "sec-access-token-secret-93bc",
    "MAGENTO_PASSWORD": "sec-admin-password-5e6f",
    "OMNI_AUTH_PASSWORD": "sec-omni-password-77aa",
    "SECRET_KEY": "sec-django-secret-key-0123456789abcdef0123456789",
    "DOCUMENT_SIGNING_KEY": "sec-document-signing-key-fedcba9876",
}
OK = {"hasError": False, "errorMessage": ""}


@pytest.fixture
def configured(settings: Any, magento: MagentoSimulator, omni: OmniSimulator) -> None:
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.MAGENTO_CONSUMER_KEY = "sec-consumer-key"
    settings.MAGENTO_USERNAME = "admin"
    magento.integration_tokens.add(SECRETS["MAGENTO_TOKEN"])
    magento.admin_password = SECRETS["MAGENTO_PASSWORD"]
    magento.oauth_consumer_key = "sec-consumer-key"
    magento.oauth_consumer_secret = SECRETS["MAGENTO_CONSUMER_SECRET"]
    magento.oauth_access_token = SECRETS["MAGENTO_ACCESS_TOKEN"]
    magento.oauth_access_token_secret = SECRETS["MAGENTO_ACCESS_TOKEN_SECRET"]
    omni.auth_password = SECRETS["OMNI_AUTH_PASSWORD"]
    redaction.clear_cache()
    forget_admin_token()
    Location.objects.update_or_create(code="WH1", defaults=WAREHOUSE)
    awb_series_add(
        transporter="Delhivery",
        prefix="DL",
        start=1000,
        end=1999,
        location_code="WH1",
        make_default=True,
    )


def drain() -> None:
    """Run the outbox until it is empty, through django-q (so its task rows are stored too)."""
    for _ in range(10):
        pending = Operation.objects.filter(state=OperationState.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())
        async_task("channel.tasks.sweep_outbox", sync=True)
    raise AssertionError(list(Operation.objects.exclude(state=OperationState.DONE).values()))


def whole_flow(magento: MagentoSimulator, omni: OmniSimulator, api: APIClient) -> str:
    """Every step once, with a failure here and there; returns the returns client's key."""
    magento.add_order([{"sku": "SKU-1", "qty": 2, "price": 500}], payment_method="razorpay")
    omni.inject("POST", "/orders/outward$", "status", times=1, status=503)
    sync_magento()
    drain()
    code = "000000001"
    body = {"orders": [{"orderCode": code, "locationCode": "WH1"}]}
    magento.expire_tokens()  # admin mode: a 401, a new token
    assert api.put("/api/omni/orders/acknowledge", body, format="json").status_code == 200
    pack = {
        "orderCode": code,
        "locationCode": "WH1",
        "shipmentId": 1,
        "shipmentItems": [{"channelSkuCode": "SKU-1", "quantityToPack": 2}],
    }
    magento.inject("POST", "/invoice$", "status", times=1, status=500)
    shipment = api.post("/api/omni/shipments/pack", pack, format="json").json()["shipmentCode"]
    drain()
    invoice = {"orderCode": code, "shipmentCode": shipment}
    assert api.post("/api/omni/invoices", invoice, format="json").status_code == 200
    query = f"orderCode={code}&shipmentCode={shipment}"
    assert api.get(f"/api/omni/invoices?{query}").status_code == 200
    awb = api.get(f"/api/omni/shipping-label?{query}").json()["awbNumber"]
    item = {"orderCode": code, "shipmentCode": shipment, "gatePassCode": "G1"}
    item["packBoxDetailsList"] = [{"boxId": 1, "awbNumber": awb}]
    handover = {"locationCode": "WH1", "handoverItems": [item]}
    assert api.post("/api/omni/handover", handover, format="json").json() == OK
    magento.expire_tokens()
    drain()
    assert magento.get_order(1)["state"] == "complete"

    magento.inject("PUT", "/stockItems/", "status", times=1, status=503)
    stock = {"locationCode": "WH1", "inventories": [{"channelSkuCode": "SKU-1", "quantity": 4}]}
    assert api.put("/api/omni/inventory", stock, format="json").status_code == 200
    drain()

    returns = APIClient()
    returns_key = api_key_create(name="crm", scope=ApiKeyScope.RETURNS)[1]
    returns.credentials(HTTP_X_API_KEY=returns_key)
    ret = {
        "forwardOrderCode": code,
        "returnOrderCode": "R-1",
        "orderType": "CUSTOMER_RETURN",
        "orderItems": [{"channelSkuCode": "SKU-1", "quantity": 1, "reason": "Too small"}],
    }
    assert returns.post("/api/returns/", ret, format="json").status_code == 201
    drain()
    qc = {
        "returnOrderCode": "R-1",
        "forwardOrderCode": code,
        "orderItems": [{"itemCode": "R-1-1", "channelSkuCode": "SKU-1", "qcStatus": "PASS"}],
    }
    assert api.put("/api/omni/returns/qc", qc, format="json").status_code == 200
    return returns_key


def stored_text() -> str:
    """Every value of every row of every model of channel, returns and django_q."""
    chunks = []
    for label in ("channel", "returns", "django_q"):
        for model in apps.get_app_config(label).get_models():
            for row in model._base_manager.all().iterator():
                chunks.extend(_values(row))
    for queued in OrmQ.objects.all():
        chunks.append(repr(queued.task))  # signed, pickled payloads
    return "\n".join(chunks)


def _values(row: models.Model) -> list[str]:
    values = []
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, bytes | memoryview):
            values.append(bytes(value).decode("latin-1"))
        elif isinstance(value, dict | list):
            values.append(json.dumps(value))
        values.append(repr(value))
    return values


@pytest.mark.parametrize("auth_mode", ["bearer", "admin", "oauth1"])
def test_it_stores_and_logs_no_secret_in_the_whole_flow(
    auth_mode: str,
    configured: None,
    settings: Any,
    magento: MagentoSimulator,
    omni: OmniSimulator,
    api: APIClient,
    omni_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.MAGENTO_AUTH_MODE = auth_mode
    caplog.set_level(logging.DEBUG)
    returns_key = whole_flow(magento, omni, api)

    assert Operation.objects.filter(attempts__gt=1).exists()  # errors were recorded too
    assert Task.objects.exists() and OrmQ.objects.exists()
    if auth_mode == "admin":
        assert len(magento.calls("POST", "/V1/integration/admin/token$")) >= 3
    searched = {
        **SECRETS,
        "omni API key": omni_key,
        "returns API key": returns_key,
        **{f"admin token {n}": token for n, token in enumerate(magento.admin_tokens)},
    }
    stored, logged = stored_text(), caplog.text
    assert "SKU-1" in stored and "Omni answered HTTP 503" in logged  # the search sees the data
    assert [name for name, value in searched.items() if value in stored] == []
    assert [name for name, value in searched.items() if value in logged] == []
