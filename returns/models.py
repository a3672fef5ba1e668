"""B2C return orders (one row per unit) against a forward order, as pushed to Omni."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channel.models import Order, OrderLine, Shipment
from channel.models.history import history_user

CODE_LENGTH = 255  # Omni's limit on every string


class ReturnState(models.TextChoices):
    DRAFT = "draft", "Draft (not sent)"
    QUEUED = "queued", "Queued for Omni"
    SENT = "sent", "Created at Omni"
    RECEIVED = "received", "Received (QC in progress)"
    QC_PASSED = "qc_passed", "QC passed"
    QC_FAILED = "qc_failed", "QC failed (some units)"
    FAILED = "failed", "Refused by Omni: needs a fix"


class ReturnType(models.TextChoices):
    SELF_SHIP = "SELF_SHIP", "Self-ship (customer sends it)"
    CUSTOMER_RETURN = "CUSTOMER_RETURN", "Customer return (pickup)"
    RETURN_TO_ORIGIN = "RETURN_TO_ORIGIN", "Return to origin (RTO)"


class QcStatus(models.TextChoices):
    PASS = "PASS", "Pass"
    FAIL = "FAIL", "Fail"


# States in which units are still "in a return" (a failed return frees its units).
HOLDING_STATES = [s for s in ReturnState.values if s != ReturnState.FAILED]
# States a person may still edit (nothing at Omni yet).
EDITABLE_STATES = [ReturnState.DRAFT, ReturnState.FAILED]


class ReturnOrder(models.Model):
    """A return of some shipped units of one forward order (Omni's Create Return Order)."""

    return_order_code = models.CharField(max_length=CODE_LENGTH, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    shipment = models.ForeignKey(
        Shipment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        help_text="The shipment that came back (RTO)",
    )
    order_type = models.CharField(max_length=20, choices=ReturnType.choices)
    location_code = models.CharField(max_length=CODE_LENGTH)
    awb_number = models.CharField(max_length=CODE_LENGTH, blank=True, db_index=True)
    transporter = models.CharField(max_length=CODE_LENGTH, blank=True)
    return_order_time = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=16, choices=ReturnState.choices, default=ReturnState.DRAFT, db_index=True
    )
    last_error = models.TextField(blank=True)
    request_hash = models.CharField(
        max_length=64, help_text="Of the creating request: a repeat must match it"
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(
        excluded_fields=["updated_at", "request_hash"], get_user=history_user
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("replay_returnorder", "Can send returns to Omni (drafts, replays)")]

    def __str__(self) -> str:
        return self.return_order_code

    @property
    def subject(self) -> str:
        """The timeline subject of this return."""
        return f"return:{self.return_order_code}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ReturnItem(models.Model):
    """One returned unit (Omni's return order item)."""

    return_order = models.ForeignKey(ReturnOrder, on_delete=models.CASCADE, related_name="items")
    item_code = models.CharField(max_length=CODE_LENGTH, unique=True)
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_items")
    channel_sku_code = models.CharField(max_length=CODE_LENGTH)
    reason = models.CharField(max_length=CODE_LENGTH)
    position = models.PositiveIntegerField(default=0)
    qc_status = models.CharField(max_length=4, choices=QcStatus.choices, blank=True)
    qc_reason = models.CharField(max_length=CODE_LENGTH, blank=True)
    image_urls = models.JSONField(default=list, blank=True)
    qc_at = models.DateTimeField(null=True, blank=True)
    magento_creditmemo_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        # The quantity check at creation counts units per order line: the order_line FK index.
        ordering = ["return_order_id", "position"]

    def __str__(self) -> str:
        return f"{self.item_code} ({self.channel_sku_code})"
