from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from channel import outbox
from channel.integrations import http
from channel.integrations.magento import forget_admin_token
from channel.lib import redaction
from channel.models import ApiKeyScope
from channel.services.apikeys import api_key_create
from simulators.base import SimulatorAdapter
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.settings import MAGENTO_TOKEN, MAGENTO_URL, OMNI_PASSWORD, OMNI_URL


@pytest.fixture(autouse=True)
def _isolated(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.MAGENTO_BASE_URL = MAGENTO_URL
    settings.MAGENTO_AUTH_MODE = "bearer"
    settings.MAGENTO_TOKEN = MAGENTO_TOKEN
    settings.OMNI_BASE_URL = OMNI_URL
    settings.OMNI_AUTH_USERNAME = "omni-user"
    settings.OMNI_AUTH_PASSWORD = OMNI_PASSWORD
    settings.OMNI_AUTH_DOMAIN = "tenant"
    # The fake Magento's orders are older than this test database's go-live moment (its migrate):
    # take them all, as before go-live existed (tests of go-live clear this).
    settings.SYNC_START = "2000-01-01 00:00:00"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    redaction.clear_cache()
    outbox.forget_heartbeats()
    forget_admin_token()
    cache.clear()
    yield
    http.unmount_all()
    redaction.clear_cache()


@pytest.fixture
def omni_key(db: None) -> str:
    return api_key_create(name="omni", scope=ApiKeyScope.OMNI)[1]


@pytest.fixture
def api(omni_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=omni_key)
    return client


@pytest.fixture
def magento() -> MagentoSimulator:
    """A fake Magento 2.4.8 at MAGENTO_URL, in-process; the integration token works as Bearer."""
    sim = MagentoSimulator()
    sim.set_clock("2026-01-31 09:00:00")
    sim.integration_tokens.add(MAGENTO_TOKEN)
    http.mount("http://magento.test", SimulatorAdapter(sim))
    return sim


@pytest.fixture
def omni() -> OmniSimulator:
    """A fake Omni at OMNI_URL, in-process, accepting the configured credentials."""
    sim = OmniSimulator(
        auth_username="omni-user",
        auth_password=OMNI_PASSWORD,
        auth_domain="tenant",
        path_prefix="/assure-magic2",
    )
    http.mount("http://omni.test", SimulatorAdapter(sim))
    return sim
