"""API keys: hashed, scoped, revocable, expiring; every failure has the hasError body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from channel.models import ApiKey, ApiKeyScope, CallRecord
from channel.services import apikeys
from channel.services.apikeys import api_key_create, api_key_revoke, hash_key

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders"


def call(key: str | None) -> tuple[int, dict]:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_X_API_KEY=key)
    response = client.get(URL)
    return response.status_code, response.json()


def test_it_answers_401_without_a_key() -> None:
    assert call(None) == (
        401,
        {"hasError": True, "errorMessage": "An API key is required in the X-Api-Key header."},
    )


def test_it_answers_401_for_a_wrong_key() -> None:
    api_key_create(name="omni")
    assert call("omp_wrong")[0] == 401
    assert call("omp_wrong")[1]["hasError"] is True


def test_it_accepts_a_valid_key_and_stores_only_its_hash() -> None:
    key, raw = api_key_create(name="omni")
    assert call(raw)[0] == 200
    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(raw) and raw not in stored.key_hash


def test_it_refuses_a_revoked_or_expired_key() -> None:
    key, raw = api_key_create(name="old")
    api_key_revoke(key)
    _, expired = api_key_create(name="exp", expires_at=timezone.now() - timedelta(seconds=1))
    assert call(raw)[0] == 401
    assert call(expired)[0] == 401


def test_it_answers_403_for_a_key_of_the_wrong_scope() -> None:
    _, raw = api_key_create(name="returns", scope=ApiKeyScope.RETURNS)
    status, body = call(raw)
    assert status == 403 and body["hasError"] is True


def test_it_accepts_several_active_keys_for_rotation() -> None:
    _, first = api_key_create(name="a")
    _, second = api_key_create(name="b")
    assert (call(first)[0], call(second)[0]) == (200, 200)


def test_it_throttles_a_client_after_repeated_failures() -> None:
    statuses = [call("omp_wrong-key")[0] for _ in range(22)]
    assert statuses[:20] == [401] * 20
    assert statuses[-1] == 429


def test_it_uses_the_configured_header_name(settings: object) -> None:
    settings.API_KEY_HEADER = "X-Omni-Key"
    _, raw = api_key_create(name="omni")
    client = APIClient()
    client.credentials(HTTP_X_OMNI_KEY=raw)
    assert client.get(URL).status_code == 200


def test_it_records_every_inbound_call_with_its_key() -> None:
    key, raw = api_key_create(name="omni")
    call(raw)
    record = CallRecord.objects.get(direction="in")
    assert (record.method, record.path, record.status, record.api_key_id) == (
        "GET",
        URL,
        200,
        key.pk,
    )


def test_it_records_a_body_with_a_nul_byte(api: APIClient) -> None:
    """Found by the fuzzer: PostgreSQL refused the record, and the call answered 500."""
    response = api.generic("PUT", "/api/omni/orders/cancel", b"\x00", "application/json")
    assert response.status_code == 400
    assert response.json() == {
        "hasError": True,
        "errorMessage": "The request body is not valid JSON.",
    }
    record = CallRecord.objects.get(direction="in")
    assert (record.status, record.request_body) == (400, "\\x00")


def test_it_answers_json_for_an_unknown_api_path() -> None:
    _, raw = api_key_create(name="omni")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    response = client.get("/api/omni/nothing-here/at/all")
    assert response.status_code == 404
    assert response.json()["hasError"] is True


def test_create_api_key_prints_the_key_alone_on_the_last_line(capsys: object) -> None:
    call_command("create_api_key", "omni-prod", "--scope", "omni")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw.startswith("omp_") and call(raw)[0] == 200


def test_the_body_of_a_request_without_a_valid_key_is_not_stored() -> None:
    body = '{"orderCode": "' + "x" * 1_000_000 + '"}'
    for key in (None, "omp_wrong"):
        client = APIClient()
        if key:
            client.credentials(HTTP_X_API_KEY=key)
        response = client.put("/api/omni/inventory", body, content_type="application/json")
        assert response.status_code == 401
    records = list(CallRecord.objects.values_list("request_body", flat=True))
    assert len(records) == 2
    assert all(len(stored) < 200 and "not stored" in stored for stored in records)


def key_queries(raw: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(raw)
    return sum('FROM "channel_apikey"' in q["sql"] for q in captured)


def test_a_worker_remembers_a_valid_key_instead_of_reading_it_every_time() -> None:
    _, raw = api_key_create(name="omni")
    assert (key_queries(raw), key_queries(raw)) == (1, 0)


def test_a_key_revoked_or_changed_in_this_worker_is_refused_at_once() -> None:
    key, raw = api_key_create(name="omni")
    assert call(raw)[0] == 200
    key.scope = ApiKeyScope.RETURNS  # admin's change form saves the row
    key.save()
    assert call(raw)[0] == 403
    api_key_revoke(key)
    assert call(raw)[0] == 401


def test_another_workers_revocation_is_seen_after_api_key_cache_seconds(settings) -> None:
    key, raw = api_key_create(name="omni")
    assert call(raw)[0] == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # no signal here
    assert call(raw)[0] == 200  # still remembered
    settings.API_KEY_CACHE_SECONDS = 0
    assert call(raw)[0] == 401


def test_a_remembered_key_stops_working_when_it_expires() -> None:
    key, raw = api_key_create(name="omni", expires_at=timezone.now() + timedelta(hours=1))
    assert call(raw)[0] == 200
    remembered = next(iter(apikeys._remembered.values()))[1]
    remembered.expires_at = timezone.now() - timedelta(seconds=1)  # an hour later
    assert call(raw)[0] == 401
