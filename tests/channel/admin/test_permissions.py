"""Read-only means read-only: history pages, admin actions and their permissions."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from channel.models import ApiKey, ApiKeyScope, Courier, Location
from channel.services.apikeys import api_key_create, api_key_revoke
from tests.support.admin import login

pytestmark = pytest.mark.django_db


def revoked_returns_key() -> ApiKey:
    key, _ = api_key_create(name="returns", scope=ApiKeyScope.RETURNS)
    api_key_revoke(key)
    return key


def first_version_url(key: ApiKey) -> str:
    version = key.history.earliest()  # before the revocation
    return f"/admin/channel/apikey/{key.pk}/history/{version.history_id}/"


def revert_post(client: Client, key: ApiKey) -> int:
    data = {"name": key.name, "scope": ApiKeyScope.OMNI, "expires_at_0": "", "expires_at_1": ""}
    return client.post(first_version_url(key), data).status_code


@pytest.mark.parametrize("role", ["auditor", "support"])
def test_a_read_only_role_cannot_revert_a_key_through_its_history_page(role: str) -> None:
    key = revoked_returns_key()
    client = login("someone", role)
    assert revert_post(client, key) == 403
    key.refresh_from_db()
    assert key.revoked_at is not None and key.scope == ApiKeyScope.RETURNS


def test_the_history_page_shows_an_auditor_no_save_button() -> None:
    key = revoked_returns_key()
    page = login("ada", "auditor").get(first_version_url(key))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_a_superuser_may_still_revert() -> None:
    key = revoked_returns_key()
    root = login("root", superuser=True)
    assert 'name="_save"' in root.get(first_version_url(key)).content.decode()
    assert revert_post(root, key) == 302
    key.refresh_from_db()
    assert key.revoked_at is None and key.scope == ApiKeyScope.OMNI


def test_every_admin_action_declares_its_permission() -> None:
    undeclared = [
        f"{type(model_admin).__name__}.{name}"
        for model_admin in admin.site._registry.values()
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", ())
    ]
    assert undeclared == []


def test_an_auditor_is_offered_no_action_anywhere() -> None:
    login("ada", "auditor")
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="ada")
    offered = {
        type(model_admin).__name__: list(model_admin.get_actions(request))
        for model_admin in admin.site._registry.values()
        if model_admin.get_actions(request)
    }
    assert offered == {}


def post_action(client: Client, url: str, action: str, ids: list[int]) -> None:
    client.post(url, {"action": action, "_selected_action": ids}, follow=True)


def test_an_auditor_cannot_revoke_a_key_or_make_a_courier_the_default() -> None:
    key, _ = api_key_create(name="omni")
    courier = Courier.objects.create(name="Delhivery", label_name="Delhivery")
    location = Location.objects.create(code="WH1", name="Main")
    auditor = login("ada", "auditor")
    post_action(auditor, "/admin/channel/apikey/", "revoke", [key.pk])
    post_action(auditor, "/admin/channel/courier/", "make_default", [courier.pk])
    key.refresh_from_db()
    location.refresh_from_db()
    assert key.revoked_at is None
    assert location.default_courier is None
