"""Go-live and backfills: which Magento orders the proxy takes, and the runs that took old ones."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class GoLive(models.Model):
    """The moment the proxy went live (its database was first migrated): one row.

    Without `SYNC_START`, orders Magento created before it are never pushed to Omni unless a
    backfill takes them on purpose."""

    at = models.DateTimeField(help_text="Orders created before this are left alone")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "go-live moment"

    def __str__(self) -> str:
        return f"live since {self.at:%Y-%m-%d %H:%M:%S} UTC"


class BackfillState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped by an error"


class BackfillRun(models.Model):
    """One `manage.py sync_magento --backfill` run and its progress (updated after each page)."""

    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=BackfillState.choices, default=BackfillState.RUNNING
    )
    total = models.PositiveIntegerField(default=0, help_text="Orders Magento has in the window")
    read = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0, help_text="Queued for Omni (or would be)")
    skipped = models.PositiveIntegerField(default=0, help_text="Already sent, or not sendable")
    rate_per_minute = models.FloatField(default=0)
    seconds_left = models.PositiveIntegerField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What was (or would be) pushed")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "backfill"
        return f"{kind} from {self.since:%Y-%m-%d %H:%M} ({self.state})"
