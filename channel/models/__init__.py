"""The mirror of Magento orders, the outbox, and the records that make every action auditable."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channel.models.history import history_user

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class OrderLifecycle(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by Omni"
    IN_FULFILMENT = "in_fulfilment", "Being packed / shipped"
    FULFILLED = "fulfilled", "Everything handed over"
    CANCELLED = "cancelled", "Cancelled"


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
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    location_code = models.CharField(max_length=255, blank=True, db_index=True)
    lifecycle = models.CharField(
        max_length=20, choices=OrderLifecycle.choices, default=OrderLifecycle.NEW, db_index=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    pushed_to_omni_at = models.DateTimeField(null=True, blank=True)
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
    sku = models.CharField(max_length=255, db_index=True)
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

    class Meta:
        ordering = ["order_id", "position"]

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


class SyncCursor(models.Model):
    """High-water mark of one Magento pull (new orders by created_at, changes by updated_at)."""

    name = models.CharField(max_length=32, unique=True)
    value = models.DateTimeField()
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
        indexes = [models.Index(fields=["order", "-created_at"], name="event_order_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


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
            # The sweeper: due operations, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="op_due_idx"),
            # The order timeline and "has failed operations".
            models.Index(fields=["order", "state"], name="op_order_idx"),
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

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


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


class Heartbeat(models.Model):
    """Last time a process kind (e.g. the worker's sweeper) showed it is alive."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"


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
    handed_over_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True, help_text="Magento shipment created")
    pack_request = models.JSONField(default=dict, blank=True)
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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="document_kind_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.key}.pdf"


# --- Couriers, AWB series, locations and manifests (contract 4.6, 4.7) ---------------------------


class Courier(models.Model):
    """A transporter whose AWB numbers the proxy hands out from pre-allocated series."""

    name = models.CharField(
        max_length=100, unique=True, help_text="Transporter name as Omni knows it (`transporter`)"
    )
    label_name = models.CharField(
        max_length=100, blank=True, help_text="Printed on labels instead of the name, if set"
    )
    magento_carrier_code = models.CharField(
        max_length=32, default="custom", help_text="carrier_code of Magento shipment tracks"
    )
    is_default = models.BooleanField(
        default=False, help_text="Used at locations that have no default courier of their own"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="courier_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def printed_name(self) -> str:
        return self.label_name or self.name


class Location(models.Model):
    """A warehouse Omni ships from: the return address on labels and the header of manifests."""

    code = models.CharField(max_length=64, unique=True, help_text="Omni locationCode")
    name = models.CharField(max_length=255, help_text="Company / warehouse name as printed")
    line1 = models.CharField(max_length=255, blank=True)
    line2 = models.CharField(max_length=255, blank=True)
    line3 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip = models.CharField("PIN / ZIP", max_length=20, blank=True)
    country = models.CharField(max_length=2, default="IN")
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=255, blank=True)
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    default_courier = models.ForeignKey(
        Courier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_locations",
        help_text="AWBs for labels at this location come from this courier's series",
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})" if self.name != self.code else self.code

    @property
    def has_address(self) -> bool:
        return bool(self.line1.strip() and (self.city.strip() or self.zip.strip()))


class CheckDigit(models.TextChoices):
    NONE = "none", "None"
    MOD7 = "mod7", "Mod 7 (serial mod 7, one digit)"
    MOD11 = "mod11", "Mod 11 (UPU S10, 8-digit serial, e.g. India Post)"


class AwbSeries(models.Model):
    """A range of AWB numbers a courier handed the merchant; `next_number` is the next free one.

    AWB = prefix + number (zero-padded to `width`) + check digit + suffix.
    """

    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="series")
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awb_series",
        help_text="Only for this location; empty: any location",
    )
    prefix = models.CharField(max_length=20, blank=True)
    suffix = models.CharField(max_length=20, blank=True)
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    next_number = models.BigIntegerField(help_text="Allocated next; end + 1 when used up")
    width = models.PositiveSmallIntegerField(
        default=0, help_text="Zero-pad the number to this many digits (0: no padding)"
    )
    check_digit = models.CharField(
        max_length=8, choices=CheckDigit.choices, default=CheckDigit.NONE
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["next_number", "updated_at"], get_user=history_user
    )

    class Meta:
        verbose_name = "AWB series"
        verbose_name_plural = "AWB series"
        ordering = ["courier__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="awb_series_start_positive"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="awb_series_range"),
            models.CheckConstraint(
                condition=Q(next_number__gte=F("start")) & Q(next_number__lte=F("end") + 1),
                name="awb_series_next_in_range",
            ),
        ]
        indexes = [
            # Allocation: the active series of one courier.
            models.Index(fields=["courier", "active"], name="awb_series_courier_idx"),
        ]

    def __str__(self) -> str:
        where = self.location.code if self.location_id else "any location"
        return f"{self.courier} {self.prefix}{self.start}–{self.end}{self.suffix} ({where})"

    def clean(self) -> None:
        from channel.services.awb import (
            awb_series_problems,  # channel.services.awb imports this module
        )

        if self.next_number is None and self.start is not None:
            self.next_number = self.start
        problems = awb_series_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    @property
    def remaining(self) -> int:
        return max(0, self.end - self.next_number + 1)


class Manifest(models.Model):
    """A courier's pickup list of shipments at one location (contract 4.7; no Magento call)."""

    manifest_id = models.BigIntegerField(
        unique=True, null=True, blank=True, help_text="Omni manifestId (idempotency key)"
    )
    manifest_code = models.CharField(max_length=100, unique=True, help_text="Proxy manifestCode")
    transporter = models.CharField(max_length=255)
    location_code = models.CharField(max_length=64, db_index=True)
    request = models.JSONField(default=dict, blank=True, help_text="Omni's request, as received")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.manifest_code


class ManifestItem(models.Model):
    """One shipment on a manifest; a shipment is on at most one manifest."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="items")
    shipment = models.OneToOneField(
        Shipment, on_delete=models.PROTECT, related_name="manifest_item"
    )
    position = models.PositiveIntegerField(default=0)
    box_awbs = models.JSONField(default=list, blank=True, help_text="packBoxDetailsList")

    class Meta:
        ordering = ["manifest_id", "position"]

    def __str__(self) -> str:
        return f"{self.manifest_id}: {self.shipment_id}"


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
    magento_version = models.DateTimeField(
        null=True, blank=True, help_text="received_at of the quantity Magento last accepted"
    )
    magento_accepted_at = models.DateTimeField(null=True, blank=True)
    source_code = models.CharField(max_length=255, blank=True, help_text="MSI source written")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    observed_quantity = models.IntegerField(
        null=True, blank=True, help_text="Magento's quantity at the last reconciliation"
    )
    observed_at = models.DateTimeField(null=True, blank=True)
    drift = models.IntegerField(
        null=True, blank=True, help_text="Magento's quantity − Omni's, at the last reconciliation"
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
