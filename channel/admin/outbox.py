"""Operations (replay, cancel), their attempts, flows (pause, resume) and sync cursors."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from channel.admin.base import ReadOnlyMixin
from channel.admin.scale import IndexedSearchMixin, RecentValuesFilter, ScaleAdminMixin
from channel.models import (
    ErrorClass,
    FlowState,
    Operation,
    OperationAttempt,
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
    list_filter = ("state", ("kind", RecentValuesFilter), "error_class", "created_at")
    search_fields = ("=order__order_code", "=target", "=idempotency_key")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in Operation._meta.fields]
    inlines = [OperationAttemptInline]
    actions = ["replay_selected", "replay_all_of_class", "cancel_selected"]
    list_keep = ("last_error",)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channel.replay_operation")

    @admin.display(description="last error")
    def short_error(self, obj: Operation) -> str:
        return obj.last_error[:120]

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
    list_display = ("name", "value", "updated_at")
