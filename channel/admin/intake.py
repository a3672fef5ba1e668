"""Go-live and backfills: the moment intake starts from, and the runs that took older orders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin

from channel.admin.base import ReadOnlyMixin
from channel.models import BackfillRun, GoLive


@admin.register(GoLive)
class GoLiveAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "sync_start", "created_at")
    readonly_fields = ("at", "sync_start", "created_at")

    @admin.display(description="SYNC_START (overrides go-live when set)")
    def sync_start(self, obj: GoLive) -> str:
        return settings.SYNC_START or "not set: orders created since go-live are taken"


@admin.register(BackfillRun)
class BackfillRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "dry_run",
        "since",
        "until",
        "state",
        "total",
        "read",
        "pushed",
        "skipped",
        "rate_per_minute",
        "seconds_left",
        "finished_at",
    )
    list_filter = ("state", "dry_run")
    readonly_fields = [f.name for f in BackfillRun._meta.fields]
