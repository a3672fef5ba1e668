"""Stored documents (PDFs) with a link to open them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from channel.admin.base import ReadOnlyMixin, user_may
from channel.admin.scale import IndexedSearchMixin, ScaleAdminMixin
from channel.models import (
    Document,
)
from channel.services.documents import document_links_revoke, signed_path


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

    actions = ["revoke_links"]
    has_revoke_links_permission = user_may("channel.revoke_document_links")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("content")

    @admin.display(description="PDF")
    def download(self, obj: Document) -> str:
        return format_html('<a href="{}" target="_blank">open PDF</a>', signed_path(obj))

    @admin.action(
        description="Revoke every link given out to the selected documents",
        permissions=["revoke_links"],
    )
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        count = document_links_revoke(documents=queryset, actor=request.user.get_username())
        self.message_user(
            request,
            f"Links to {count} document(s) revoked; Omni gets new ones when it asks again.",
            messages.SUCCESS,
        )
