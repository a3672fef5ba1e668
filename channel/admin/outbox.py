"""Operations (replay, cancel), their attempts, flows (pause, resume) and sync cursors."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from channel.admin.base import ReadOnlyMixin
from channel.admin.display import admin_link, readable, short_text, target_link, target_url
from channel.admin.scale import IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import (
    ErrorClass,
    FlowState,
    Operation,
    OperationAttempt,
    OperationState,
    SyncCursor,
)
from channel.services import operations


class OperationAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = OperationAttempt
    extra = 0
    fields = ("number", "worker", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields


@admin.register(Operation)
class OperationAdmin(ScaleAdminMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    # Fits 1280 px: the error is cut (whole on hover and on the operation's page).
    list_display = (
        "id",
        "kind",
        "order_link",
        "target_link",
        "state_text",
        "attempts",
        "next_attempt_at",
        "short_error",
        "calls_link",
    )
    list_filter = ("state", ("kind", RecentValuesFilter), "error_class", "created_at")
    search_fields = ("=order__order_code", "=target", "=idempotency_key")
    list_select_related = ("order",)
    readonly_fields = readable(
        [f.name for f in Operation._meta.fields], as_json=("payload", "result")
    )
    exclude = ("payload", "result")  # shown readably (readonly_fields)
    inlines = [OperationAttemptInline]
    actions = ["replay_selected", "replay_all_of_class", "cancel_selected"]
    list_keep = ("last_error",)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.replay_operation")

    @admin.display(description="last error")
    def short_error(self, obj: Operation) -> str:
        return short_text(obj.last_error, 60)

    @admin.display(description="state", ordering="state")
    def state_text(self, obj: Operation) -> str:
        if obj.state == OperationState.FAILED and obj.error_class:
            return f"Failed: {obj.error_class.replace('_', ' ')}"
        return obj.get_state_display()

    @admin.display(description="order", ordering="order")
    def order_link(self, obj: Operation) -> str:
        return admin_link(obj.order, obj.order.order_code) if obj.order else "-"

    @admin.display(description="target")
    def target_link(self, obj: Operation) -> str:
        return target_link(obj.target)

    @admin.display(description="calls")
    def calls_link(self, obj: Operation) -> str:
        url = reverse("admin:channel_callrecord_changelist") + f"?operation__id__exact={obj.pk}"
        return format_html('<a href="{}">calls</a>', url)

    # --- buttons on the operation's own page ------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/replay/",
                view(self.replay_view),
                name="channel_operation_replay",
            ),
            path(
                "<int:pk>/cancel/",
                view(self.cancel_view),
                name="channel_operation_cancel",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        operation = self.get_object(request, object_id)
        extra = {
            "may_replay": self.has_replay_permission(request),
            "target_url": target_url(operation.target) if operation else "",
            "can_act": operation is not None
            and operation.state in (OperationState.PENDING, OperationState.FAILED),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def replay_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._one(request, pk, operations.operations_replay, "queued to run now")

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._one(request, pk, operations.operations_cancel, "cancelled")

    def _one(self, request: HttpRequest, pk: int, service: Any, verb: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_replay_permission(request):
            raise PermissionDenied
        operation = get_object_or_404(Operation, pk=pk)
        if service(operations=[operation]):
            self.message_user(request, f"Operation {operation.pk} {verb}.", messages.SUCCESS)
        else:
            self.message_user(
                request,
                f"Operation {operation.pk} is {operation.get_state_display().lower()}: "
                "nothing to do.",
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:channel_operation_change", args=[pk]))

    @admin.action(description="Replay selected operations now", permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        replayed = operations.operations_replay(operations=queryset)
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
        replayed = operations.operations_replay_failed(error_classes=classes)
        names = ", ".join(ErrorClass(c).label for c in classes)
        self.message_user(request, f"Queued {replayed} failed operation(s) of class {names}.")

    @admin.action(
        description="Cancel selected operations (they will not run)", permissions=["replay"]
    )
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        cancelled = operations.operations_cancel(operations=queryset)
        self.message_user(request, f"Cancelled {cancelled} operation(s).")


@admin.register(FlowState)
class FlowStateAdmin(admin.ModelAdmin):
    list_display = (
        "flow",
        "state_text",
        "paused_by",
        "last_run_at",
        "last_success_at",
        "short_error",
    )
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

    @admin.display(description="state", ordering="paused")
    def state_text(self, obj: FlowState) -> str:
        """PAUSED stands out; a running flow is not marked as an error (no red cross)."""
        if obj.paused:
            return mark_safe('<span class="proxy-paused">PAUSED</span>')
        return "running"

    @admin.display(description="last error")
    def short_error(self, obj: FlowState) -> str:
        return short_text(obj.last_error, 80)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlowState]:
        operations.flows_ensure()
        return super().get_queryset(request)

    @admin.action(description="Pause selected flows (backlog is kept)", permissions=["pause"])
    def pause(self, request: HttpRequest, queryset: QuerySet[FlowState]) -> None:
        names = operations.flows_pause(flows=queryset, actor=request.user.get_username())
        self.message_user(request, f"Paused: {names}. Their work is kept and waits.")

    @admin.action(description="Resume selected flows", permissions=["pause"])
    def resume(self, request: HttpRequest, queryset: QuerySet[FlowState]) -> None:
        names = operations.flows_resume(flows=queryset, actor=request.user.get_username())
        self.message_user(request, f"Resumed: {names}.")


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "value", "entity_id", "updated_at")
