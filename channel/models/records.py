"""What makes every action auditable: API keys, call records, audit events, idempotency."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channel.models.history import history_user
from channel.models.orders import Order


class ApiKeyScope(models.TextChoices):
    OMNI = "omni", "Omni-facing API"
    RETURNS = "returns", "Returns API"


class ApiKey(models.Model):
    """A key a client sends in the API-key header. Only its SHA-256 is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="First characters, to find it"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=16, choices=ApiKeyScope.choices, default=ApiKeyScope.OMNI)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(get_user=history_user, excluded_fields=["last_used_at"])

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class CallDirection(models.TextChoices):
    INBOUND = "in", "Omni → proxy"
    OUTBOUND = "out", "proxy → remote"


class CallRecord(models.Model):
    """One HTTP call in or out, with bodies (secrets redacted)."""

    direction = models.CharField(max_length=3, choices=CallDirection.choices)
    system = models.CharField(max_length=16, help_text="omni, magento or api")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.IntegerField(null=True, blank=True, help_text="Empty: no answer (timeout)")
    duration_ms = models.IntegerField(default=0)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    operation = models.ForeignKey(
        "Operation", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            # The order timeline: calls of one order, newest first.
            models.Index(fields=["order", "-created_at"], name="call_order_idx"),
            # Admin: a path from its start (LIKE 'prefix%' needs the pattern operator class on
            # PostgreSQL; other databases ignore it).
            models.Index(fields=["path"], name="call_path_idx", opclasses=["varchar_pattern_ops"]),
            # Admin: the calls that failed or got no answer (few among millions).
            models.Index(
                fields=["status"],
                name="call_failed_idx",
                condition=Q(status__gte=400) | Q(status__isnull=True),
            ),
            # The dashboard's latency charts: the last 24 hours of calls out to one system, read
            # from the index alone (PostgreSQL; the call's bodies stay on disk).
            models.Index(
                fields=["system", "created_at"],
                name="call_out_system_idx",
                condition=Q(direction="out"),
                include=["duration_ms", "status"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status or 'no answer'}"


class AuditEvent(models.Model):
    """An append-only, namespaced entry of an order's (or return's) timeline."""

    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    subject = models.CharField(max_length=100, blank=True, help_text="e.g. shipment:12, return:R-1")
    action = models.CharField(max_length=64, help_text="e.g. order.acknowledged")
    actor = models.CharField(max_length=150, help_text="omni, magento, system or a user name")
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["order", "-created_at"], name="event_order_idx"),
            # The dashboard's orders chart: the hand-overs of the last 24 hours (one an order).
            models.Index(
                fields=["created_at"],
                name="event_handed_over_idx",
                condition=Q(action="order.handed_over"),
            ),
            # A return's or a shipment's timeline (and the admin search by subject).
            models.Index(fields=["subject"], name="event_subject_idx", condition=~Q(subject="")),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


class IdempotencyRecord(models.Model):
    """The first answer to an Omni write, replayed verbatim when Omni repeats it."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.IntegerField(null=True, blank=True, help_text="Empty while in flight")
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
