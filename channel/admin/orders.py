"""Orders: read-only mirrors, searchable by every code, with their timeline; re-pull."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import In
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse

from channel.admin import extensions
from channel.admin.base import HistoryAdmin, ReadOnlyMixin
from channel.admin.display import ReadableHistoryMixin, json_field, readable
from channel.admin.order_inlines import ORDER_INLINES
from channel.admin.refunds import CreditMemoInline
from channel.admin.scale import Condition, IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import (
    CreditMemo,
    CreditMemoState,
    Operation,
    OperationState,
    Order,
    OrderLine,
)
from channel.services import dashboard, orders, sync, timeline

ADDRESSES = ("shipping_address", "billing_address")


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


class NewOrdersFilter(admin.SimpleListFilter):
    """The dashboard's honest split of new orders (sent, on its way, held, not sent)."""

    title = "new orders"
    parameter_name = "new"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(dashboard.NEW_SPLITS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in dashboard.NEW_SPLITS:
            return dashboard.new_split(queryset, str(self.value()))
        return queryset


class RefundFailedFilter(admin.SimpleListFilter):
    title = "refunds"
    parameter_name = "refund"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", "Refund failed"), ("refunded", "Refunded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "failed":
            failed = CreditMemo.objects.filter(state=CreditMemoState.FAILED).values("order_id")
            return queryset.filter(pk__in=failed)
        if self.value() == "refunded":
            made = CreditMemo.objects.filter(state=CreditMemoState.CREATED).values("order_id")
            return queryset.filter(pk__in=made)
        return queryset


class AmountsDifferFilter(admin.SimpleListFilter):
    title = "amounts"
    parameter_name = "amounts"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("differ", "Do not add up to Magento's grand total")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "differ":
            return queryset.filter(amount_difference__isnull=False)
        return queryset


PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{6,19}$")


def phone_variants(term: str) -> list[str]:
    """The ways a phone number may have been typed into Magento (Indian numbers first)."""
    digits = re.sub(r"[^0-9]", "", term)
    last10 = digits[-10:]
    return sorted({term, digits, last10, f"+91{last10}", f"+91 {last10}", f"0{last10}"})


@admin.register(Order)
class OrderAdmin(
    ScaleAdminMixin, IndexedSearchMixin, ReadableHistoryMixin, ReadOnlyMixin, HistoryAdmin
):
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
        "not_sent_reason",
    )
    list_filter = (
        "lifecycle",
        NewOrdersFilter,
        "not_sent_reason",
        ("magento_state", RecentValuesFilter),
        ("magento_status", RecentValuesFilter),
        ("location_code", RecentValuesFilter),
        ("payment_method", RecentValuesFilter),
        AmountsDifferFilter,
        "magento_created_at",
        RefundFailedFilter,
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
    readonly_fields = readable(
        [f.name for f in Order._meta.fields],
        as_json=("raw",),
        address=ADDRESSES,
    )
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order_code", "increment_id", "entity_id", "store_id"),
                    ("magento_state", "magento_status", "lifecycle", "location_code"),
                    ("customer_name", "customer_email", "is_guest"),
                    ("payment_method", "currency", "grand_total", "shipping_incl_tax"),
                    "amount_difference",
                    (
                        "magento_created_at",
                        "magento_updated_at",
                        "acknowledged_at",
                        "pushed_to_omni_at",
                    ),
                    ("not_sent_reason", "backfill_run"),
                    "data_errors",
                    "notes",
                ]
            },
        ),
        (
            "Addresses",
            {"fields": readable([("shipping_address", "billing_address")], address=ADDRESSES)},
        ),
        (
            "Magento JSON of the last fetch",
            {"fields": [json_field("raw"), ("fetched_at", "created_at", "updated_at")]},
        ),
    ]
    show_full_result_count = False
    actions = ["repull_from_magento", "reconsider_sending"]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [OrderLineInline, *ORDER_INLINES, CreditMemoInline, *extensions.order_inlines]

    def has_repull_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.replay_operation")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        order = self.get_object(request, object_id)
        extra = {
            "timeline": timeline.order_timeline(order) if order else None,
            "may_repull": self.has_repull_permission(request),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/repull/", view(self.repull_view), name="channel_order_repull"),
            *super().get_urls(),
        ]

    def repull_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The order page's "Re-pull from Magento" button."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_repull_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=pk)
        report = sync.orders_repull(selected=[order], actor=request.user.get_username())
        if report.done:
            self.message_user(request, f"Re-pulled {order.order_code} from Magento.")
        for error in report.errors:
            self.message_user(
                request, f"Magento refused or did not answer for {error}", messages.ERROR
            )
        return HttpResponseRedirect(reverse("admin:channel_order_change", args=[pk]))

    @admin.action(description="Re-pull selected orders from Magento now", permissions=["repull"])
    def repull_from_magento(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        report = sync.orders_repull(selected=queryset[:50], actor=request.user.get_username())
        self.message_user(request, f"Re-pulled {report.done} order(s) from Magento.")
        for error in report.errors:
            self.message_user(
                request, f"Magento refused or did not answer for {error}", messages.ERROR
            )

    @admin.action(
        description="Decide again whether to send to Omni (after a settings fix)",
        permissions=["reconsider_sending"],
    )
    def reconsider_sending(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        sent = sum(orders.order_reconsider(order) for order in queryset[:200])
        self.message_user(request, f"{sent} order(s) sent to Omni or on their way.")

    def has_reconsider_sending_permission(self, request: HttpRequest) -> bool:
        """Support staff (who may replay operations), not auditors."""
        return request.user.has_perm("channel.replay_operation")

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
