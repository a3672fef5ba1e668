"""Admin for credit memos: read-only, searchable by every code; also inline on the order page."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import HistoryAdmin, ReadOnlyMixin
from channel.admin.display import ReadableHistoryMixin
from channel.models import CreditMemo

FIELDS = (
    "creditmemo_number",
    "purpose",
    "state",
    "online",
    "grand_total",
    "magento_creditmemo_id",
    "magento_invoice_id",
    "items",
    "last_error",
    "created_at",
)


class CreditMemoInline(ReadOnlyMixin, admin.TabularInline):
    model = CreditMemo
    extra = 0
    can_delete = False
    fields = FIELDS
    readonly_fields = FIELDS
    verbose_name = "credit memo (refund)"
    verbose_name_plural = "credit memos (refunds)"


@admin.register(CreditMemo)
class CreditMemoAdmin(ReadableHistoryMixin, ReadOnlyMixin, HistoryAdmin):
    list_display = (
        "order",
        "creditmemo_number",
        "purpose",
        "state",
        "online",
        "grand_total",
        "created_at",
        "last_error",
    )
    list_filter = ("state", "purpose", "online", "created_at")
    search_fields = ("=creditmemo_number", "=magento_creditmemo_id", "=order__order_code")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in CreditMemo._meta.fields]
    show_full_result_count = False
