"""Call records (every call in and out) and audit events (who did what)."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import ReadOnlyMixin
from channel.admin.scale import IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import (
    AuditEvent,
    CallRecord,
)


@admin.register(CallRecord)
class CallRecordAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "direction",
        "system",
        "method",
        "path",
        "status",
        "duration_ms",
        "order",
    )
    list_filter = (
        "direction",
        ("system", RecentValuesFilter),
        ("status", RecentValuesFilter),
        "created_at",
    )
    # A path from its start (e.g. /api/omni/orders/000012345), or the calls of an order.
    search_fields = ("^path", "=order__order_code", "=order__increment_id")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in CallRecord._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "order", "subject", "message")
    list_filter = (("action", RecentValuesFilter), ("actor", RecentValuesFilter), "created_at")
    search_fields = ("=order__order_code", "=order__increment_id", "=subject")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
