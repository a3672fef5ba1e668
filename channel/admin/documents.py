"""Stored documents (PDFs) with a link to open them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from channel.admin.base import ReadOnlyMixin
from channel.admin.scale import IndexedSearchMixin, ScaleAdminMixin
from channel.models import (
    Document,
)
from channel.services.documents import signed_path


@admin.register(Document)
class DocumentAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("kind", "key", "order", "size", "updated_at", "download")
    list_filter = ("kind",)
    search_fields = ("=key", "=order__order_code")
    list_select_related = ("order",)
    exclude = ("content",)
    readonly_fields = (
        "kind",
        "key",
        "order",
        "checksum",
        "size",
        "created_at",
        "updated_at",
        "download",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("content")

    @admin.display(description="PDF")
    def download(self, obj: Document) -> str:
        return format_html('<a href="{}" target="_blank">open PDF</a>', signed_path(obj))
