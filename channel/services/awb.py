"""Couriers, AWB series and AWB allocation (contract 4.6).

Indian couriers hand merchants ranges of airway-bill (AWB) numbers. An `AwbSeries` is one range and
`next_number` its next free number. Allocation locks the shipment row and then the series row
(`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every write transaction is IMMEDIATE, so writers
queue), so two requests never get the same number and one shipment never gets two. A partial unique
index on `Shipment.awb_number` is the last guard.

An AWB is `prefix + number + check digit + suffix`; the number is zero-padded to `width` digits.
Check-digit rules (`CheckDigit`):

* ``none``  — no check digit.
* ``mod7``  — one digit, the number modulo 7 (e.g. 10-digit DHL Express waybills: a 9-digit serial
  followed by serial mod 7).
* ``mod11`` — the UPU S10 rule used by India Post (``EM473124829IN``): an 8-digit serial, weights
  8 6 4 2 3 5 9 7, check = 11 − (sum mod 11), where 10 becomes 0 and 11 becomes 5.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils.timezone import now

from channel.models import (
    AwbSeries,
    AwbSource,
    CheckDigit,
    Courier,
    Location,
    Shipment,
    ShipmentState,
)
from channel.models.shipping import AWB_MAX_LENGTH, awb_format
from channel.services import audit
from channel.services.errors import Conflict, InvalidRequest

log = logging.getLogger(__name__)

PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")


# --- couriers and series -------------------------------------------------------------------------


def courier_for_location(location_code: str) -> Courier | None:
    """The location's default courier, else the courier marked default for all locations."""
    location = Location.objects.select_related("default_courier").filter(code=location_code).first()
    if location and location.default_courier and location.default_courier.active:
        return location.default_courier
    return Courier.objects.filter(is_default=True, active=True).first()


def courier_make_default(*, courier: Courier, location: Location | None = None) -> None:
    """Make `courier` the default at `location`, or (no location) at every other location."""
    with transaction.atomic():
        if location is not None:
            location.default_courier = courier
            location.save(update_fields=["default_courier"])
            return
        Courier.objects.filter(is_default=True).exclude(pk=courier.pk).update(is_default=False)
        courier.is_default = True
        courier.save(update_fields=["is_default"])


def awb_series_add(
    *,
    transporter: str,
    prefix: str,
    start: int,
    end: int,
    location_code: str = "",
    suffix: str = "",
    check: str = CheckDigit.NONE,
    width: int = 0,
    make_default: bool = False,
    actor: str = "system",
) -> AwbSeries:
    """Add a range of AWB numbers for a courier (created if new).

    Raises django.core.exceptions.ValidationError for a bad or overlapping range."""
    with transaction.atomic():
        courier, _ = Courier.objects.get_or_create(name=transporter.strip())
        location = None
        if location_code:
            location, _ = Location.objects.get_or_create(
                code=location_code, defaults={"name": location_code}
            )
        series = AwbSeries(
            courier=courier,
            location=location,
            prefix=prefix,
            suffix=suffix,
            start=start,
            end=end,
            next_number=start,
            width=width,
            check_digit=check,
        )
        series.full_clean()
        series.save()
        if make_default:
            courier_make_default(courier=courier, location=location)
        audit.record(
            "awb.series_added",
            actor=actor,
            subject=f"courier:{courier.name}",
            message=f"{series.size} AWB numbers added: {series}",
            data={"series": series.pk, "first": awb_format(series, start)},
        )
    return series


def awbs_left(courier: Courier, location_code: str) -> int:
    """AWB numbers still free for `courier` at `location_code` (all usable active series)."""
    total = _usable_series(courier, _location_id(location_code)).aggregate(
        left=Sum(F("end") - F("next_number") + 1)
    )["left"]
    return int(total or 0)


def _location_id(location_code: str) -> int | None:
    return Location.objects.filter(code=location_code).values_list("pk", flat=True).first()


def _usable_series(courier: Courier, location_id: int | None) -> QuerySet[AwbSeries]:
    where = Q(location__isnull=True)
    if location_id is not None:
        where |= Q(location_id=location_id)
    return AwbSeries.objects.filter(where, courier=courier, active=True, next_number__lte=F("end"))


def is_low(left: int) -> bool:
    return left <= settings.AWB_LOW_STOCK_THRESHOLD


# --- allocation and assignment -------------------------------------------------------------------


def awb_allocate(*, shipment: Shipment, actor: str = "omni") -> Shipment:
    """Give the shipment the next free AWB of its location's courier; a shipment that already has
    an AWB keeps it. Raises Conflict when no courier or no number is available."""
    with transaction.atomic():
        locked = _lock(shipment)
        if locked.awb_number:
            return locked
        courier = courier_for_location(locked.location_code)
        if courier is None:
            raise Conflict(
                f"No AWB available for shipment {locked.shipment_code}: no courier is configured "
                f"for location {locked.location_code}; set one in admin (Locations or Couriers)."
            )
        series, awb = _take_number(courier, locked)
        locked.awb_number, locked.transporter = awb, courier.name
        locked.awb_source = AwbSource.SERIES
        locked.save(update_fields=["awb_number", "transporter", "awb_source", "updated_at"])
        audit.record(
            "shipment.awb_allocated",
            order=locked.order,
            actor=actor,
            subject=f"shipment:{locked.shipment_code}",
            message=f"AWB {awb} ({courier.name}) from series {series.pk}",
            data={"awb": awb, "transporter": courier.name, "series": series.pk},
        )
    _warn_if_low(courier, locked.location_code)
    return locked


def _lock(shipment: Shipment) -> Shipment:
    """The shipment, re-read under a row lock (its order is read along, not locked)."""
    query = Shipment.objects.select_related("order").select_for_update(of=("self",))
    return query.get(pk=shipment.pk)


def _take_number(courier: Courier, shipment: Shipment) -> tuple[AwbSeries, str]:
    """Advance the first usable series (location-specific before general) past one free AWB."""
    location_id = _location_id(shipment.location_code)
    while True:
        series = (
            _usable_series(courier, location_id)
            .select_for_update()
            .order_by(F("location_id").asc(nulls_last=True), "pk")
            .first()
        )
        if series is None:
            raise Conflict(
                f"No AWB available for shipment {shipment.shipment_code}: courier {courier.name} "
                f"has no AWB numbers left for location {shipment.location_code}; add a series in "
                "admin or with `manage.py add_awb_series`."
            )
        number = series.next_number
        # An update, not save(): allocation is not a change worth a model-history row.
        AwbSeries.objects.filter(pk=series.pk).update(next_number=number + 1, updated_at=now())
        awb = awb_format(series, number)
        if not Shipment.objects.filter(awb_number=awb).exists():
            return series, awb
        log.warning("AWB %s of series %s is already on another shipment; skipped", awb, series.pk)


def _warn_if_low(courier: Courier, location_code: str) -> None:
    """Log when the stock crosses the threshold, then every tenth of it, and when it runs out."""
    threshold = settings.AWB_LOW_STOCK_THRESHOLD
    left = awbs_left(courier, location_code)
    step = max(1, threshold // 10)
    if left <= threshold and (left == threshold or left % step == 0):
        log.warning(
            "AWB stock low: courier %s has %d AWB numbers left for location %s (threshold %d); "
            "add a series in admin or with manage.py add_awb_series",
            courier.name,
            left,
            location_code,
            threshold,
        )


def awb_problem(awb: str) -> str | None:
    if not awb:
        return "The AWB number is empty."
    if len(awb) > AWB_MAX_LENGTH:
        return f"The AWB number is longer than {AWB_MAX_LENGTH} characters."
    if not PRINTABLE_ASCII.match(awb):
        return "The AWB number may only contain printable ASCII characters (a Code 128 barcode)."
    return None


def shipment_assign_awb(
    *,
    shipment: Shipment,
    awb: str,
    transporter: str,
    actor: str,
    source: str = AwbSource.MANUAL,
) -> Shipment:
    """Assign or replace the shipment's AWB and transporter by hand (or adopt Omni's/Magento's).

    Refused (InvalidRequest) for a bad AWB, an AWB already on another shipment, a cancelled
    shipment, or a manual change after handover, when Magento already has the tracking number (409).
    """
    awb, transporter = awb.strip(), transporter.strip()
    problem = awb_problem(awb) or (None if transporter else "The transporter is empty.")
    if problem:
        raise InvalidRequest(problem)
    with transaction.atomic():
        locked = _lock(shipment)
        _check_assignable(locked, source)
        if (locked.awb_number, locked.transporter) == (awb, transporter):
            return locked
        other = Shipment.objects.filter(awb_number=awb).exclude(pk=locked.pk).first()
        if other is not None:
            raise Conflict(f"AWB {awb} is already on shipment {other.shipment_code}.")
        previous = locked.awb_number
        locked.awb_number, locked.transporter, locked.awb_source = awb, transporter[:100], source
        try:
            with transaction.atomic():
                locked.save(update_fields=["awb_number", "transporter", "awb_source", "updated_at"])
        except IntegrityError:
            raise Conflict(f"AWB {awb} is already on another shipment.") from None
        _record_assignment(locked, previous, actor, source)
    return locked


def _check_assignable(shipment: Shipment, source: str) -> None:
    if shipment.state == ShipmentState.CANCELLED:
        raise Conflict(f"Shipment {shipment.shipment_code} is cancelled.")
    handed_over = shipment.state in (ShipmentState.HANDED_OVER, ShipmentState.SHIPPED)
    if source == AwbSource.MANUAL and handed_over and shipment.awb_number:
        raise Conflict(
            f"Shipment {shipment.shipment_code} was handed over with AWB {shipment.awb_number}; "
            "its AWB can no longer change here."
        )


def _record_assignment(shipment: Shipment, previous: str, actor: str, source: str) -> None:
    verb = "assigned by hand" if source == AwbSource.MANUAL else f"adopted from {source}"
    replacing = f", replacing {previous}" if previous else ""
    audit.record(
        "shipment.awb_assigned" if source == AwbSource.MANUAL else "shipment.awb_adopted",
        order=shipment.order,
        actor=actor,
        subject=f"shipment:{shipment.shipment_code}",
        message=f"AWB {shipment.awb_number} ({shipment.transporter}) {verb}{replacing}",
        data={
            "awb": shipment.awb_number,
            "transporter": shipment.transporter,
            "previous": previous,
            "source": source,
        },
    )
