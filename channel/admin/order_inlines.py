"""What the order page lists below its lines: its shipments, invoices and documents, each linked
to its own page (returns adds its returns through channel.admin.extensions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from channel.admin.display import short_text
from channel.models import Document, Invoice, Shipment
from channel.services.documents import signed_path


class LinkedInline(admin.TabularInline):
    """A read-only list of an order's related records, each linking to its page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderShipmentInline(LinkedInline):
    model = Shipment
    verbose_name_plural = "Shipments"
    fields = (
        "shipment_code",
        "shipment_id",
        "state",
        "location_code",
        "awb_number",
        "transporter",
        "created_at",
    )
    readonly_fields = fields


class OrderInvoiceInline(LinkedInline):
    model = Invoice
    verbose_name_plural = "Invoices"
    fields = (
        "invoice_number",
        "shipment",
        "state",
        "magento_invoice_id",
        "grand_total",
        "invoice_date",
        "error",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).select_related("shipment")

    @admin.display(description="last error")
    def error(self, obj: Invoice) -> str:
        return short_text(obj.last_error, 60)


class OrderDocumentInline(LinkedInline):
    model = Document
    verbose_name_plural = "Documents"
    fields = ("kind", "key", "size", "updated_at", "pdf")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("content")

    @admin.display(description="PDF")
    def pdf(self, obj: Document) -> str:
        return format_html('<a href="{}" target="_blank">open PDF</a>', signed_path(obj))


ORDER_INLINES: list[type[admin.options.InlineModelAdmin]] = [
    OrderShipmentInline,
    OrderInvoiceInline,
    OrderDocumentInline,
]
