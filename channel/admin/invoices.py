"""Admin for invoices: read-only, searchable by every code (shipments: admin.shipping)."""

from __future__ import annotations

from django.contrib import admin

from channel.admin.base import HistoryAdmin, ReadOnlyMixin
from channel.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, HistoryAdmin):
    list_display = (
        "shipment",
        "order",
        "state",
        "invoice_number",
        "magento_invoice_id",
        "capture",
        "grand_total",
        "invoice_date",
        "last_error",
    )
    list_filter = ("state", "capture", "invoice_date")
    search_fields = (
        "=invoice_number",
        "=magento_invoice_id",
        "=shipment__shipment_code",
        "=order__order_code",
    )
    list_select_related = ("order", "shipment")
    readonly_fields = [f.name for f in Invoice._meta.fields]
    show_full_result_count = False
