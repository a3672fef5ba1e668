from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from channel.services.roles import ensure_roles


def _login(username: str, group: str | None = None, superuser: bool = False) -> Client:
    ensure_roles()
    user = User.objects.create_user(
        username, password="pw-not-used", is_staff=True, is_superuser=superuser
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support(db: None) -> Client:
    return _login("sam", "support")


@pytest.fixture
def auditor(db: None) -> Client:
    return _login("ada", "auditor")


@pytest.fixture
def superuser(db: None) -> Client:
    return _login("root", superuser=True)
