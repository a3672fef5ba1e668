"""Logged-in clients of the Django admin, one per role."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.test import Client

from channel.services.roles import ensure_roles


def login(username: str, group: str | None = None, superuser: bool = False) -> Client:
    """A client logged in as a new staff user in ``group`` (a role), or as a superuser."""
    ensure_roles()
    user = User.objects.create_user(
        username, password="pw-not-used", is_staff=True, is_superuser=superuser
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client
