"""Warehouses (locations), couriers and their AWB series, manifests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin

from channel.admin.base import HistoryAdmin, pdf_response
from channel.admin.display import ReadableHistoryMixin
from channel.admin.scale import IndexedSearchMixin, ScaleAdminMixin
from channel.models import (
    AwbSeries,
    Courier,
    Document,
    Location,
    Manifest,
    ManifestItem,
)
from channel.models.shipping import awb_format
from channel.services import manifests
from channel.services.awb import (
    courier_make_default,
    is_low,
)
from channel.services.errors import DomainError

# --- locations, couriers, series -----------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(ReadableHistoryMixin, HistoryAdmin):
    list_display = ("code", "name", "city", "zip", "default_courier", "address_ready")
    list_select_related = ("default_courier",)
    search_fields = ("=code", "name", "city", "zip")
    fieldsets = (
        (None, {"fields": ("code", "name", "default_courier")}),
        (
            "Warehouse address (labels: return address; manifests: header)",
            {
                "fields": (
                    "line1",
                    "line2",
                    "line3",
                    ("city", "state"),
                    ("zip", "country"),
                    ("phone", "email"),
                    "gstin",
                )
            },
        ),
    )

    @admin.display(boolean=True, description="address ready")
    def address_ready(self, obj: Location) -> bool:
        return obj.has_address


class AwbSeriesInline(admin.TabularInline):
    """The courier's ranges at a glance; they are added and edited on the AWB series pages."""

    model = AwbSeries
    extra = 0
    can_delete = False
    fields = (
        "location",
        "prefix",
        "start",
        "end",
        "suffix",
        "width",
        "check_digit",
        "active",
        "next_number",
        "left",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="left")
    def left(self, obj: AwbSeries) -> str:
        return "" if obj.pk is None else str(obj.remaining)


def _stock(left: int | None) -> str:
    left = left or 0
    if left == 0:
        return format_html('<strong style="color:#ba2121">{}</strong>', "used up")
    if is_low(left):
        return format_html('<strong style="color:#ba2121">{} (low)</strong>', left)
    return str(left)


@admin.register(Courier)
class CourierAdmin(ReadableHistoryMixin, HistoryAdmin):
    list_display = (
        "name",
        "label_name",
        "magento_carrier_code",
        "is_default",
        "active",
        "awbs_left",
        "locations",
    )
    list_filter = ("active", "is_default")
    search_fields = ("name", "label_name")
    fields = ("name", "label_name", "magento_carrier_code", "is_default", "active")
    inlines = [AwbSeriesInline]
    actions = ["make_default"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Courier]:
        usable = Q(series__active=True, series__next_number__lte=F("series__end"))
        left = Sum(F("series__end") - F("series__next_number") + 1, filter=usable)
        return (
            super().get_queryset(request).annotate(left=left).prefetch_related("default_locations")
        )

    @admin.display(description="AWBs left", ordering="left")
    def awbs_left(self, obj: Courier) -> str:
        return _stock(getattr(obj, "left", 0))

    @admin.display(description="default at")
    def locations(self, obj: Courier) -> str:
        return ", ".join(location.code for location in obj.default_locations.all())

    @admin.action(
        description="Make the selected courier the default for all locations",
        permissions=["change"],
    )
    def make_default(self, request: HttpRequest, queryset: QuerySet[Courier]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one courier.", messages.ERROR)
            return
        courier = queryset.get()
        courier_make_default(courier=courier)
        self.message_user(request, f"{courier} is now the default courier.")


class LowStockFilter(admin.SimpleListFilter):
    title = "AWB stock"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("low", "Nearly used up"), ("empty", "Used up")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AwbSeries]) -> QuerySet:
        left = F("end") - F("next_number") + 1
        if self.value() == "low":
            return queryset.alias(left=left).filter(
                left__gt=0, left__lte=settings.AWB_LOW_STOCK_THRESHOLD
            )
        if self.value() == "empty":
            return queryset.filter(next_number__gt=F("end"))
        return queryset


@admin.register(AwbSeries)
class AwbSeriesAdmin(ReadableHistoryMixin, HistoryAdmin):
    list_display = (
        "__str__",
        "courier",
        "location",
        "next_awb",
        "used",
        "left",
        "check_digit",
        "active",
    )
    list_filter = ("courier", "location", "active", "check_digit", LowStockFilter)
    list_select_related = ("courier", "location")
    search_fields = ("courier__name", "prefix", "suffix")
    fields = (
        "courier",
        "location",
        "prefix",
        "start",
        "end",
        "suffix",
        "width",
        "check_digit",
        "active",
        "next_number",
        "example",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The next number only moves forward through allocation; the range is fixed once used.
        if obj is None:
            return ("next_number", "example")
        fixed = ("courier", "prefix", "suffix", "start", "width", "check_digit")
        return ("next_number", "example", *fixed)

    @admin.display(description="next AWB")
    def next_awb(self, obj: AwbSeries) -> str:
        return awb_format(obj, obj.next_number) if obj.remaining else "—"

    @admin.display(description="example (first AWB)")
    def example(self, obj: AwbSeries) -> str:
        return awb_format(obj, obj.start) if obj.pk else "shown after saving"

    @admin.display(description="used")
    def used(self, obj: AwbSeries) -> str:
        return f"{obj.next_number - obj.start} of {obj.size}"

    @admin.display(description="left")
    def left(self, obj: AwbSeries) -> str:
        return _stock(obj.remaining)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        threshold = settings.AWB_LOW_STOCK_THRESHOLD
        usable = Q(series__active=True, series__next_number__lte=F("series__end"))
        left = Sum(F("series__end") - F("series__next_number") + 1, filter=usable)
        couriers = Courier.objects.filter(active=True).annotate(left=left)
        for courier in couriers:
            if (courier.left or 0) <= threshold:
                self.message_user(
                    request,
                    f"{courier.name}: only {courier.left or 0} AWB numbers left (threshold "
                    f"{threshold}). Add a series before labels fail.",
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)


# --- shipments -----------------------------------------------------------------------------------


class ManifestItemInline(admin.TabularInline):
    model = ManifestItem
    extra = 0
    can_delete = False
    fields = ("position", "shipment", "order", "awb", "box_awbs")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ManifestItem]:
        return super().get_queryset(request).select_related("shipment__order")

    @admin.display(description="order")
    def order(self, obj: ManifestItem) -> str:
        return obj.shipment.order.order_code

    @admin.display(description="AWB")
    def awb(self, obj: ManifestItem) -> str:
        return obj.shipment.awb_number


@admin.register(Manifest)
class ManifestAdmin(ScaleAdminMixin, IndexedSearchMixin, admin.ModelAdmin):
    list_display = (
        "manifest_code",
        "manifest_id",
        "transporter",
        "location_code",
        "shipments",
        "created_at",
        "documents",
    )
    list_filter = ("transporter", "location_code", "created_at")
    search_fields = (
        "=manifest_code",
        "=manifest_id",
        "=items__shipment__shipment_code",
        "=items__shipment__awb_number",
        "=items__shipment__order__order_code",
    )
    readonly_fields = ("documents",) + tuple(f.name for f in Manifest._meta.fields)
    inlines = [ManifestItemInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Manifest]:
        # Counted per listed manifest (a subquery), not by grouping every item of every manifest.
        items = ManifestItem.objects.filter(manifest=OuterRef("pk")).order_by()
        count = items.values("manifest").annotate(n=Count("pk")).values("n")
        shipments = Coalesce(Subquery(count), 0)
        return super().get_queryset(request).annotate(shipment_count=shipments)

    @admin.display(description="shipments", ordering="shipment_count")
    def shipments(self, obj: Manifest) -> int:
        return getattr(obj, "shipment_count", 0)

    @admin.display(description="documents")
    def documents(self, obj: Manifest) -> str:
        return format_html(
            '<a href="{}" target="_blank">PDF</a> | <a href="{}" target="_blank">Print</a>',
            reverse("admin:channel_manifest_pdf", args=[obj.pk]),
            reverse("admin:channel_manifest_print", args=[obj.pk]),
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/", view(self.pdf_view), name="channel_manifest_pdf"),
            path("<int:pk>/print/", view(self.print_view), name="channel_manifest_print"),
            *super().get_urls(),
        ]

    def _document(self, request: HttpRequest, manifest: Manifest) -> Document | None:
        try:
            return manifests.manifest_document(manifest, actor=request.user.get_username())
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None

    @xframe_options_sameorigin
    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        manifest = get_object_or_404(Manifest, pk=pk)
        document = self._document(request, manifest)
        if document is None:
            return HttpResponseRedirect(reverse("admin:channel_manifest_change", args=[pk]))
        return pdf_response(document)

    def print_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        manifest = get_object_or_404(Manifest, pk=pk)
        try:
            data = manifests.manifest_data(manifest)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:channel_manifest_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Manifest {manifest.manifest_code}",
            "opts": self.model._meta,
            "manifest": manifest,
            "doc": data,
            "pdf_url": reverse("admin:channel_manifest_pdf", args=[pk]),
        }
        return TemplateResponse(request, "admin/channel/manifest/print.html", context)
