"""GET /healthz: database, worker heartbeat, oldest pending operation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from channel import outbox
from channel.models import Operation
from channel.services import health

pytestmark = pytest.mark.django_db


def test_it_is_unhealthy_without_a_worker_heartbeat() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["no worker heartbeat"]


def test_it_is_healthy_with_a_recent_heartbeat_and_no_old_work() -> None:
    health.beat()
    body = Client().get("/healthz").json()
    assert body["healthy"] is True and body["database"] == "ok"


def test_it_reports_an_operation_waiting_too_long(settings) -> None:
    health.beat()
    operation = outbox.enqueue("omni.push_order", key="old")
    Operation.objects.filter(pk=operation.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.OUTBOX_ALERT_AGE_MINUTES + 1)
    )
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["an operation has been pending too long"]
