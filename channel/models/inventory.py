"""The stock ledger: Omni's quantities per SKU and location, and Magento's sources."""

from __future__ import annotations

from django.db import models


class StockState(models.TextChoices):
    PENDING = "pending", "Being written to Magento"
    SYNCED = "synced", "Magento has Omni's latest quantity"
    RETRYING = "retrying", "Not written yet; retried in the background"
    FAILED = "failed", "Magento refused; needs a person"
    UNKNOWN_SKU = "unknown_sku", "SKU unknown in Magento"


class StockLevel(models.Model):
    """Omni's latest absolute quantity of one SKU in one place, and what Magento last accepted.

    `location_code` is the ledger slot: Omni's locationCode when Magento has sources (MSI), and
    empty for Magento's single legacy stock and for consolidated pushes. `received_at`, when the
    proxy received Omni's push, versions the row: an older push never overwrites a newer one.
    """

    sku = models.CharField(max_length=255, help_text="Omni channelSkuCode = Magento SKU")
    location_code = models.CharField(
        max_length=255, blank=True, help_text="Omni location (MSI); empty: one stock / consolidated"
    )
    omni_location_code = models.CharField(
        max_length=255, blank=True, help_text="locationCode of the push that set the quantity"
    )
    quantity = models.PositiveIntegerField(help_text="Omni's latest absolute quantity")
    received_at = models.DateTimeField(help_text="When the proxy received that quantity")
    state = models.CharField(
        max_length=16, choices=StockState.choices, default=StockState.PENDING, db_index=True
    )
    magento_quantity = models.IntegerField(
        null=True, blank=True, help_text="The quantity Magento last accepted from the proxy"
    )
    reserved_units = models.IntegerField(
        default=0,
        help_text="Units Magento reserves for open orders Omni already has, added to the write",
    )
    written_quantity = models.IntegerField(
        null=True,
        blank=True,
        help_text="The source quantity last written: Omni's (legacy: summed over locations) + "
        "reserved units",
    )
    magento_version = models.DateTimeField(
        null=True, blank=True, help_text="received_at of the quantity Magento last accepted"
    )
    magento_accepted_at = models.DateTimeField(null=True, blank=True)
    source_code = models.CharField(max_length=255, blank=True, help_text="MSI source written")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    observed_quantity = models.IntegerField(
        null=True, blank=True, help_text="Magento's salable quantity at the last reconciliation"
    )
    observed_at = models.DateTimeField(null=True, blank=True)
    drift = models.IntegerField(
        null=True,
        blank=True,
        help_text="Magento's salable quantity − Omni's (summed over the stock's locations), "
        "at the last reconciliation",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sku", "location_code"], name="stock_sku_location_uniq")
        ]
        indexes = [
            # The reconciliation: recently pushed rows, least recently checked first.
            models.Index(fields=["received_at"], name="stock_received_idx"),
            # Admin filter "has drift".
            models.Index(fields=["drift"], name="stock_drift_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} @ {self.location_code or 'all'}: {self.quantity}"

    @property
    def pending_difference(self) -> int | None:
        """Omni's number minus what Magento last accepted (None: never accepted)."""
        if self.magento_quantity is None:
            return None
        return self.quantity - self.magento_quantity


class StockSource(models.Model):
    """Omni location → Magento MSI source_code. Rows override settings.MAGENTO_SOURCE_MAP.

    The location `*` stands for consolidated pushes (default source `default`).
    """

    location_code = models.CharField(max_length=255, unique=True)
    source_code = models.CharField(max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.location_code} → {self.source_code}"
