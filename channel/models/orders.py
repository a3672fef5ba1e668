"""Orders and their lines: the mirror of Magento's orders plus Omni's progress."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channel.models.history import history_user

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class OrderLifecycle(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by Omni"
    IN_FULFILMENT = "in_fulfilment", "Being packed / shipped"
    FULFILLED = "fulfilled", "Everything handed over"
    CANCELLED = "cancelled", "Cancelled"


class NotSentReason(models.TextChoices):
    """Why a mirrored order was not sent to Omni (blank: sent, or on its way)."""

    PUSH_OFF = "push_off", "Pushing to Omni is switched off (OMNI_PUSH_ORDERS)"
    BEFORE_GO_LIVE = "before_go_live", "Created before go-live (take it with a backfill)"
    STATUS = "status", "Status not in MAGENTO_NEW_ORDER_STATUSES"
    VIRTUAL_ONLY = "virtual_only", "Only virtual or downloadable lines"
    MAPPING_ERROR = "mapping_error", "Mapping error (see data errors)"
    PAYMENT = "payment", "Payment method not configured (COD or prepaid)"
    CURRENCY = "currency", "Currency is not the store's (MAGENTO_STORE_CURRENCIES)"


class Order(models.Model):
    """One Magento order as the proxy last saw it, plus what Omni has done with it."""

    entity_id = models.BigIntegerField(unique=True, help_text="Magento entity_id")
    increment_id = models.CharField(max_length=64, unique=True, help_text="Magento order number")
    order_code = models.CharField(max_length=64, unique=True, help_text="Omni orderCode")
    store_id = models.IntegerField(null=True, blank=True)
    magento_state = models.CharField(max_length=32, db_index=True)
    magento_status = models.CharField(max_length=64)
    magento_created_at = models.DateTimeField()
    magento_updated_at = models.DateTimeField()
    customer_email = models.CharField(max_length=255, blank=True, db_index=True)
    customer_name = models.CharField(max_length=255, blank=True)
    is_guest = models.BooleanField(default=False)
    payment_method = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    grand_total = models.DecimalField(**MONEY)
    shipping_incl_tax = models.DecimalField(**MONEY)
    amount_difference = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Omni's lines + shipping − discounts minus (grand total + payments); "
        "empty when they add up",
    )
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    location_code = models.CharField(max_length=255, blank=True, db_index=True)
    lifecycle = models.CharField(
        max_length=20, choices=OrderLifecycle.choices, default=OrderLifecycle.NEW, db_index=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    pushed_to_omni_at = models.DateTimeField(null=True, blank=True)
    not_sent_reason = models.CharField(
        max_length=20, choices=NotSentReason.choices, blank=True, db_index=True
    )
    backfill_run = models.ForeignKey(
        "channel.BackfillRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        help_text="The backfill that took this order from before go-live",
    )
    data_errors = models.TextField(blank=True, help_text="Problems found while mapping the order")
    notes = models.TextField(blank=True, help_text="Lines not sent to Omni (virtual, downloadable)")
    raw = models.JSONField(default=dict, blank=True, help_text="Magento JSON of the last fetch")
    fetched_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        get_user=history_user, excluded_fields=["raw", "fetched_at", "updated_at"]
    )

    class Meta:
        indexes = [
            # GET /api/omni/orders: filter by status + created range, sorted by time then code.
            models.Index(
                fields=["magento_status", "magento_created_at", "order_code"],
                name="order_status_created_idx",
            ),
            models.Index(fields=["magento_created_at", "order_code"], name="order_created_idx"),
            # GET /api/omni/orders/cancelled: filter by update time among cancelled orders.
            models.Index(fields=["magento_updated_at"], name="order_updated_idx"),
            # The dashboard counts the orders of the last days by step (an index-only scan).
            models.Index(
                fields=["magento_created_at", "lifecycle"], name="order_created_lifecycle_idx"
            ),
            # The dashboard's orders chart: mirrored and pushed to Omni in the last 24 hours.
            models.Index(fields=["created_at"], name="order_mirrored_idx"),
            models.Index(fields=["pushed_to_omni_at"], name="order_pushed_idx"),
            # Support finds an order by the customer's phone number (admin search).
            models.Index(KeyTextTransform("phone", "shipping_address"), name="order_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.order_code

    @property
    def is_cod(self) -> bool:
        return self.payment_method in settings.MAGENTO_COD_METHODS

    @property
    def is_held(self) -> bool:
        return self.magento_state == "holded"

    def lifecycle_from_progress(self) -> str:
        """Where the order stands, from its lines' quantities and the acknowledgement."""
        lines = list(self.lines.all())
        wanted = sum(line.qty_ordered - line.qty_cancelled for line in lines)
        handed_over = sum(line.qty_handed_over for line in lines)
        if self.magento_state == "canceled" or (lines and wanted <= 0 and not handed_over):
            return OrderLifecycle.CANCELLED
        if lines and handed_over >= wanted:
            return OrderLifecycle.FULFILLED
        if any(line.qty_packed for line in lines):
            return OrderLifecycle.IN_FULFILMENT
        if self.acknowledged_at:
            return OrderLifecycle.ACKNOWLEDGED
        return OrderLifecycle.NEW


class OrderLine(models.Model):
    """One shippable Magento line (an Omni order item). Configurable parent+child are one line."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item_id = models.BigIntegerField(unique=True, help_text="Omni orderItemCode")
    magento_item_id = models.BigIntegerField(
        help_text="The id Magento expects when invoicing/shipping/cancelling (configurable parent)"
    )
    parent_item_id = models.BigIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    product_type = models.CharField(max_length=32)
    qty_ordered = models.PositiveIntegerField()
    qty_canceled = models.PositiveIntegerField(default=0, help_text="Magento qty_canceled")
    qty_invoiced = models.PositiveIntegerField(default=0, help_text="Magento qty_invoiced")
    qty_shipped = models.PositiveIntegerField(default=0, help_text="Magento qty_shipped")
    qty_refunded = models.PositiveIntegerField(default=0, help_text="Magento qty_refunded")
    qty_cancelled_by_omni = models.PositiveIntegerField(default=0)
    qty_packed = models.PositiveIntegerField(default=0)
    qty_handed_over = models.PositiveIntegerField(default=0)
    selling_price_per_unit = models.DecimalField(**MONEY)
    discount_per_unit = models.DecimalField(**MONEY)
    shipping_charge_per_unit = models.DecimalField(**MONEY)
    price_excl_tax = models.DecimalField(**MONEY)
    tax_percent = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY)
    row_total_incl_tax = models.DecimalField(**MONEY)
    tax_breakup = models.JSONField(
        default=list, blank=True, help_text="Magento's applied taxes of the line (GST heads)"
    )
    hsn_code = models.CharField(max_length=32, blank=True, help_text="From the product attribute")

    class Meta:
        ordering = ["order_id", "position"]
        indexes = [
            # The orders with a SKU, newest first (admin search): an index-only scan, however
            # many orders have it.
            models.Index(fields=["sku", "order_id"], name="line_sku_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.item_id} {self.sku}"

    @property
    def qty_cancelled(self) -> int:
        """Cancelled by anyone: Magento's number or Omni's partial cancellation."""
        return max(self.qty_canceled, self.qty_cancelled_by_omni)

    @property
    def qty_open(self) -> int:
        """Units that may still be packed."""
        return max(0, self.qty_ordered - self.qty_cancelled - self.qty_packed)
