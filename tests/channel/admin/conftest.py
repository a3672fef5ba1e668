from __future__ import annotations

import pytest
from django.test import Client

from tests.support.admin import login


@pytest.fixture
def support(db: None) -> Client:
    return login("sam", "support")


@pytest.fixture
def auditor(db: None) -> Client:
    return login("ada", "auditor")


@pytest.fixture
def superuser(db: None) -> Client:
    return login("root", superuser=True)
