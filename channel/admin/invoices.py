"""Admin for invoices: read-only, searchable by every code (shipments: admin.shipping)."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import HistoryAdmin, ReadOnlyMixin
from channel.admin.display import ReadableHistoryMixin, admin_link, readable, short_text
from channel.admin.scale import IndexedSearchMixin, ScaleAdminMixin
from channel.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(
    ScaleAdminMixin, IndexedSearchMixin, ReadableHistoryMixin, ReadOnlyMixin, HistoryAdmin
):
    list_display = (
        "shipment",
        "order_link",
        "state",
        "invoice_number",
        "magento_invoice_id",
        "capture",
        "grand_total",
        "invoice_date",
        "short_error",
    )
    list_filter = ("state", "capture", "invoice_date")
    search_fields = (
        "=invoice_number",
        "=magento_invoice_id",
        "=shipment__shipment_code",
        "=order__order_code",
    )
    list_select_related = ("order", "shipment")
    readonly_fields = readable([f.name for f in Invoice._meta.fields], as_json=("lines", "raw"))
    exclude = ("lines", "raw")  # shown readably (readonly_fields)
    show_full_result_count = False

    @admin.display(description="order", ordering="order")
    def order_link(self, obj: Invoice) -> str:
        return admin_link(obj.order, obj.order.order_code)

    @admin.display(description="last error")
    def short_error(self, obj: Invoice) -> str:
        return short_text(obj.last_error, 60)
