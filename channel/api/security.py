"""Content-Security-Policy on the pages people open in a browser: the admin and the API docs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PAGES = ("/admin/", "/api/docs/")


class ContentSecurityPolicyMiddleware:
    """Adds CONTENT_SECURITY_POLICY to admin and docs pages (HTML) that do not set their own;
    PDFs shown in the admin are left alone (a browser's PDF viewer may not run under a policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        html = response.get("Content-Type", "").startswith("text/html")
        if policy and html and request.path.startswith(PAGES):
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
