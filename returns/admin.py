"""Returns in the support tool: create from the order page, mark RTO, fix and replay, timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from channel.admin.base import HistoryAdmin
from channel.admin.display import ReadableHistoryMixin
from channel.admin.scale import IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import Order, OrderLine
from channel.services import timeline
from returns import services
from returns.models import CODE_LENGTH, ReturnItem, ReturnOrder, ReturnState, ReturnType

SENDABLE_AGAIN = (ReturnState.DRAFT, ReturnState.FAILED, ReturnState.QUEUED)  # return_replay

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

EDITABLE_FIELDS = ("location_code", "awb_number", "transporter")


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    RANGES = {  # (newer than, older than) in days
        "1d": (None, 1),
        "7d": (1, 7),
        "30d": (7, 30),
        "old": (30, None),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("1d", "Less than a day"),
            ("7d", "1 to 7 days"),
            ("30d", "7 to 30 days"),
            ("old", "Older than 30 days"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in self.RANGES:
            return queryset
        older, newer = self.RANGES[value]
        now = timezone.now()
        if older is not None:
            queryset = queryset.filter(created_at__lte=now - timedelta(days=older))
        if newer is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=newer))
        return queryset


class ReturnItemInline(admin.TabularInline):
    model = ReturnItem
    extra = 0
    can_delete = False
    fields = (
        "item_code",
        "channel_sku_code",
        "order_line",
        "reason",
        "qc_status",
        "qc_reason",
        "image_urls",
        "qc_at",
        "magento_creditmemo_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _UnitCount(TypedDict):
    unit_count: int  # annotated by ReturnOrderAdmin.get_queryset


@admin.register(ReturnOrder)
class ReturnOrderAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadableHistoryMixin, HistoryAdmin):
    list_display = (
        "return_order_code",
        "order",
        "order_type",
        "state",
        "units",
        "awb_number",
        "location_code",
        "created_at",
        "short_error",
    )
    list_filter = ("state", "order_type", AgeFilter, ("location_code", RecentValuesFilter))
    search_fields = (
        "=return_order_code",
        "=items__item_code",
        "=order__order_code",
        "=order__increment_id",
        "=awb_number",
    )
    list_select_related = ("order",)
    list_keep = ("last_error",)
    inlines = [ReturnItemInline]
    actions = ["replay_selected", "submit_drafts"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "return_order_code",
                    "order",
                    "shipment",
                    "order_type",
                    "state",
                    "last_error",
                    "location_code",
                    "awb_number",
                    "transporter",
                    "return_order_time",
                    "created_by",
                    "created_at",
                    "sent_at",
                    "refunded",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnOrder]:
        # Counted per listed return (a subquery), not by grouping every item of every return.
        items = ReturnItem.objects.filter(return_order=OuterRef("pk")).order_by()
        count = items.values("return_order").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).annotate(unit_count=Coalesce(Subquery(count), 0))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        every = [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]
        if obj is not None and obj.is_editable:
            return [f for f in every if f not in EDITABLE_FIELDS]
        return every

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft (never sent) may be thrown away; its units become returnable again.
        return (
            obj is not None
            and obj.state == ReturnState.DRAFT
            and super().has_delete_permission(request, obj)
        )

    @admin.display(description="units", ordering="unit_count")
    def units(self, obj: WithAnnotations[ReturnOrder, _UnitCount]) -> int:
        return obj.unit_count

    @admin.display(description="refunded")
    def refunded(self, obj: ReturnOrder) -> str:
        memos = services.return_refunds(obj)
        if not memos:
            return "—"
        return "; ".join(
            f"{memo.grand_total} {memo.way} (Magento credit memo {memo.creditmemo_number})"
            for memo in memos
        )

    @admin.display(description="last error")
    def short_error(self, obj: ReturnOrder) -> str:
        return obj.last_error[:120]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        """The return's page shows the same timeline component as the order's."""
        return_order = self.get_object(request, object_id)
        extra = {
            "timeline": timeline.subject_timeline(return_order.subject) if return_order else None,
            "may_send_again": self.has_replay_permission(request)
            and return_order is not None
            and return_order.state in SENDABLE_AGAIN,
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def save_model(self, request: HttpRequest, obj: ReturnOrder, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            return
        try:
            services.return_edit(
                return_order=obj, actor=request.user.get_username(), changes=changes
            )
        except services.ReturnError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: ReturnOrder) -> None:
        services.return_delete_draft(return_order=obj, actor=request.user.get_username())

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("returns.replay_returnorder")

    @admin.action(description="Send again to Omni (after a fix)", permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[ReturnOrder]) -> None:
        self._each(request, queryset, services.return_replay, "Queued {} return(s) for Omni.")

    @admin.action(description="Send selected drafts to Omni", permissions=["replay"])
    def submit_drafts(self, request: HttpRequest, queryset: QuerySet[ReturnOrder]) -> None:
        self._each(request, queryset, services.return_submit, "Queued {} draft(s) for Omni.")

    def _each(
        self, request: HttpRequest, queryset: Iterable[ReturnOrder], service: Any, done: str
    ) -> None:
        count = 0
        for return_order in queryset:
            try:
                service(return_order=return_order, actor=request.user.get_username())
                count += 1
            except services.ReturnError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if count:
            self.message_user(request, done.format(count))

    def send_again_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The return page's "Send again to Omni" button (after a fix), as the list's action."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_replay_permission(request):
            raise PermissionDenied
        return_order = get_object_or_404(ReturnOrder, pk=pk)
        self._each(request, [return_order], services.return_replay, "Queued {} return(s) for Omni.")
        return HttpResponseRedirect(reverse("admin:returns_returnorder_change", args=[pk]))

    # --- creating from the order page -----------------------------------------------------------
    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("new/", view(self.pick_order_view), name="returns_returnorder_pick"),
            path(
                "<int:pk>/send-again/",
                view(self.send_again_view),
                name="returns_returnorder_send_again",
            ),
            path(
                "new/<int:order_id>/",
                view(self.create_view),
                name="returns_returnorder_create",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:returns_returnorder_pick"))

    def pick_order_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = PickOrderForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            order = form.cleaned_data["order"]
            return HttpResponseRedirect(
                reverse("admin:returns_returnorder_create", args=[order.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a return",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/returns/returnorder/pick_order.html", context)

    def create_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        order = get_object_or_404(Order, pk=order_id)
        lines = list(order.lines.all())
        returnable = services.returnable_by_line(order)
        form = ReturnCreateForm(request.POST or None, lines=lines, returnable=returnable)
        if request.method == "POST" and form.is_valid():
            result = self._create(request, order, form)
            if result is not None:
                return HttpResponseRedirect(
                    reverse("admin:returns_returnorder_change", args=[result.return_order.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Return from order {order.order_code}",
            "order": order,
            "form": form,
            "line_rows": form.line_rows(),
            "opts": self.model._meta,
            "order_url": reverse("admin:channel_order_change", args=[order.pk]),
        }
        return TemplateResponse(request, "admin/returns/returnorder/create.html", context)

    def _create(
        self, request: HttpRequest, order: Order, form: ReturnCreateForm
    ) -> services.CreateResult | None:
        data = form.cleaned_data
        try:
            result = services.return_create(
                forward_order_code=order.order_code,
                return_order_code=data["return_order_code"] or None,
                order_type=data["order_type"],
                location_code=data["location_code"] or None,
                awb_number=data["awb_number"],
                transporter=data["transporter"],
                items=form.items(),
                actor=request.user.get_username(),
                submit=data["send_now"],
            )
        except services.ReturnError as exc:
            form.add_error(None, exc.message)
            return None
        verb = "queued for Omni" if data["send_now"] else "saved as a draft"
        code = result.return_order.return_order_code
        if result.created:
            self.message_user(request, f"Return {code} {verb}.", messages.SUCCESS)
        else:
            self.message_user(request, f"Return {code} already existed.", messages.WARNING)
        return result


class PickOrderForm(forms.Form):
    order_code = forms.CharField(label="Order number", max_length=64)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        code = (data.get("order_code") or "").strip()
        order = (
            Order.objects.filter(order_code=code).first()
            or Order.objects.filter(increment_id=code).first()
        )
        if code and order is None:
            raise forms.ValidationError(f"Order {code} is unknown.")
        data["order"] = order
        return data


class ReturnCreateForm(forms.Form):
    """Units per order line, one reason, type, AWB and transporter."""

    order_type = forms.ChoiceField(choices=ReturnType.choices, initial=ReturnType.CUSTOMER_RETURN)
    reason = forms.CharField(max_length=CODE_LENGTH)
    awb_number = forms.CharField(label="AWB", max_length=CODE_LENGTH, required=False)
    transporter = forms.CharField(max_length=CODE_LENGTH, required=False)
    location_code = forms.CharField(
        max_length=CODE_LENGTH, required=False, help_text="Empty: the order's location"
    )
    return_order_code = forms.CharField(
        max_length=CODE_LENGTH, required=False, help_text="Empty: R-<order>-<n>"
    )
    send_now = forms.BooleanField(
        required=False, initial=True, help_text="Unticked: keep it as a draft"
    )

    def __init__(
        self, *args: Any, lines: list[OrderLine], returnable: dict[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.returnable = returnable
        for line in lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=line.sku,
                min_value=0,
                max_value=max(0, returnable[line.pk]),
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"style": "width: 5em"}),
            )

    def line_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "line": line,
                "shipped": services.shipped_units(line),
                "returnable": max(0, self.returnable[line.pk]),
                "field": self[f"qty_{line.pk}"],
            }
            for line in self.lines
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not any(data.get(f"qty_{line.pk}") for line in self.lines):
            raise forms.ValidationError("Pick at least one unit to return.")
        return data

    def items(self) -> list[services.ItemInput]:
        reason = self.cleaned_data["reason"]
        return [
            services.ItemInput(
                channel_sku_code=line.sku,
                reason=reason,
                quantity=self.cleaned_data[f"qty_{line.pk}"],
                order_item_code=line.item_id,
            )
            for line in self.lines
            if self.cleaned_data.get(f"qty_{line.pk}")
        ]


# --- the order page's list of its returns (registered in ReturnsConfig.ready) -------------------
class OrderReturnInline(admin.TabularInline):
    model = ReturnOrder
    verbose_name_plural = "Returns"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("return_order_code", "order_type", "state", "awb_number", "created_at", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="last error")
    def error(self, obj: ReturnOrder) -> str:
        return obj.last_error[:80]


# --- "mark RTO" on shipments ----------------------------------------------------------------------
@admin.action(
    description="Mark RTO: the parcel came back (return every unit to origin)",
    permissions=["add_return"],  # ShipmentAdmin.has_add_return_permission
)
def mark_rto(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    if not request.user.has_perm("returns.add_returnorder"):
        modeladmin.message_user(request, "You may not create returns.", messages.ERROR)
        return
    for shipment in queryset.select_related("order"):
        try:
            result = services.return_mark_rto(shipment=shipment, actor=request.user.get_username())
        except services.ReturnError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            continue
        code = result.return_order.return_order_code
        verb = "queued for Omni" if result.created else "already existed"
        modeladmin.message_user(request, f"RTO return {code} {verb}.")
