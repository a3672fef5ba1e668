"""Admin for shipments and invoices: read-only, searchable by every code (imported by admin)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from channel.admin import ReadOnlyMixin
from channel.models import Invoice, Shipment, ShipmentLine


class ShipmentLineInline(ReadOnlyMixin, admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = ("order_line", "quantity")
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "shipment_code",
        "shipment_id",
        "order",
        "location_code",
        "state",
        "awb_number",
        "transporter",
        "magento_shipment_id",
        "created_at",
        "handed_over_at",
    )
    list_filter = ("state", "location_code", "created_at")
    search_fields = (
        "=shipment_code",
        "=shipment_id",
        "=awb_number",
        "=order__order_code",
        "=magento_shipment_id",
    )
    list_select_related = ("order",)
    readonly_fields = [f.name for f in Shipment._meta.fields]
    inlines = [ShipmentLineInline]
    show_full_result_count = False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
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
