"""Admin for invoices: read-only, searchable by every code (shipments: admin.shipping)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from channel.admin.base import ReadOnlyMixin
from channel.admin.scale import IndexedSearchMixin, ScaleAdminMixin
from channel.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, SimpleHistoryAdmin):
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
