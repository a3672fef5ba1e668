"""Couriers, warehouses (locations), AWB series and manifests."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channel.models.fulfilment import Shipment
from channel.models.history import history_user


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
        where = self.location.code if self.location is not None else "any location"
        return f"{self.courier} {self.prefix}{self.start}–{self.end}{self.suffix} ({where})"

    def clean(self) -> None:
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


S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
AFFIX = re.compile(r"^[A-Za-z0-9-]*$")
AWB_MAX_LENGTH = 64


# --- formatting ----------------------------------------------------------------------------------


def check_digit(rule: str, number: int) -> str:
    """The check digit `rule` appends to `number` ("" for none)."""
    if rule == CheckDigit.MOD7:
        return str(number % 7)
    if rule == CheckDigit.MOD11:
        digits = f"{number:08d}"
        total = sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS, strict=True))
        check = 11 - total % 11
        return {10: "0", 11: "5"}.get(check, str(check))
    return ""


def effective_width(series: AwbSeries) -> int:
    return 8 if series.check_digit == CheckDigit.MOD11 else series.width


def awb_format(series: AwbSeries, number: int) -> str:
    width = effective_width(series)
    digits = f"{number:0{width}d}" if width else str(number)
    return f"{series.prefix}{digits}{check_digit(series.check_digit, number)}{series.suffix}"


def awb_series_problems(series: AwbSeries) -> dict[str, list[str]]:
    """What is wrong with a series before it is saved (empty: nothing)."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field in ("prefix", "suffix"):
        if not AFFIX.match(getattr(series, field) or ""):
            add(field, "Only letters, digits and '-' are allowed.")
    if series.start is None or series.end is None:
        return problems
    if series.start < 0:
        add("start", "The first number cannot be negative.")
    if series.end < series.start:
        add("end", f"The last number must be at least the first ({series.start}).")
    if series.next_number is not None and series.end < series.next_number - 1:
        add("end", f"Numbers up to {series.next_number - 1} are already handed out.")
    if series.check_digit == CheckDigit.MOD11 and series.end > 99_999_999:
        add("end", "Mod 11 (S10) serials have 8 digits: the last number is at most 99999999.")
    if series.width and len(str(series.end)) > series.width:
        add("width", f"{series.end} has more than {series.width} digits.")
    if problems:
        return problems
    if len(awb_format(series, series.end)) > AWB_MAX_LENGTH:
        add("end", f"AWB numbers of this series would be longer than {AWB_MAX_LENGTH} characters.")
    clash = _overlapping(series)
    if clash is not None:
        add("start", f"The range overlaps {clash}: the same AWB numbers would be handed out twice.")
    return problems


def _overlapping(series: AwbSeries) -> AwbSeries | None:
    same_shape = AwbSeries.objects.filter(
        prefix=series.prefix,
        suffix=series.suffix,
        check_digit=series.check_digit,
        start__lte=series.end,
        end__gte=series.start,
    ).exclude(pk=series.pk)
    width = effective_width(series)
    for other in same_shape.select_related("courier", "location"):
        if effective_width(other) == width:
            return other
    return None
