"""Shipments, invoices and the documents (PDFs) made for them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from channel.models.history import history_user
from channel.models.orders import MONEY, Order, OrderLine


class ShipmentState(models.TextChoices):
    PACKED = "packed", "Packed"
    HANDED_OVER = "handed_over", "Handed over to the courier"
    SHIPPED = "shipped", "Shipped in Magento"
    CANCELLED = "cancelled", "Cancelled"


class AwbSource(models.TextChoices):
    NONE = "", "—"
    SERIES = "series", "Courier AWB series"
    MANUAL = "manual", "Assigned by support staff"
    OMNI = "omni", "Given by Omni (manifest)"
    MAGENTO = "magento", "Tracking number of the Magento shipment"


class Shipment(models.Model):
    """A parcel Omni packed (keyed by Omni's shipmentId), and later Magento's shipment."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    shipment_id = models.BigIntegerField(unique=True, help_text="Omni shipmentId (pack key)")
    shipment_code = models.CharField(max_length=64, unique=True, help_text="Proxy shipmentCode")
    location_code = models.CharField(max_length=255, db_index=True)
    state = models.CharField(
        max_length=16, choices=ShipmentState.choices, default=ShipmentState.PACKED
    )
    awb_number = models.CharField(max_length=255, blank=True, db_index=True)
    transporter = models.CharField(max_length=255, blank=True)
    awb_source = models.CharField(
        max_length=16, choices=AwbSource.choices, default=AwbSource.NONE, blank=True
    )
    box_awbs = models.JSONField(default=list, blank=True, help_text="Box AWBs from Omni")
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    dimensions = models.JSONField(default=dict, blank=True, help_text="length, breadth, height")
    package_sku = models.CharField(max_length=255, blank=True)
    gate_pass_code = models.CharField(max_length=255, blank=True)
    magento_shipment_id = models.BigIntegerField(null=True, blank=True, unique=True)
    magento_parts = models.JSONField(
        default=list,
        blank=True,
        help_text="Every Magento shipment made for it, in order (several when Magento's REST "
        "input limit splits its items)",
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True, help_text="Magento shipment created")
    pack_request = models.JSONField(default=dict, blank=True)
    label_from_magento = models.BooleanField(
        default=False, help_text="The label is the Magento shipment's shipping_label (courier)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(get_user=history_user, excluded_fields=["updated_at"])

    class Meta:
        constraints = [
            # No two parcels ever carry the same AWB (allocation, manual assignment, Omni's own).
            models.UniqueConstraint(
                fields=["awb_number"], condition=~Q(awb_number=""), name="shipment_awb_uniq"
            )
        ]
        permissions = [("assign_awb", "Can assign or replace the AWB of a shipment")]

    def __str__(self) -> str:
        return self.shipment_code

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines.all())


class ShipmentLine(models.Model):
    """Units of one order line in one shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipped")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.order_line.sku} × {self.quantity}"


class InvoiceState(models.TextChoices):
    PENDING = "pending", "Being created in Magento"
    CREATED = "created", "Created in Magento"
    FAILED = "failed", "Magento refused"


class Invoice(models.Model):
    """The Magento invoice for one proxy shipment."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="invoice")
    state = models.CharField(
        max_length=16, choices=InvoiceState.choices, default=InvoiceState.PENDING
    )
    # Not unique: when Magento invoiced the order itself (online payment capture), several proxy
    # shipments share that one invoice (adopted).
    magento_invoice_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    magento_parts = models.JSONField(
        default=list,
        blank=True,
        help_text="Every Magento invoice made for the shipment, in order (several when Magento's "
        "REST input limit splits its items)",
    )
    adopted = models.BooleanField(
        default=False, help_text="Magento had already invoiced these units; the proxy did not"
    )
    invoice_number = models.CharField(max_length=64, blank=True, db_index=True)
    invoice_date = models.DateTimeField(null=True, blank=True)
    capture = models.BooleanField(default=False, help_text="Captured online when invoiced")
    lines = models.JSONField(default=list, blank=True, help_text="invoiceDetails as sent to Omni")
    grand_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    raw = models.JSONField(default=dict, blank=True, help_text="Magento invoice JSON")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(get_user=history_user, excluded_fields=["raw", "updated_at"])

    def __str__(self) -> str:
        return self.invoice_number or f"invoice for {self.shipment_id} ({self.state})"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    LABEL = "label", "Shipping label"
    MANIFEST = "manifest", "Manifest"


class Document(models.Model):
    """A rendered PDF, stored once with its checksum; regenerated only when its data changes."""

    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    key = models.CharField(max_length=100, help_text="e.g. the shipment or manifest code")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    checksum = models.CharField(max_length=64)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    link_version = models.PositiveIntegerField(
        default=0, help_text="Raised to revoke every link given out so far"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="document_kind_key_uniq")
        ]
        permissions = [("revoke_document_links", "Can revoke the links to a document")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"

    @property
    def filename(self) -> str:
        """The name a browser saves it under (the key came from Magento or Omni: the
        Content-Disposition header escapes it)."""
        return f"{self.kind}-{self.key}.pdf"

    @property
    def url_name(self) -> str:
        """The last segment of its links: fixed per kind, nothing from outside in a URL."""
        return f"{self.kind}.pdf"


# --- Couriers, AWB series, locations and manifests (contract 4.6, 4.7) ---------------------------
