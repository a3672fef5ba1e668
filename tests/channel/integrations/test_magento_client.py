"""The Magento client against the fake Magento: auth modes, typed errors, call records."""

from __future__ import annotations

import pytest

from channel.integrations.magento import (
    MagentoClient,
    MagentoError,
    MagentoNotFound,
    forget_admin_token,
)
from channel.models import CallRecord
from simulators.magento import MagentoSimulator
from tests.support.settings import MAGENTO_TOKEN

pytestmark = pytest.mark.django_db


def test_it_reads_an_order_with_the_integration_token(magento: MagentoSimulator) -> None:
    order = magento.add_order([{"sku": "TS-1", "qty": 2, "price": 1180}])
    raw = MagentoClient().get_order(order["entity_id"])
    assert raw["increment_id"] == order["increment_id"]
    assert magento.requests[-1].headers["Authorization"] == f"Bearer {MAGENTO_TOKEN}"


def test_it_signs_requests_with_oauth1_hmac_sha256(magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_AUTH_MODE = "oauth1"
    settings.MAGENTO_CONSUMER_KEY = magento.oauth_consumer_key
    settings.MAGENTO_CONSUMER_SECRET = magento.oauth_consumer_secret
    settings.MAGENTO_ACCESS_TOKEN = magento.oauth_access_token
    settings.MAGENTO_ACCESS_TOKEN_SECRET = magento.oauth_access_token_secret
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    assert MagentoClient().get_order_status(order["entity_id"]) == "pending"
    assert 'oauth_signature_method="HMAC-SHA256"' in magento.requests[-1].headers["Authorization"]


def test_a_wrong_oauth_secret_is_a_configuration_error(magento: MagentoSimulator, settings) -> None:
    settings.MAGENTO_AUTH_MODE = "oauth1"
    settings.MAGENTO_CONSUMER_KEY = magento.oauth_consumer_key
    settings.MAGENTO_CONSUMER_SECRET = "wrong"
    settings.MAGENTO_ACCESS_TOKEN = magento.oauth_access_token
    settings.MAGENTO_ACCESS_TOKEN_SECRET = magento.oauth_access_token_secret
    with pytest.raises(MagentoError) as error:
        MagentoClient().get_order_status(1)
    assert error.value.status == 401 and error.value.needs_config


def use_admin_token(settings) -> None:
    settings.MAGENTO_AUTH_MODE = "admin"
    settings.MAGENTO_USERNAME = "admin"
    settings.MAGENTO_PASSWORD = "admin123"
    forget_admin_token()


def test_it_fetches_an_admin_token_once_and_reuses_it(magento: MagentoSimulator, settings) -> None:
    use_admin_token(settings)
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    client = MagentoClient()
    client.get_order(order["entity_id"])
    client.get_order(order["entity_id"])
    assert len(magento.calls("POST", "integration/admin/token")) == 1


def test_it_fetches_a_new_admin_token_once_when_it_expired(
    magento: MagentoSimulator, settings
) -> None:
    use_admin_token(settings)
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    client = MagentoClient()
    client.get_order(order["entity_id"])
    magento.expire_tokens()
    assert client.get_order(order["entity_id"])["entity_id"] == order["entity_id"]
    assert len(magento.calls("POST", "integration/admin/token")) == 2


def test_it_says_to_use_an_integration_when_2fa_refuses_admin_tokens(
    magento: MagentoSimulator, settings
) -> None:
    use_admin_token(settings)
    magento.two_factor_enabled = True
    with pytest.raises(MagentoError) as error:
        MagentoClient().get_order(1)
    assert error.value.needs_config
    assert "two-factor authentication is on; use an integration" in error.value.message


def test_it_never_records_the_admin_password_or_token(magento: MagentoSimulator, settings) -> None:
    use_admin_token(settings)
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    MagentoClient().get_order(order["entity_id"])
    token = next(iter(magento.admin_tokens))
    for record in CallRecord.objects.all():
        text = record.request_body + record.response_body + record.path + record.error
        assert "admin123" not in text and token not in text


def test_it_interpolates_magento_messages(magento: MagentoSimulator) -> None:
    with pytest.raises(MagentoNotFound) as error:
        MagentoClient().update_stock_item("NOPE", 3)
    assert error.value.message == 'Product with SKU "NOPE" does not exist'
    assert not error.value.transient


def test_a_5xx_is_transient(magento: MagentoSimulator) -> None:
    magento.inject("GET", r"/V1/orders/", "status", status=500)
    with pytest.raises(MagentoError) as error:
        MagentoClient().get_order(1)
    assert error.value.transient and error.value.status == 500


def test_a_timeout_is_transient_and_recorded_without_status(magento: MagentoSimulator) -> None:
    magento.inject("GET", r"/V1/orders/", "timeout_before")
    with pytest.raises(MagentoError) as error:
        MagentoClient().get_order(1)
    assert error.value.transient and error.value.timed_out
    record = CallRecord.objects.get()
    assert record.status is None and record.error.startswith("timeout")


def test_a_business_refusal_is_permanent(magento: MagentoSimulator) -> None:
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}], state="holded")
    with pytest.raises(MagentoError) as error:
        MagentoClient().create_invoice(order["entity_id"], [], capture=False)
    assert not error.value.transient
    assert (
        "An invoice cannot be created when an order has a status of holded" in error.value.message
    )


def test_it_records_each_call_with_method_path_status_and_bodies(magento: MagentoSimulator) -> None:
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    MagentoClient(order_id=None).add_comment(order["entity_id"], "hello")
    record = CallRecord.objects.get()
    assert (record.system, record.method, record.status) == ("magento", "POST", 200)
    assert record.path == f"/rest/default/V1/orders/{order['entity_id']}/comments"
    assert '"comment": "hello"' in record.request_body and record.response_body == "true"


def test_it_accepts_created_ids_as_strings(magento: MagentoSimulator) -> None:
    magento.id_as_string = True
    order = magento.add_order([{"sku": "TS-1", "qty": 1, "price": 100}])
    item_id = order["items"][0]["item_id"]
    invoice_id = MagentoClient().create_invoice(
        order["entity_id"], [{"order_item_id": item_id, "qty": 1}], capture=False
    )
    assert isinstance(invoice_id, int)
