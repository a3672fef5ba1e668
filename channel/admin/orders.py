"""Orders: read-only mirrors, searchable by every code, with their timeline; re-pull."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import In
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from channel.admin.base import ReadOnlyMixin
from channel.admin.scale import (
    Condition,
    IndexedSearchMixin,
    RecentValuesFilter,
    ScaleAdminMixin,
)
from channel.models import (
    Operation,
    OperationState,
    Order,
    OrderLine,
)
from channel.services import sync, timeline


class OrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = (
        "item_id",
        "sku",
        "name",
        "product_type",
        "qty_ordered",
        "qty_canceled",
        "qty_cancelled_by_omni",
        "qty_packed",
        "qty_invoiced",
        "qty_shipped",
        "qty_handed_over",
        "selling_price_per_unit",
        "discount_per_unit",
        "shipping_charge_per_unit",
    )
    readonly_fields = fields


class HasFailedOperationsFilter(admin.SimpleListFilter):
    title = "failed operations"
    parameter_name = "failed_ops"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has failed operations"), ("no", "No failed operations")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        failed = Operation.objects.filter(state=OperationState.FAILED).values("order_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=failed)
        if self.value() == "no":
            return queryset.exclude(pk__in=failed)
        return queryset


PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{6,19}$")


def phone_variants(term: str) -> list[str]:
    """The ways a phone number may have been typed into Magento (Indian numbers first)."""
    digits = re.sub(r"[^0-9]", "", term)
    last10 = digits[-10:]
    return sorted({term, digits, last10, f"+91{last10}", f"+91 {last10}", f"0{last10}"})


@admin.register(Order)
class OrderAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "order_code",
        "entity_id",
        "magento_state",
        "magento_status",
        "lifecycle",
        "location_code",
        "payment_method",
        "grand_total",
        "magento_created_at",
        "pushed_to_omni_at",
    )
    list_filter = (
        "lifecycle",
        ("magento_state", RecentValuesFilter),
        ("magento_status", RecentValuesFilter),
        ("location_code", RecentValuesFilter),
        ("payment_method", RecentValuesFilter),
        "magento_created_at",
    )
    # Any code support staff may have in hand finds the order (see search_conditions).
    search_fields = (
        "=order_code",
        "=increment_id",
        "=entity_id",
        "=customer_email",
        "=shipping_address__phone",
        "=lines__sku",
        "=shipments__awb_number",
        "=shipments__shipment_code",
        "=shipments__shipment_id",
        "=shipments__manifest_item__manifest__manifest_code",
        "=returns__return_order_code",
        "=returns__awb_number",
    )
    inlines = [OrderLineInline]
    readonly_fields = [f.name for f in Order._meta.fields]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order_code", "increment_id", "entity_id", "store_id"),
                    ("magento_state", "magento_status", "lifecycle", "location_code"),
                    ("customer_name", "customer_email", "is_guest"),
                    ("payment_method", "currency", "grand_total", "shipping_incl_tax"),
                    (
                        "magento_created_at",
                        "magento_updated_at",
                        "acknowledged_at",
                        "pushed_to_omni_at",
                    ),
                    "data_errors",
                    "notes",
                ]
            },
        ),
        ("Addresses", {"classes": ["collapse"], "fields": ["shipping_address", "billing_address"]}),
        (
            "Magento JSON of the last fetch",
            {
                "classes": ["collapse"],
                "fields": ["raw", ("fetched_at", "created_at", "updated_at")],
            },
        ),
    ]
    actions = ["repull_from_magento"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        order = self.get_object(request, object_id)
        extra = {"timeline": timeline.order_timeline(order) if order else None}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.action(description="Re-pull selected orders from Magento now")
    def repull_from_magento(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        report = sync.orders_repull(selected=queryset[:50], actor=request.user.get_username())
        self.message_user(request, f"Re-pulled {report.done} order(s) from Magento.")
        for error in report.errors:
            self.message_user(
                request, f"Magento refused or did not answer for {error}", messages.ERROR
            )

    def search_conditions(self, term: str) -> list[Condition]:
        """Exact lookups on indexed columns, chosen by the term's shape: an e-mail is only an
        e-mail, a number may also be an entity id, a shipment id or a phone number."""
        if "@" in term:
            return [("customer_email__in", sorted({term, term.lower()}))]
        codes = sorted({term, term.upper()})
        conditions: list[Condition] = [
            ("order_code__in", codes),
            ("increment_id__in", codes),
            ("lines__sku__in", codes),
            ("shipments__awb_number__in", codes),
            ("shipments__shipment_code__in", codes),
            ("shipments__manifest_item__manifest__manifest_code__in", codes),
            ("returns__return_order_code__in", codes),
            ("returns__awb_number__in", codes),
        ]
        if term.isdigit() and len(term) <= 18:
            conditions += [
                ("increment_id__exact", term.zfill(9)),  # "12345" for Magento's 000012345
                ("entity_id__exact", int(term)),
                ("shipments__shipment_id__exact", int(term)),
            ]
        if PHONE.match(term):
            phone = KeyTextTransform("phone", "shipping_address")
            conditions.append(Q(In(phone, phone_variants(term))))
        return conditions
