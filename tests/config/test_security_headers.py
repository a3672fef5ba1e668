"""Security headers: a Content-Security-Policy on admin and docs pages; HSTS extras opt-in."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.support.admin import login

pytestmark = pytest.mark.django_db


def test_hsts_preload_and_include_subdomains_are_opt_in() -> None:
    assert settings.SECURE_HSTS_PRELOAD is False
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is False


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/"])
def test_admin_and_docs_pages_carry_a_content_security_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy


def test_the_docs_page_has_no_inline_script(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all("src=" in attributes for attributes in scripts)


def test_the_admin_dashboard_is_covered_too() -> None:
    assert "Content-Security-Policy" in login("root", superuser=True).get("/admin/").headers


def test_the_api_answers_without_a_policy(client: Client) -> None:
    assert "Content-Security-Policy" not in client.get("/api/omni/orders").headers
