"""Admin for the stock ledger and the location → MSI source mapping (imported by channel.admin)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from channel.models import StockLevel, StockSource, StockState
from channel.services import inventory


class StockProblemFilter(admin.SimpleListFilter):
    title = "problem"
    parameter_name = "problem"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [
            ("failures", "Failed or being retried"),
            ("unknown", "SKU unknown in Magento"),
            ("behind", "Magento behind Omni"),
            ("drift", "Drift at the last reconciliation"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "failures":
            return queryset.filter(state__in=[StockState.FAILED, StockState.RETRYING])
        if value == "unknown":
            return queryset.filter(state=StockState.UNKNOWN_SKU)
        if value == "behind":
            return queryset.filter(
                Q(magento_version__isnull=True) | Q(magento_version__lt=F("received_at"))
            )
        if value == "drift":
            return queryset.filter(drift__isnull=False).exclude(drift=0)
        return queryset


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Omni's latest quantity per SKU and place beside what Magento accepted and what it has."""

    list_display = (
        "sku",
        "place",
        "quantity",
        "magento_quantity",
        "difference",
        "reserved_units",
        "written_quantity",
        "observed_quantity",
        "drift",
        "state",
        "received_at",
        "magento_accepted_at",
        "short_error",
    )
    list_filter = (StockProblemFilter, "state", "location_code")
    search_fields = ("=sku", "^sku")
    ordering = ("-received_at",)
    readonly_fields = [f.name for f in StockLevel._meta.fields] + ["operations"]
    actions = ["push_again"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.replay_operation")

    @admin.display(description="location", ordering="location_code")
    def place(self, obj: StockLevel) -> str:
        return obj.location_code or "(all)"

    @admin.display(description="Omni − Magento")
    def difference(self, obj: StockLevel) -> int | None:
        return obj.pending_difference

    @admin.display(description="last error")
    def short_error(self, obj: StockLevel) -> str:
        return obj.last_error[:120]

    @admin.display(description="background writes")
    def operations(self, obj: StockLevel) -> str:
        query = urlencode({"target__exact": f"stock:{obj.pk}"})
        url = f"{reverse('admin:channel_operation_changelist')}?{query}"
        return format_html('<a href="{}">operations of this row</a>', url)

    @admin.action(
        description="Push again: write Omni's latest quantity to Magento", permissions=["replay"]
    )
    def push_again(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> None:
        actor = request.user.get_username()
        rows = list(queryset[:1000])
        for level in rows:
            inventory.stock_push_again(level=level, actor=actor)
        self.message_user(
            request, f"Queued {len(rows)} SKU(s) to be written to Magento again (flow Inventory)."
        )


@admin.register(StockSource)
class StockSourceAdmin(admin.ModelAdmin):
    """Omni location → Magento MSI source_code; `*` is for consolidated pushes."""

    list_display = ("location_code", "source_code", "updated_at")
    list_editable = ("source_code",)
    search_fields = ("location_code", "source_code")
