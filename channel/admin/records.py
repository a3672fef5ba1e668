"""Call records (every call in and out) and audit events (who did what)."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import ReadOnlyMixin
from channel.admin.display import admin_link, readable
from channel.models import (
    AuditEvent,
    CallRecord,
)


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
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
    list_filter = ("direction", "system", "status", "created_at")
    search_fields = ("path", "=order__order_code")
    list_select_related = ("order", "operation")
    readonly_fields = readable(
        [f.name for f in CallRecord._meta.fields], as_json=("request_body", "response_body")
    )
    exclude = ("request_body", "response_body")  # shown readably (readonly_fields)
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="order", ordering="order")
    def order_link(self, obj: CallRecord) -> str:
        return admin_link(obj.order, obj.order.order_code) if obj.order else "-"

    @admin.display(description="operation")
    def operation_link(self, obj: CallRecord) -> str:
        return admin_link(obj.operation, f"#{obj.operation_id}") if obj.operation else "-"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "order", "subject", "message")
    list_filter = ("action", "actor", "created_at")
    search_fields = ("=order__order_code", "subject", "message")
    list_select_related = ("order",)
    readonly_fields = readable([f.name for f in AuditEvent._meta.fields], as_json=("data",))
    exclude = ("data",)
