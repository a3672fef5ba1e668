"""What every admin of the proxy shares."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from channel.models import Document


class ReadOnlyMixin:
    """Mirrors are written by the proxy only; superusers may still repair them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def pdf_response(document: Document) -> HttpResponse:
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    return response
