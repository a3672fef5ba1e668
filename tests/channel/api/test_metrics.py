"""GET /metrics: off without METRICS_TOKEN, its own token, Prometheus' text format with the
backlog, oldest pending age, sync lag, calls with latency histograms and the heartbeat age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from channel.models import CallRecord, Flow, FlowState, Operation, OperationState
from channel.services.health import beat
from channel.services.metrics import histogram_counts

pytestmark = pytest.mark.django_db
TOKEN = "scrape-me"


def test_metrics_are_off_without_a_token(client: Client) -> None:
    assert client.get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_need_their_own_token(client: Client) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_X_API_KEY=TOKEN).status_code == 401


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_text(client: Client) -> None:
    old = timezone.now() - timedelta(minutes=10)
    Operation.objects.create(kind="omni.push_order", idempotency_key="a", created_at=old)
    Operation.objects.create(
        kind="omni.push_order", idempotency_key="b", state=OperationState.FAILED
    )
    FlowState.objects.create(
        flow=Flow.INTAKE, last_success_at=timezone.now() - timedelta(seconds=90)
    )
    beat()
    for ms, status in ((40, 200), (300, 200), (12000, None)):
        CallRecord.objects.create(
            direction="out",
            system="magento",
            method="GET",
            path="/V1/orders",
            status=status,
            duration_ms=ms,
        )
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert 'proxy_outbox_operations{kind="omni.push_order",state="pending"} 1' in text
    assert 'proxy_outbox_operations{kind="omni.push_order",state="failed"} 1' in text
    age = float(text.split("\nproxy_outbox_oldest_pending_age_seconds ")[1].split()[0])
    assert 599 < age < 700
    assert f'proxy_sync_lag_seconds{{flow="{Flow.INTAKE.value}"}} 9' in text
    assert 'proxy_flow_paused{flow="push"} 0' in text
    assert "proxy_worker_heartbeat_age_seconds 0" in text
    assert 'proxy_calls_last_hour{direction="out",target="magento",status="200"} 2' in text
    assert 'proxy_calls_last_hour{direction="out",target="magento",status="none"} 1' in text
    assert "# TYPE proxy_call_duration_seconds histogram" in text
    assert (
        'proxy_call_duration_seconds_bucket{direction="out",target="magento",le="0.05"} 1' in text
    )
    assert (
        'proxy_call_duration_seconds_bucket{direction="out",target="magento",le="+Inf"} 3' in text
    )
    assert 'proxy_call_duration_seconds_sum{direction="out",target="magento"} 12.34' in text


def test_histogram_buckets_are_cumulative() -> None:
    counts, total, seconds = histogram_counts([40, 300, 12000])
    assert counts == [1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert (total, seconds) == (3, pytest.approx(12.34))
