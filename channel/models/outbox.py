"""The outbox (operations and their attempts), flows, sync cursors and worker heartbeats."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from channel.models.orders import Order


class SyncCursor(models.Model):
    """High-water mark of one Magento pull (new orders by created_at, changes by updated_at)."""

    name = models.CharField(max_length=32, unique=True)
    value = models.DateTimeField()
    entity_id = models.BigIntegerField(
        default=0, help_text="Last order taken at `value` (the page cursor's tie-breaker)"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.value:%Y-%m-%d %H:%M:%S}"


class Flow(models.TextChoices):
    INTAKE = "intake", "Order intake from Magento"
    PUSH = "push", "Order push to Omni"
    INVENTORY = "inventory", "Inventory to Magento"
    FULFILMENT = "fulfilment", "Invoices, shipments and cancellations to Magento"
    RETURNS = "returns", "Returns to Omni"


class FlowState(models.Model):
    """Pause switch and heartbeat of one background flow."""

    flow = models.CharField(max_length=20, choices=Flow.choices, unique=True)
    paused = models.BooleanField(default=False)
    paused_by = models.CharField(max_length=150, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        permissions = [("pause_flow", "Can pause and resume flows")]

    def __str__(self) -> str:
        return f"{self.get_flow_display()}{' (paused)' if self.paused else ''}"


class OperationState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed: waits for a person"
    CANCELLED = "cancelled", "Cancelled"


class ErrorClass(models.TextChoices):
    NONE = "", "—"
    TRANSIENT = "transient", "Transient (retried)"
    PERMANENT = "permanent", "Permanent (needs a fix)"
    NEEDS_CONFIG = "needs_config", "Needs configuration"


class Operation(models.Model):
    """One side effect on Magento or Omni, written in the transaction that needs it (outbox)."""

    kind = models.CharField(max_length=40, db_index=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="operations"
    )
    target = models.CharField(max_length=100, blank=True, help_text="e.g. shipment:12")
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=12, choices=OperationState.choices, default=OperationState.PENDING
    )
    error_class = models.CharField(
        max_length=16, choices=ErrorClass.choices, default=ErrorClass.NONE, blank=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("replay_operation", "Can replay or cancel operations")]
        indexes = [
            # Admin: the operations of the last days (the created-at filter).
            models.Index(fields=["created_at"], name="op_created_idx"),
            # The dashboard's outbox chart: the operations touched in the last 24 hours.
            models.Index(fields=["updated_at"], name="op_updated_idx"),
            # The sweeper: due operations, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="op_due_idx"),
            # The order timeline and "has failed operations".
            models.Index(fields=["order", "state"], name="op_order_idx"),
            # A return's or a SKU's operations (timelines, admin search by target).
            models.Index(fields=["target"], name="op_target_idx", condition=~Q(target="")),
            # Admin: failed operations by error class (few among millions).
            models.Index(
                fields=["error_class"], name="op_error_class_idx", condition=~Q(error_class="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target or self.order_id} ({self.state})"


class OperationAttempt(models.Model):
    """One run of an operation, for the timeline."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # The dashboard's outbox chart: the failed attempts of the last 24 hours (few).
            models.Index(
                fields=["started_at"],
                name="attempt_failed_idx",
                condition=~Q(outcome__in=("done", "")),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


class Heartbeat(models.Model):
    """Last time a process kind (e.g. the worker's sweeper) showed it is alive."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
