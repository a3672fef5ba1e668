from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from channel import http, magento, redaction
from channel.apikeys import api_key_create
from channel.models import ApiKeyScope

MAGENTO_URL = "http://magento.test/rest/default"
OMNI_URL = "http://omni.test/assure-magic2"


@pytest.fixture(autouse=True)
def _isolated(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.MAGENTO_BASE_URL = MAGENTO_URL
    settings.MAGENTO_AUTH_MODE = "bearer"
    settings.MAGENTO_TOKEN = "magento-integration-token-xyz"
    settings.OMNI_BASE_URL = OMNI_URL
    settings.OMNI_AUTH_USERNAME = "omni-user"
    settings.OMNI_AUTH_PASSWORD = "omni-password-secret"
    settings.OMNI_AUTH_DOMAIN = "tenant"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    redaction.clear_cache()
    magento.forget_admin_token()
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
