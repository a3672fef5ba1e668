from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channel.models import ApiKeyScope
from channel.services.apikeys import api_key_create


@pytest.fixture(autouse=True)
def _no_order_push(settings: pytest.FixtureRequest) -> None:
    settings.OMNI_PUSH_ORDERS = False  # only the returns flow talks to Omni here
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins


@pytest.fixture
def returns_api(db: None) -> APIClient:
    """An API client with a key of the `returns` scope."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_create(name="crm", scope=ApiKeyScope.RETURNS)[1])
    return client
