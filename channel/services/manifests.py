"""Manifests (contract 4.7): a courier's pickup list of shipments at one location. No Magento call.

A request is checked as a whole and refused as a whole (nothing recorded):

* 404 — a shipment is unknown;
* 400 — a shipment belongs to another order or location, has an AWB or transporter other than the
  one given, or has no AWB and none is given;
* 409 — a shipment is cancelled, is already on another manifest, or the AWB it would adopt is
  already on another shipment (conflicts with the current state, contract section 0).

A shipment without an AWB adopts the one given (Omni's own courier). The manifest code is
`MF-<location>-<YYYYMMDD, UTC>-<NNNN>`, numbered per location and day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from channel.documents.data import ManifestDoc, ManifestRow
from channel.documents.render import render_manifest_pdf
from channel.models import (
    AwbSource,
    Document,
    DocumentKind,
    Location,
    Manifest,
    ManifestItem,
    Shipment,
    ShipmentState,
)
from channel.services import audit
from channel.services.awb import awb_problem
from channel.services.errors import Conflict, InvalidRequest, NotFound
from channel.services.labels import document_store_noted, location_address, shipment_cod_amount


@dataclass(frozen=True, kw_only=True)
class ManifestLine:
    """One manifestItems entry of Omni's request."""

    order_code: str
    shipment_code: str
    awb: str = ""
    box_awbs: tuple[dict[str, Any], ...] = ()


def manifest_create(
    *,
    transporter: str,
    location_code: str,
    manifest_id: int | None,
    lines: list[ManifestLine],
    request: dict[str, Any],
    actor: str = "omni",
) -> Manifest:
    """Create the manifest and its PDF, or refuse the whole request (a DomainError)."""
    with transaction.atomic():
        _lock_location(location_code)  # numbers manifests per location one at a time
        if manifest_id is not None:
            existing = Manifest.objects.filter(manifest_id=manifest_id).first()
            if existing is not None:
                return _same_manifest(existing, lines)
        shipments = _lock_shipments(lines)
        _validate(transporter, location_code, lines, shipments)
        manifest = Manifest.objects.create(
            manifest_id=manifest_id,
            manifest_code=_next_code(location_code, timezone.now()),
            transporter=transporter,
            location_code=location_code,
            request=request,
        )
        _add_items(manifest, lines, shipments, actor)
        audit.record(
            "manifest.created",
            actor=actor,
            subject=f"manifest:{manifest.manifest_code}",
            message=f"{len(lines)} shipment(s) for {transporter} at {location_code}",
            data={"manifestId": manifest_id, "shipments": [line.shipment_code for line in lines]},
        )
        manifest_document(manifest, actor=actor)  # in the transaction: no manifest without PDF
    return manifest


def manifest_find(manifest_code: str) -> Manifest:
    manifest = Manifest.objects.filter(manifest_code=manifest_code).first()
    if manifest is None:
        raise NotFound(f"Manifest {manifest_code} is unknown.")
    return manifest


def manifest_body(manifest: Manifest) -> dict[str, Any]:
    """The answer to Create Manifest."""
    items = manifest.items.select_related("shipment__order").order_by("position")
    return {
        "manifestCode": manifest.manifest_code,
        "manifestItems": [
            {
                "orderCode": item.shipment.order.order_code,
                "shipmentCode": item.shipment.shipment_code,
            }
            for item in items
        ],
    }


# --- validation ----------------------------------------------------------------------------------


def _lock_location(location_code: str) -> None:
    location = Location.objects.select_for_update().filter(code=location_code).first()
    if location is None or not location.has_address:
        location_address(location_code)  # raises the "no warehouse address" refusal


def _same_manifest(existing: Manifest, lines: list[ManifestLine]) -> Manifest:
    """A repeat of a manifest already made (its stored answer was lost): the same manifest."""
    codes = set(existing.items.values_list("shipment__shipment_code", flat=True))
    if codes != {line.shipment_code for line in lines}:
        raise Conflict(
            f"manifestId {existing.manifest_id} was already used for manifest "
            f"{existing.manifest_code} with other shipments."
        )
    return existing


def _lock_shipments(lines: list[ManifestLine]) -> dict[str, Shipment]:
    codes = [line.shipment_code for line in lines]
    query = Shipment.objects.select_related("order").select_for_update(of=("self",))
    return {s.shipment_code: s for s in query.filter(shipment_code__in=codes).order_by("pk")}


Problems = dict[str, list[str]]


def _validate(
    transporter: str, location_code: str, lines: list[ManifestLine], shipments: dict[str, Shipment]
) -> None:
    unknown: Problems = {}
    invalid: Problems = {}
    conflicts: Problems = {}
    on_manifest = _manifest_codes(shipments.values())
    awb_owners = _awb_owners(lines)  # adopted AWBs are claimed as the loop goes
    for index, line in enumerate(lines):
        path = f"manifestItems[{index}]"
        shipment = shipments.get(line.shipment_code)
        if shipment is None:
            _add(unknown, f"{path}.shipmentCode", f"Shipment {line.shipment_code} is unknown.")
            continue
        for field, message in _input_problems(line, shipment, transporter, location_code):
            _add(invalid, field if field == "transporter" else f"{path}.{field}", message)
        for message in _state_problems(shipment, on_manifest.get(shipment.pk)):
            _add(conflicts, f"{path}.shipmentCode", message)
        if line.awb and not shipment.awb_number:
            owner = awb_owners.setdefault(line.awb, shipment.shipment_code)
            if owner != shipment.shipment_code:
                message = f"AWB {line.awb} is already on shipment {owner}."
                _add(conflicts, f"{path}.awbNumber", message)
    for problems, error in ((unknown, NotFound), (invalid, InvalidRequest), (conflicts, Conflict)):
        if problems:
            raise error(_summary(problems), errors=problems)


def _manifest_codes(shipments: Any) -> dict[int, str]:
    items = ManifestItem.objects.filter(shipment__in=list(shipments)).select_related("manifest")
    return {item.shipment_id: item.manifest.manifest_code for item in items}


def _awb_owners(lines: list[ManifestLine]) -> dict[str, str]:
    """The shipment codes that already hold the AWBs of this request."""
    wanted = {line.awb for line in lines if line.awb}
    query = Shipment.objects.filter(awb_number__in=wanted)
    return dict(query.values_list("awb_number", "shipment_code"))


def _input_problems(
    line: ManifestLine, shipment: Shipment, transporter: str, location_code: str
) -> list[tuple[str, str]]:
    code = shipment.shipment_code
    problems = []
    if shipment.order.order_code != line.order_code:
        owner = shipment.order.order_code
        problems.append(
            ("orderCode", f"Shipment {code} belongs to order {owner}, not {line.order_code}.")
        )
    if shipment.location_code != location_code:
        where = shipment.location_code
        problems.append(
            ("shipmentCode", f"Shipment {code} is at location {where}, not {location_code}.")
        )
    if shipment.awb_number and line.awb and line.awb != shipment.awb_number:
        problems.append(
            ("awbNumber", f"Shipment {code} has AWB {shipment.awb_number}, not {line.awb}.")
        )
    elif not shipment.awb_number and not line.awb:
        problems.append(("awbNumber", f"Shipment {code} has no AWB yet; send its awbNumber."))
    elif line.awb and not shipment.awb_number and awb_problem(line.awb):
        problems.append(("awbNumber", str(awb_problem(line.awb))))
    if shipment.transporter and _name(shipment.transporter) != _name(transporter):
        courier = shipment.transporter
        problems.append(("transporter", f"Shipment {code} goes with {courier}, not {transporter}."))
    return problems


def _state_problems(shipment: Shipment, manifest_code: str | None) -> list[str]:
    code = shipment.shipment_code
    problems = []
    if shipment.state == ShipmentState.CANCELLED:
        problems.append(f"Shipment {code} is cancelled.")
    if manifest_code:
        problems.append(f"Shipment {code} is already on manifest {manifest_code}.")
    return problems


def _add(problems: Problems, path: str, message: str) -> None:
    problems.setdefault(path, []).append(message)


def _summary(problems: Problems) -> str:
    messages = [message for found in problems.values() for message in found]
    more = f" (and {len(messages) - 1} more problem(s))" if len(messages) > 1 else ""
    return messages[0] + more


def _name(transporter: str) -> str:
    return " ".join(transporter.split()).casefold()


# --- creation ------------------------------------------------------------------------------------


def _next_code(location_code: str, now: datetime) -> str:
    prefix = f"MF-{location_code}-{now:%Y%m%d}-"
    codes = Manifest.objects.filter(manifest_code__startswith=prefix)
    numbers = [code[len(prefix) :] for code in codes.values_list("manifest_code", flat=True)]
    last = max((int(n) for n in numbers if n.isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


def _add_items(
    manifest: Manifest, lines: list[ManifestLine], shipments: dict[str, Shipment], actor: str
) -> None:
    """Adopt Omni's AWBs, add the items and note each order, in a few queries for any size."""
    adopted = _adopt_awbs(manifest, lines, shipments)
    ManifestItem.objects.bulk_create(
        ManifestItem(
            manifest=manifest,
            shipment=shipments[line.shipment_code],
            position=position,
            box_awbs=list(line.box_awbs),
        )
        for position, line in enumerate(lines)
    )
    for line in lines:
        shipment = shipments[line.shipment_code]
        note = f"; AWB {shipment.awb_number} adopted from Omni" if shipment.pk in adopted else ""
        audit.record(
            "order.manifested",
            order=shipment.order,
            actor=actor,
            subject=f"shipment:{shipment.shipment_code}",
            message=f"On manifest {manifest.manifest_code} ({manifest.transporter}){note}",
            data={"manifest": manifest.manifest_code, "awb": shipment.awb_number},
        )


def _adopt_awbs(
    manifest: Manifest, lines: list[ManifestLine], shipments: dict[str, Shipment]
) -> set[int]:
    """Shipments without an AWB take the one given (and the transporter); ids of those."""
    changed, adopted = [], set()
    for line in lines:
        shipment = shipments[line.shipment_code]
        if not shipment.awb_number:
            shipment.awb_number, shipment.awb_source = line.awb, AwbSource.OMNI
            adopted.add(shipment.pk)
        elif shipment.transporter:
            continue
        shipment.transporter = manifest.transporter[:100]
        shipment.updated_at = timezone.now()
        changed.append(shipment)
    fields = ["awb_number", "transporter", "awb_source", "updated_at"]
    try:
        with transaction.atomic():
            bulk_update_with_history(changed, Shipment, fields, default_change_reason="manifest")
    except IntegrityError:  # another request gave one of these AWBs away meanwhile
        raise Conflict("An AWB given for this manifest is already on another shipment.") from None
    return adopted


# --- the manifest document -----------------------------------------------------------------------


def manifest_items(manifest: Manifest) -> QuerySet[ManifestItem]:
    return (
        manifest.items.select_related("shipment__order")
        .prefetch_related("shipment__lines__order_line", "shipment__order__lines")
        .order_by("position")
    )


def manifest_data(manifest: Manifest) -> ManifestDoc:
    rows = [
        ManifestRow(
            order_code=item.shipment.order.order_code,
            shipment_code=item.shipment.shipment_code,
            awb=item.shipment.awb_number,
            boxes=len(item.box_awbs) or len(item.shipment.box_awbs or []) or 1,
            items=item.shipment.item_count,
            cod_amount=shipment_cod_amount(item.shipment),
        )
        for item in manifest_items(manifest)
    ]
    return ManifestDoc(
        manifest_code=manifest.manifest_code,
        transporter=manifest.transporter,
        location_code=manifest.location_code,
        warehouse_address=location_address(manifest.location_code),
        created_at=manifest.created_at,
        rows=tuple(rows),
    )


def manifest_document(manifest: Manifest, *, actor: str = "omni") -> Document:
    """Render the manifest from the current data and store it (same row while unchanged)."""
    return document_store_noted(
        kind=DocumentKind.MANIFEST,
        key=manifest.manifest_code,
        content=render_manifest_pdf(manifest_data(manifest)),
        order=None,
        subject=f"manifest:{manifest.manifest_code}",
        actor=actor,
    )
