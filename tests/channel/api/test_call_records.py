"""An API call's records are written once its answer is sent: the client does not wait for them."""

from __future__ import annotations

import logging

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.test import RequestFactory

from channel.api.middleware import ApiCallRecordMiddleware
from channel.integrations import http
from channel.models import CallRecord

pytestmark = pytest.mark.django_db


def answered(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hasError": False})


def close(response: HttpResponseBase) -> None:
    """What the WSGI server does after writing the answer; without closing the test's database
    connection in the middle of its transaction (as Django's test client does)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_the_records_are_written_when_the_server_closes_the_answer() -> None:
    response = ApiCallRecordMiddleware(answered)(RequestFactory().get("/api/omni/orders"))
    assert response.status_code == 200 and CallRecord.objects.count() == 0  # being sent
    close(response)
    record = CallRecord.objects.get()
    assert (record.path, record.status, record.response_body) == (
        "/api/omni/orders",
        200,
        '{"hasError": false}',
    )


def test_a_record_that_cannot_be_written_is_logged_not_raised(monkeypatch, caplog) -> None:
    def broken(records: list) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(http, "save_records", broken)
    response = ApiCallRecordMiddleware(answered)(RequestFactory().get("/api/omni/orders"))
    with caplog.at_level(logging.ERROR):
        close(response)
    assert "could not store the call records" in caplog.text
