"""The admin site around the pages: "View site", the favicon, the worker's first heartbeat."""

from __future__ import annotations

import pytest
from django.test import Client
from django_q.signals import post_spawn

from channel.models import Heartbeat
from channel.services.health import WORKER, health_report


def test_view_site_goes_to_the_dashboard(support: Client) -> None:
    page = support.get("/admin/").content.decode()
    assert '<a href="/admin/">View site</a>' in page


def test_a_favicon(support: Client) -> None:
    page = support.get("/admin/").content.decode()
    assert 'rel="icon" type="image/svg+xml" href="/static/channel/favicon.svg"' in page
    response = Client().get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/channel/favicon.svg")


@pytest.mark.django_db
def test_the_worker_writes_its_heartbeat_when_it_starts() -> None:
    assert health_report()["reasons"] == ["no worker heartbeat"]
    post_spawn.send(sender="django_q", proc_name="Worker-1")  # what django-q2 sends at start
    assert Heartbeat.objects.filter(name=WORKER).exists()
    assert health_report()["healthy"]
