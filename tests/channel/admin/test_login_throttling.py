"""Admin logins are throttled (django-axes) per user name and address; the API never is."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def attempt(password: str, remote: str = "203.0.113.7", username: str = "sam") -> int:
    client = Client(REMOTE_ADDR=remote)
    return client.post(LOGIN, {"username": username, "password": password}).status_code


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("sam", password="right-password-1", is_staff=True)


def test_repeated_wrong_passwords_lock_the_login_even_with_the_right_one(staff: User) -> None:
    assert [attempt("wrong") for _ in range(5)][:4] == [200] * 4
    assert attempt("right-password-1") == 429


def test_the_lock_is_per_address_so_a_stranger_cannot_lock_a_user_out(staff: User) -> None:
    for _ in range(6):
        attempt("wrong", remote="198.51.100.66")
    assert attempt("right-password-1") == 302


def test_a_locked_address_still_reaches_the_api_with_its_key(staff: User, omni_key: str) -> None:
    for _ in range(6):
        attempt("wrong")
    api = APIClient(REMOTE_ADDR="203.0.113.7")
    api.credentials(HTTP_X_API_KEY=omni_key)
    assert api.get("/api/omni/orders").status_code == 200
