"""What every admin of the proxy shares."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from channel.models import Document
from channel.services.documents import content_disposition


class ReadOnlyMixin:
    """Mirrors are written by the proxy only; superusers may still repair them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """The base of every admin with history pages (django-simple-history).

    Its history form view checks only view permission and saves what is posted; here a past
    version may be restored ("revert") by superusers only: everybody else sees the versions
    without a Save button and a POST is refused (403)."""

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and self.has_change_permission(request, obj)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.has_change_history_permission(request, obj)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method != "GET" and not self.has_change_history_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def user_may(permission: str) -> Any:
    """A `has_<x>_permission` method for an admin action: the user holds `app.codename`."""

    def check(self: admin.ModelAdmin, request: HttpRequest) -> bool:
        return request.user.has_perm(permission)

    return check


def pdf_response(document: Document) -> HttpResponse:
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(document)
    return response
