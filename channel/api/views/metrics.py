"""GET /metrics: Prometheus' text format, behind its own token (METRICS_TOKEN; off when unset)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from channel.services.metrics import metrics_allowed, metrics_text

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics(request: HttpRequest) -> HttpResponse:
    allowed = metrics_allowed(request.headers.get("Authorization", ""))
    if allowed is None:
        return JsonResponse(
            {"hasError": True, "errorMessage": "No endpoint at /metrics."}, status=404
        )
    if not allowed:
        response = JsonResponse(
            {
                "hasError": True,
                "errorMessage": "Send the metrics token: Authorization: Bearer <token>.",
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE)
