"""Caps on every list Omni sends: a 400 naming the limit, before any work is done."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from channel.models import AuditEvent, CallRecord

pytestmark = pytest.mark.django_db


def acknowledge(api: APIClient, body: dict) -> object:
    url = "/api/omni/orders/acknowledge"
    return api.put(url, json.dumps(body), content_type="application/json")


def test_acknowledging_40000_unknown_codes_is_refused_at_once(api: APIClient) -> None:
    body = {"orders": [{"orderCode": f"X{n}"} for n in range(40_000)]}
    response = api.put(
        "/api/omni/orders/acknowledge", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["hasError"] is True
    assert "At most 1000 items" in answer["errorMessage"] and "40000" in answer["errorMessage"]
    assert "orders" in answer["errors"]
    assert not AuditEvent.objects.exists()
    assert CallRecord.objects.count() == 1


def test_a_nested_list_is_capped_too(api: APIClient, settings: object) -> None:
    settings.API_MAX_LIST_ITEMS = 3
    body = {"orders": [{"orderCode": "A", "x": [1, 2, 3, 4]}]}
    response = api.put(
        "/api/omni/orders/acknowledge", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert "orders[0].x" in response.json()["errors"]


def test_a_query_parameter_names_at_most_20_values(api: APIClient) -> None:
    many = ",".join(f"s{n}" for n in range(21))
    response = api.get("/api/omni/orders", {"status": many})
    assert response.status_code == 400
    assert "at most 20 values" in response.json()["errorMessage"]
    assert api.get("/api/omni/orders", {"status": "pending,processing"}).status_code == 200
