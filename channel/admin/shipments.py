"""Shipments: read-only except the AWB, which support may assign; the label PDF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin

from channel.admin import extensions
from channel.admin.base import HistoryAdmin, pdf_response, user_may
from channel.admin.display import ReadableHistoryMixin, admin_link, readable
from channel.admin.scale import IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import (
    Courier,
    Shipment,
    ShipmentLine,
)
from channel.services import labels
from channel.services.awb import (
    awb_allocate,
    shipment_assign_awb,
)
from channel.services.errors import DomainError

ASSIGN_AWB = "channel.assign_awb"
SHIPMENT_JSON = ("box_awbs", "dimensions", "pack_request")


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = ("order_line", "sku", "quantity")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="SKU")
    def sku(self, obj: ShipmentLine) -> str:
        return obj.order_line.sku


class AssignAwbForm(forms.Form):
    awb = forms.CharField(label="AWB number", max_length=64)
    transporter = forms.CharField(
        max_length=100, help_text="The courier's name as Omni knows it, e.g. Delhivery"
    )


@admin.register(Shipment)
class ShipmentAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadableHistoryMixin, HistoryAdmin):
    list_display = (
        "shipment_code",
        "shipment_id",
        "order_link",
        "location_code",
        "state",
        "awb_number",
        "transporter",
        "manifest",
        "created_at",
    )  # fits 1280 px; the AWB's source is a filter and on the shipment's page
    list_filter = (
        "state",
        "awb_source",
        ("location_code", RecentValuesFilter),
        ("transporter", RecentValuesFilter),
        "created_at",
    )
    search_fields = (
        "=shipment_code",
        "=shipment_id",
        "=awb_number",
        "=order__order_code",
        "=magento_shipment_id",
    )
    list_select_related = ("order", "manifest_item__manifest")
    readonly_fields = readable(
        ["awb_tools", *(f.name for f in Shipment._meta.fields)],
        as_json=SHIPMENT_JSON,
    )
    exclude = SHIPMENT_JSON  # shown readably (readonly_fields)
    inlines = [ShipmentLineInline]

    @property
    def actions(self) -> list[Any]:  # other apps add theirs (channel.admin.extensions)
        return ["allocate_awbs", *extensions.shipment_actions]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    @admin.display(description="order", ordering="order")
    def order_link(self, obj: Shipment) -> str:
        return admin_link(obj.order, obj.order.order_code)

    @admin.display(description="manifest")
    def manifest(self, obj: Shipment) -> str:
        item = getattr(obj, "manifest_item", None)
        return item.manifest.manifest_code if item else ""

    @admin.display(description="AWB and label")
    def awb_tools(self, obj: Shipment) -> str:
        assign = reverse("admin:channel_shipment_assign_awb", args=[obj.pk])
        label = reverse("admin:channel_shipment_label", args=[obj.pk])
        return format_html(
            '<a class="button" href="{}">Assign or replace AWB</a> '
            '<a class="button" href="{}" target="_blank">Label PDF</a>',
            assign,
            label,
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/assign-awb/",
                view(self.assign_awb_view),
                name="channel_shipment_assign_awb",
            ),
            path("<int:pk>/label/", view(self.label_view), name="channel_shipment_label"),
            *super().get_urls(),
        ]

    def assign_awb_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(ASSIGN_AWB):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        initial = {"awb": shipment.awb_number, "transporter": shipment.transporter}
        form = AssignAwbForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                shipment = shipment_assign_awb(
                    shipment=shipment,
                    awb=form.cleaned_data["awb"],
                    transporter=form.cleaned_data["transporter"],
                    actor=request.user.get_username(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, f"{shipment}: AWB {shipment.awb_number} ({shipment.transporter})."
                )
                change = reverse("admin:channel_shipment_change", args=[shipment.pk])
                return HttpResponseRedirect(change)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Assign or replace the AWB of shipment {shipment}",
            "opts": self.model._meta,
            "shipment": shipment,
            "form": form,
            "couriers": Courier.objects.filter(active=True).values_list("name", flat=True),
        }
        return TemplateResponse(request, "admin/channel/shipment/assign_awb.html", context)

    @xframe_options_sameorigin
    def label_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        change = reverse("admin:channel_shipment_change", args=[pk])
        if not shipment.awb_number:
            self.message_user(
                request, f"{shipment} has no AWB yet: assign one first.", messages.ERROR
            )
            return HttpResponseRedirect(change)
        try:
            document = labels.label_document(shipment, actor=request.user.get_username())
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(change)
        return pdf_response(document)

    has_assign_awb_permission = user_may(ASSIGN_AWB)
    # Returns' "mark RTO" (channel.admin.extensions) creates a return.
    has_add_return_permission = user_may("returns.add_returnorder")

    @admin.action(
        description="Allocate an AWB from the courier series (shipments without one)",
        permissions=["assign_awb"],
    )
    def allocate_awbs(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        if not request.user.has_perm(ASSIGN_AWB):
            raise PermissionDenied
        done, problems = 0, []
        for shipment in queryset.filter(awb_number=""):
            try:
                awb_allocate(shipment=shipment, actor=request.user.get_username())
                done += 1
            except DomainError as exc:
                problems.append(exc.message)
        self.message_user(request, f"Allocated {done} AWB(s).")
        for problem in problems[:5]:
            self.message_user(request, problem, messages.ERROR)


# --- manifests -----------------------------------------------------------------------------------
