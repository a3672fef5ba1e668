"""GET /documents/<token>/<filename>: a stored PDF behind an expiring signed link (no API key:
the link is the credential)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from channel.api.errors import domain_status, error_body
from channel.services.documents import content_disposition, document_for_token
from channel.services.errors import DomainError


def document_download(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    """The PDF while the link is valid; never on a bad token."""
    try:
        document = document_for_token(token, filename)
    except DomainError as exc:
        return JsonResponse(error_body(exc.message), status=domain_status(exc))
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(document)
    response["Cache-Control"] = "private, max-age=300"
    return response
