"""Shipping labels (contract 4.6): where a shipment's AWB comes from, and its 4x6 label PDF.

The AWB comes, in this order, from the tracking number of the Magento shipment (once handover has
created it, or pack with MAGENTO_SHIPMENT_AT=pack: then a courier extension's `shipping_label` is
the label itself), from the shipment itself (assigned by support staff, adopted from Omni, or
allocated earlier), or from the next number of the location's courier series. The label is
rendered on every request from the current data; the document store keeps the same row while the
bytes are the same.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from channel import outbox
from channel.documents.data import Address, LabelDoc, PaymentType
from channel.documents.render import render_label_pdf
from channel.integrations.magento import MagentoClient, MagentoError, time_budget
from channel.models import (
    AwbSource,
    Courier,
    Document,
    DocumentKind,
    Location,
    Operation,
    OperationState,
    Order,
    OrderLine,
    Shipment,
    ShipmentState,
)
from channel.services import audit
from channel.services.awb import awb_allocate, shipment_assign_awb
from channel.services.documents import document_store
from channel.services.errors import Conflict, DomainError, InvalidRequest, NotFound, Unavailable
from channel.services.shipments import ship_key_at_pack

log = logging.getLogger(__name__)
ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Label:
    shipment: Shipment
    document: Document


def label_get(*, shipment: Shipment, actor: str = "omni") -> Label:
    """The shipment's AWB (allocated if it has none) and its label PDF, stored."""
    if shipment.state == ShipmentState.CANCELLED:
        raise Conflict(f"Shipment {shipment.shipment_code} is cancelled; it has no label.")
    with time_budget(settings.MAGENTO_REQUEST_BUDGET):
        shipment = _made_at_pack(shipment)
        raw = _magento_shipment(shipment)
    shipment = _adopt_magento_tracking(shipment, raw) or shipment
    if not shipment.awb_number:
        shipment = awb_allocate(shipment=shipment, actor=actor)
    document = _magento_label(shipment, raw, actor) or label_document(shipment, actor=actor)
    return Label(shipment=shipment, document=document)


def shipment_find(
    *,
    order: Order,
    shipment_code: str = "",
    shipment_id: int | None = None,
    location_code: str = "",
) -> Shipment:
    """The shipment Omni names (by code or id); 404 unknown, 400 another order or location."""
    by_code = by_id = None
    if shipment_code:
        by_code = _one(Q(shipment_code=shipment_code), f"Shipment {shipment_code} is unknown.")
    if shipment_id is not None:
        by_id = _one(Q(shipment_id=shipment_id), f"No shipment has shipmentId {shipment_id}.")
    if by_code and by_id and by_code.pk != by_id.pk:
        raise InvalidRequest(
            f"shipmentId {shipment_id} is shipment {by_id.shipment_code}, not {shipment_code}.",
        )
    shipment = by_code or by_id
    if shipment is None:
        raise InvalidRequest("shipmentCode or shipmentId is required.")
    if shipment.order_id != order.pk:
        raise InvalidRequest(
            f"Shipment {shipment.shipment_code} belongs to order {shipment.order.order_code}, "
            f"not {order.order_code}.",
        )
    if location_code and location_code != shipment.location_code:
        raise InvalidRequest(
            f"Shipment {shipment.shipment_code} is at location {shipment.location_code}, "
            f"not {location_code}.",
        )
    return shipment


def _one(where: Q, unknown: str) -> Shipment:
    shipment = Shipment.objects.select_related("order").filter(where).first()
    if shipment is None:
        raise NotFound(unknown)
    return shipment


# --- the AWB from Magento ------------------------------------------------------------------------


def _made_at_pack(shipment: Shipment) -> Shipment:
    """With the Magento shipment made at pack, make sure it exists before the label is chosen
    (its courier may give the AWB): run its pending operation now; 503 while it is missing."""
    key = ship_key_at_pack(shipment)
    operation = Operation.objects.filter(idempotency_key=key).first()
    if operation is None or shipment.magento_shipment_id or shipment.state != ShipmentState.PACKED:
        return shipment
    due = Operation.objects.filter(pk=operation.pk, state=OperationState.PENDING)
    if due.update(next_attempt_at=timezone.now()):
        outbox.run_operation(operation.pk)
    shipment.refresh_from_db()
    if shipment.magento_shipment_id:
        return shipment
    operation.refresh_from_db()
    raise Unavailable(
        f"The Magento shipment of {shipment.shipment_code} is not created yet "
        f"({operation.last_error or 'pending'}); ask for the label again."
    )


def _magento_shipment(shipment: Shipment) -> dict[str, Any] | None:
    """The Magento shipment, read now; None without one, or when Magento does not answer."""
    if not shipment.magento_shipment_id:
        return None
    client = MagentoClient(in_request=True, order_id=shipment.order_id)
    try:
        return client.get_shipment(shipment.magento_shipment_id)
    except MagentoError as exc:
        log.warning("label %s: Magento shipment not read (%s)", shipment.shipment_code, exc)
        return None


def _magento_label(shipment: Shipment, raw: dict[str, Any] | None, actor: str) -> Document | None:
    """The courier's label on the Magento shipment (stored as the shipment's label); when
    Magento cannot be read now, the one stored before."""
    stored = Document.objects.filter(kind=DocumentKind.LABEL, key=shipment.shipment_code)
    if raw is None:
        return stored.first() if shipment.label_from_magento else None
    tracks = [str(t.get("track_number") or "").strip() for t in raw.get("tracks") or []]
    pdf = _decoded_pdf(raw.get("shipping_label"))
    if pdf is None or shipment.awb_number not in tracks:
        return None
    document = document_store_noted(
        kind=DocumentKind.LABEL,
        key=shipment.shipment_code,
        content=pdf,
        order=shipment.order,
        subject=f"shipment:{shipment.shipment_code}",
        actor=actor,
    )
    if not shipment.label_from_magento:
        Shipment.objects.filter(pk=shipment.pk).update(label_from_magento=True)
        shipment.label_from_magento = True
    return document


def _decoded_pdf(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        pdf = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return None
    return pdf if pdf.startswith(b"%PDF") else None


def _adopt_magento_tracking(shipment: Shipment, found: dict[str, Any] | None) -> Shipment | None:
    """Take the first tracking number of the Magento shipment, if it differs from ours.

    Magento unreachable, slow or without tracks: None, and the next source is used."""
    if found is None:
        return None
    track = next((t for t in found.get("tracks") or [] if str(t.get("track_number") or "")), None)
    if track is None or str(track["track_number"]).strip() == shipment.awb_number:
        return None
    title = str(track.get("title") or "").strip()
    transporter = title or shipment.transporter or str(track.get("carrier_code") or "")
    try:
        return shipment_assign_awb(
            shipment=shipment,
            awb=str(track["track_number"]),
            transporter=transporter or "unknown",
            actor="magento",
            source=AwbSource.MAGENTO,
        )
    except DomainError as exc:
        log.warning("label %s: Magento tracking not adopted: %s", shipment.shipment_code, exc)
        return None


# --- the label document --------------------------------------------------------------------------


def label_document(shipment: Shipment, *, actor: str = "omni") -> Document:
    """Render the label from the current data and store it (same row while unchanged)."""
    try:
        pdf = render_label_pdf(label_data(shipment))
    except ValueError as exc:  # an AWB stored by other means that is no Code 128 barcode
        raise Conflict(
            f"The AWB {shipment.awb_number!r} of shipment {shipment.shipment_code} cannot be "
            f"printed ({exc}); replace it in admin."
        ) from None
    return document_store_noted(
        kind=DocumentKind.LABEL,
        key=shipment.shipment_code,
        content=pdf,
        order=shipment.order,
        subject=f"shipment:{shipment.shipment_code}",
        actor=actor,
    )


def label_data(shipment: Shipment) -> LabelDoc:
    order = shipment.order
    cod = shipment_cod_amount(shipment)
    dimensions = shipment.dimensions or {}
    return LabelDoc(
        from_address=location_address(shipment.location_code),
        to_address=order_address(order),
        order_code=order.order_code,
        shipment_code=shipment.shipment_code,
        awb=shipment.awb_number,
        transporter=printed_transporter(shipment.transporter),
        weight_grams=shipment.weight_grams or 0,
        length_cm=_decimal(dimensions.get("length")),
        breadth_cm=_decimal(dimensions.get("breadth")),
        height_cm=_decimal(dimensions.get("height")),
        payment_type=PaymentType.COD if cod > 0 else PaymentType.PREPAID,
        cod_amount=cod,
        item_count=shipment.item_count,
        order_date=order.magento_created_at,
        box_count=max(1, len(shipment.box_awbs or [])),
    )


def document_store_noted(
    *, kind: str, key: str, content: bytes, order: Order | None, subject: str, actor: str
) -> Document:
    """document_store, plus a timeline entry when the document is new or its content changed."""
    before = Document.objects.filter(kind=kind, key=key).values_list("checksum", flat=True).first()
    document = document_store(kind=kind, key=key, content=content, order=order)
    if document.checksum != before:
        audit.record(
            f"document.{kind}_rendered",
            order=order,
            actor=actor,
            subject=subject,
            message=f"{document.filename} {'re-rendered: its data changed' if before else 'made'}",
            data={"document": document.pk, "checksum": document.checksum, "size": document.size},
        )
    return document


def printed_transporter(name: str) -> str:
    courier = Courier.objects.filter(name=name).first()
    return courier.printed_name if courier else name


def location_address(location_code: str) -> Address:
    """The warehouse address of a location; 409 until support staff enter it in admin."""
    location = Location.objects.filter(code=location_code).first()
    if location is None or not location.has_address:
        raise Conflict(
            f"Location {location_code} has no warehouse address in the proxy; add it in admin "
            "(Locations) so labels and manifests can show it."
        )
    return Address(
        name=location.name,
        line1=location.line1,
        line2=location.line2,
        line3=location.line3,
        city=location.city,
        state=location.state,
        zip=location.zip,
        country=location.country,
        phone=location.phone,
        email=location.email,
        gstin=location.gstin or None,
    )


def order_address(order: Order) -> Address:
    return Address.from_omni(order.shipping_address or {}, default_name=order.customer_name)


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value)) if value not in (None, "") else ZERO
    except InvalidOperation:
        return ZERO
    return number if number.is_finite() and number > 0 else ZERO


# --- cash on delivery ----------------------------------------------------------------------------


def _unit_due(line: OrderLine) -> Decimal:
    return line.selling_price_per_unit - line.discount_per_unit + line.shipping_charge_per_unit


def shipment_cod_amount(shipment: Shipment) -> Decimal:
    """The cash to collect for this parcel: zero unless the order is cash on delivery.

    The shipment's share of the order's grand total, in proportion to the value (price incl. tax
    − discount + shipping share) of its units among all units ordered. One parcel with the whole
    order collects exactly the grand total; split parcels never collect more than it together, and
    cancelled units are never collected.
    """
    order = shipment.order
    if not order.is_cod or order.grand_total <= 0:
        return ZERO
    ordered = sum((line.qty_ordered * _unit_due(line) for line in order.lines.all()), ZERO)
    if ordered <= 0:
        return ZERO
    units = shipment.lines.all()  # prefetch lines__order_line when rendering many
    parcel = sum((unit.quantity * _unit_due(unit.order_line) for unit in units), ZERO)
    share = order.grand_total * parcel / ordered
    return min(order.grand_total, share).quantize(CENT, rounding=ROUND_HALF_UP)
