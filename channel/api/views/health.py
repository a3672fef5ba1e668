"""GET /healthz (no API key): 200 when healthy, 503 with the reasons otherwise."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from channel.services.health import health_report


def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["healthy"] else 503)
