"""The support tool: read-only mirrors, search on every code, actions that call services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from channel import outbox
from channel.integrations.magento import MagentoClient, MagentoError
from channel.models import (
    ApiKey,
    AuditEvent,
    CallRecord,
    Document,
    ErrorClass,
    Flow,
    FlowState,
    Operation,
    OperationAttempt,
    OperationState,
    Order,
    OrderLine,
    SyncCursor,
)
from channel.services import audit, sync, timeline
from channel.services.apikeys import api_key_create, api_key_revoke
from channel.services.documents import signed_path


class ReadOnlyMixin:
    """Mirrors are written by the proxy only; superusers may still repair them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
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
        "magento_state",
        "magento_status",
        "location_code",
        "payment_method",
        "magento_created_at",
    )
    # Any code support staff may have in hand finds the order.
    search_fields = (
        "=order_code",
        "=increment_id",
        "=entity_id",
        "customer_email",
        "=lines__sku",
        "=shipments__awb_number",
        "=shipments__shipment_code",
        "=shipments__shipment_id",
        "=shipments__manifest_item__manifest__manifest_code",
        "=returns__return_order_code",
        "=returns__awb_number",
    )
    date_hierarchy = "magento_created_at"
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
    show_full_result_count = False
    actions = ["repull_from_magento"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        order = self.get_object(request, object_id)
        extra = {"timeline": timeline.order_timeline(order) if order else None}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.action(description="Re-pull selected orders from Magento now")
    def repull_from_magento(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, errors = 0, []
        for order in queryset[:50]:
            try:
                sync.refresh_order(order, client=MagentoClient(order_id=order.pk))
            except MagentoError as exc:
                errors.append(f"{order.order_code}: {exc.message}")
                continue
            audit.record(
                "order.repulled",
                order=order,
                actor=request.user.get_username(),
                message="Re-pulled from Magento by support",
            )
            done += 1
        self.message_user(request, f"Re-pulled {done} order(s) from Magento.")
        for error in errors:
            self.message_user(
                request, f"Magento refused or did not answer for {error}", messages.ERROR
            )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(ApiKey)
class ApiKeyAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("scope",)
    search_fields = ("name", "prefix")
    fields = ("name", "scope", "expires_at", "prefix", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(name=obj.name, scope=obj.scope, expires_at=obj.expires_at)
        obj.pk, obj.prefix, obj.key_hash = key.pk, key.prefix, key.key_hash
        obj._state.adding = False
        self.message_user(
            request, f"Key created. Copy it now, it is not shown again: {raw}", messages.WARNING
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "direction",
        "system",
        "method",
        "path",
        "status",
        "duration_ms",
        "order",
    )
    list_filter = ("direction", "system", "status", "created_at")
    search_fields = ("path", "=order__order_code")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in CallRecord._meta.fields]
    date_hierarchy = "created_at"
    show_full_result_count = False


class OperationAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = OperationAttempt
    extra = 0
    fields = ("number", "worker", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields


@admin.register(Operation)
class OperationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "order",
        "target",
        "state",
        "error_class",
        "attempts",
        "next_attempt_at",
        "created_at",
        "short_error",
    )
    list_filter = ("state", "kind", "error_class", "created_at")
    search_fields = ("=order__order_code", "target", "idempotency_key", "last_error")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in Operation._meta.fields]
    inlines = [OperationAttemptInline]
    actions = ["replay_selected", "replay_all_of_class", "cancel_selected"]
    show_full_result_count = False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.replay_operation")

    @admin.display(description="last error")
    def short_error(self, obj: Operation) -> str:
        return obj.last_error[:120]

    @admin.action(description="Replay selected operations now", permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        replayed = sum(outbox.replay(op) for op in queryset)
        skipped = queryset.count() - replayed
        self.message_user(
            request, f"Queued {replayed} operation(s) to run now; {skipped} were done or running."
        )

    @admin.action(
        description="Replay ALL failed operations of the selected ones' error classes",
        permissions=["replay"],
    )
    def replay_all_of_class(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        classes = set(queryset.values_list("error_class", flat=True))
        failed = Operation.objects.filter(state=OperationState.FAILED, error_class__in=classes)
        replayed = sum(outbox.replay(op) for op in failed)
        names = ", ".join(ErrorClass(c).label for c in classes)
        self.message_user(request, f"Queued {replayed} failed operation(s) of class {names}.")

    @admin.action(
        description="Cancel selected operations (they will not run)", permissions=["replay"]
    )
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        cancelled = sum(outbox.cancel(op) for op in queryset)
        self.message_user(request, f"Cancelled {cancelled} operation(s).")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "order", "subject", "message")
    list_filter = ("action", "actor", "created_at")
    search_fields = ("=order__order_code", "subject", "message")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(FlowState)
class FlowStateAdmin(admin.ModelAdmin):
    list_display = ("flow", "paused", "paused_by", "last_run_at", "last_success_at", "last_error")
    readonly_fields = ("flow", "paused_by", "last_run_at", "last_success_at", "last_error")
    actions = ["pause", "resume"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_pause_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.pause_flow")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlowState]:
        for flow in Flow:
            FlowState.objects.get_or_create(flow=flow.value)
        return super().get_queryset(request)

    @admin.action(description="Pause selected flows (backlog is kept)", permissions=["pause"])
    def pause(self, request: HttpRequest, queryset: QuerySet[FlowState]) -> None:
        names = ", ".join(str(f) for f in queryset)
        queryset.update(paused=True, paused_by=request.user.get_username())
        audit.record("flow.paused", actor=request.user.get_username(), message=names)
        self.message_user(request, f"Paused: {names}. Their work is kept and waits.")

    @admin.action(description="Resume selected flows", permissions=["pause"])
    def resume(self, request: HttpRequest, queryset: QuerySet[FlowState]) -> None:
        names = ", ".join(f.get_flow_display() for f in queryset)
        queryset.update(paused=False, paused_by="")
        audit.record("flow.resumed", actor=request.user.get_username(), message=names)
        self.message_user(request, f"Resumed: {names}.")


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "value", "updated_at")


@admin.register(Document)
class DocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("kind", "key", "order", "size", "updated_at", "download")
    list_filter = ("kind",)
    search_fields = ("=key", "=order__order_code")
    list_select_related = ("order",)
    exclude = ("content",)
    readonly_fields = (
        "kind",
        "key",
        "order",
        "checksum",
        "size",
        "created_at",
        "updated_at",
        "download",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("content")

    @admin.display(description="PDF")
    def download(self, obj: Document) -> str:
        return format_html('<a href="{}" target="_blank">open PDF</a>', signed_path(obj))
