"""Failed API keys are counted per real client address; a valid key is never throttled."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from channel.lib.clients import client_address, parse_rate
from channel.services.apikeys import api_key_create

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders"
BALANCER = "10.0.0.2"


def call(key: str, remote: str = "203.0.113.7", forwarded: str | None = None) -> int:
    client = APIClient(REMOTE_ADDR=remote)
    client.credentials(HTTP_X_API_KEY=key)
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client.get(URL, **extra).status_code


def test_a_valid_key_from_a_noisy_address_is_not_throttled() -> None:
    _, raw = api_key_create(name="omni")
    assert [call("omp_wrong") for _ in range(25)][-1] == 429
    assert call(raw) == 200


def test_failures_behind_a_trusted_balancer_count_per_forwarded_client(settings: object) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert [call("omp_wrong", BALANCER, "198.51.100.1") for _ in range(21)][-1] == 429
    assert call("omp_wrong", BALANCER, "198.51.100.2") == 401


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy() -> None:
    statuses = [call("omp_wrong", forwarded=f"198.51.100.{n}") for n in range(21)]
    assert statuses[-1] == 429


def test_trusted_proxies_by_network(settings: object) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for _ in range(21):
        call("omp_wrong", BALANCER, "192.0.2.1, 198.51.100.1, 10.0.0.3")
    assert call("omp_wrong", BALANCER, "198.51.100.1") == 429
    assert call("omp_wrong", BALANCER, "198.51.100.9") == 401


def test_the_configured_failure_rate_is_honoured(settings: object) -> None:
    settings.AUTH_FAILURE_RATE = "3/min"
    assert [call("omp_wrong") for _ in range(4)] == [401, 401, 401, 429]


def test_a_throttled_answer_says_when_to_retry() -> None:
    for _ in range(20):
        call("omp_wrong")
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    client.credentials(HTTP_X_API_KEY="omp_wrong")
    response = client.get(URL)
    assert response.status_code == 429 and response.json()["hasError"] is True
    assert response["Retry-After"] == "60"


NETS = ("10.0.0.0/8",)


@pytest.mark.parametrize(
    ("remote", "forwarded", "count", "trusted", "expected"),
    [
        ("1.2.3.4", "5.6.7.8", 0, (), "1.2.3.4"),
        ("10.0.0.2", "9.9.9.9, 5.6.7.8", 1, (), "5.6.7.8"),
        ("10.0.0.2", "5.6.7.8, 10.0.0.9", 2, (), "5.6.7.8"),
        ("10.0.0.2", "", 1, (), "10.0.0.2"),
        ("1.2.3.4", "5.6.7.8", 0, NETS, "1.2.3.4"),
        ("10.0.0.2", "5.6.7.8", 0, NETS, "5.6.7.8"),
    ],
)
def test_client_address(
    remote: str, forwarded: str, count: int, trusted: tuple, expected: str
) -> None:
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, proxy_count=count, trusted_proxies=trusted) == expected


def test_parse_rate() -> None:
    assert parse_rate("20/min") == (20, 60)
    assert parse_rate("100/hour") == (100, 3600)
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate("fast")


def test_without_redis_the_counter_is_shared_through_the_database(settings: object) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "proxy_cache",
        }
    }
    call_command("createcachetable", verbosity=0)  # as after every migrate (channel.apps)
    assert [call("omp_wrong") for _ in range(21)][-1] == 429

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM proxy_cache")
        assert cursor.fetchone()[0] == 1


def test_a_broken_cache_still_answers_401_for_a_wrong_key(settings: object) -> None:
    settings.CACHES = {  # nothing listens on port 1
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert call("omp_wrong") == 401
