"""Call records (every call in and out) and audit events (who did what)."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import ReadOnlyMixin
from channel.admin.display import admin_link, readable
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
        "order_link",
        "operation_link",
    )
    list_filter = (
        "direction",
        ("system", RecentValuesFilter),
        ("status", RecentValuesFilter),
        "created_at",
    )
    # A path from its start (e.g. /api/omni/orders/000012345), or the calls of an order.
    search_fields = ("^path", "=order__order_code", "=order__increment_id")
    list_select_related = ("order", "operation")
    readonly_fields = readable(
        [f.name for f in CallRecord._meta.fields], as_json=("request_body", "response_body")
    )
    exclude = ("request_body", "response_body")  # shown readably (readonly_fields)

    @admin.display(description="order", ordering="order")
    def order_link(self, obj: CallRecord) -> str:
        return admin_link(obj.order, obj.order.order_code) if obj.order else "-"

    @admin.display(description="operation")
    def operation_link(self, obj: CallRecord) -> str:
        return admin_link(obj.operation, f"#{obj.operation_id}") if obj.operation else "-"


@admin.register(AuditEvent)
class AuditEventAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "order", "subject", "message")
    list_filter = (("action", RecentValuesFilter), ("actor", RecentValuesFilter), "created_at")
    search_fields = ("=order__order_code", "=order__increment_id", "=subject")
    list_select_related = ("order",)
    readonly_fields = readable([f.name for f in AuditEvent._meta.fields], as_json=("data",))
    exclude = ("data",)
