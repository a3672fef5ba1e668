"""Credit memos the proxy asked Magento for (contract 8.3): one row per intent (a seller
cancellation's refund, a return's refund), mirrored once Magento made it."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from channel.models.history import history_user
from channel.models.orders import MONEY, Order


class CreditMemoState(models.TextChoices):
    PENDING = "pending", "Pending"
    CREATED = "created", "Created in Magento"
    FAILED = "failed", "Refused by Magento"


class CreditMemoPurpose(models.TextChoices):
    CANCELLATION = "cancellation", "Seller cancellation of invoiced units"
    RETURN = "return", "Return that passed QC"


class CreditMemo(models.Model):
    """One refund intent and the Magento credit memo made for it (never two for one intent)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credit_memos")
    purpose = models.CharField(max_length=16, choices=CreditMemoPurpose.choices)
    intent_key = models.CharField(
        max_length=200, unique=True, help_text="What this refund is for; also its Magento marker"
    )
    items = models.JSONField(
        default=list, help_text="[{order_item_id, qty, line}] as asked of Magento"
    )
    state = models.CharField(
        max_length=16, choices=CreditMemoState.choices, default=CreditMemoState.PENDING
    )
    refund_shipping = models.BooleanField(
        default=False, help_text="The shipping still paid is refunded too (a full cancellation)"
    )
    online = models.BooleanField(
        default=False, help_text="Refunded through the payment gateway (invoice captured online)"
    )
    magento_invoice_id = models.BigIntegerField(null=True, blank=True)
    magento_creditmemo_id = models.BigIntegerField(null=True, blank=True, unique=True)
    creditmemo_number = models.CharField(max_length=64, blank=True, db_index=True)
    grand_total = models.DecimalField(**MONEY)
    last_error = models.TextField(blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="An attempt is talking to Magento until then"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        get_user=history_user, excluded_fields=["updated_at", "claimed_until"]
    )

    def __str__(self) -> str:
        return self.creditmemo_number or f"credit memo for {self.intent_key} ({self.state})"

    @property
    def way(self) -> str:
        return "online" if self.online else "offline"
