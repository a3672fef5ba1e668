"""API keys: create (the raw key is shown once), revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from channel.admin.base import HistoryAdmin
from channel.admin.display import ReadableHistoryMixin
from channel.models import (
    ApiKey,
)
from channel.services.apikeys import api_key_create, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(ReadableHistoryMixin, HistoryAdmin):
    list_display = (
        "name",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("scope",)
    search_fields = ("name", "prefix")
    fields = ("name", "scope", "expires_at", "prefix", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(name=obj.name, scope=obj.scope, expires_at=obj.expires_at)
        obj.pk, obj.prefix, obj.key_hash = key.pk, key.prefix, key.key_hash
        obj._state.adding = False
        self.message_user(
            request, f"Key created. Copy it now, it is not shown again: {raw}", messages.WARNING
        )

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
