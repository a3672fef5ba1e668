"""Pack and handover (contract 4.3, 4.8), and the Magento shipment made at handover (or, with
MAGENTO_SHIPMENT_AT=pack, at pack, so that a courier extension can give it its AWB and label;
the handover then adds the track only when Magento has none and e-mails the customer, 8.5).

Pack records a Shipment keyed by Omni's shipmentId with a stable shipmentCode `<orderCode>-<n>`
and (with INVOICE_AT_PACK) queues its invoice. Handover records that the parcel left and queues
`POST /V1/order/{id}/ship` with the AWBs as tracking numbers; before a retry the operation reads
the order's shipments back and adopts the one carrying its tracking number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from channel import outbox
from channel.integrations.magento import MagentoClient, MagentoError
from channel.models import (
    AwbSource,
    ErrorClass,
    Flow,
    Operation,
    Order,
    OrderLine,
    Shipment,
    ShipmentLine,
    ShipmentState,
)
from channel.services import audit, invoices
from channel.services.cancel import remainder_cancel_queue_if_due
from channel.services.errors import Conflict, InvalidRequest, NotFound
from channel.services.fulfilment import (
    CANCEL_REMAINDER,
    SHIP,
    chunked,
    claimed_ids,
    lifecycle_update,
    magento_items,
    make_in_parts,
    nudge,
    refresh_quietly,
)

DEFAULT_TRACK_TITLE = "Courier"
CLOSED_STATES = {"canceled", "complete", "closed"}


# --- 4.3 pack -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackItem:
    sku: str
    order_item_code: str | None
    quantity: int


@dataclass(frozen=True)
class PackRequest:
    order_code: str
    location_code: str
    shipment_id: int
    items: list[PackItem]
    weight_grams: int | None = None
    dimensions: dict[str, Any] = field(default_factory=dict)
    package_sku: str = ""
    box_awbs: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def pack_response(shipment: Shipment) -> dict[str, Any]:
    return {
        "orderCode": shipment.order.order_code,
        "locationCode": shipment.location_code,
        "shipmentId": shipment.shipment_id,
        "shipmentCode": shipment.shipment_code,
    }


def shipment_pack(*, request: PackRequest) -> Shipment:
    """Record the packed units as a new shipment (and queue its invoice when invoicing at pack)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(order_code=request.order_code).first()
        if order is None:
            raise NotFound(f"Order {request.order_code} is unknown.")
        existing = Shipment.objects.filter(shipment_id=request.shipment_id).first()
        if existing is not None:
            return _same_pack(existing, order, request)
        _check_packable(order)
        allocation = _allocate(order, request.items)
        shipment = _create_shipment(order, request, allocation)
        if settings.INVOICE_AT_PACK:
            invoices.invoice_queue(shipment=shipment)
        if settings.MAGENTO_SHIPMENT_AT == "pack" and len(chunked(magento_items(shipment))) == 1:
            # (a parcel of more items than Magento's input limit is shipped in parts at handover)
            ship_queue_at_pack(shipment)
        lifecycle_update(order)
        audit.record(
            "order.packed",
            order=order,
            actor="omni",
            subject=f"shipment:{shipment.shipment_code}",
            message=f"Packed shipment {shipment.shipment_code} (Omni shipmentId "
            f"{shipment.shipment_id}) at {shipment.location_code}: {_describe(allocation)}",
            data={"shipmentId": shipment.shipment_id, "items": _item_data(allocation)},
        )
    return shipment


def _same_pack(existing: Shipment, order: Order, request: PackRequest) -> Shipment:
    """Omni repeats a pack whose stored answer is gone: same content is the same shipment."""
    packed = sorted((sl.order_line.sku, sl.quantity) for sl in existing.lines.all())
    asked: dict[str, int] = {}
    for item in request.items:
        asked[item.sku] = asked.get(item.sku, 0) + item.quantity
    if existing.order_id != order.pk or packed != sorted(asked.items()):
        raise Conflict(
            f"shipmentId {request.shipment_id} was already used for a different request.",
        )
    return existing


def _check_packable(order: Order) -> None:
    if order.magento_state == "canceled" or order.lifecycle == "cancelled":
        raise Conflict(f"Order {order.order_code} is cancelled.")
    if order.is_held:
        raise Conflict(f"Order {order.order_code} is on hold in Magento.")
    if order.magento_state in CLOSED_STATES:
        raise Conflict(
            f"Order {order.order_code} is {order.magento_state} in Magento; nothing can be packed.",
        )


def _allocate(order: Order, items: list[PackItem]) -> list[tuple[OrderLine, int]]:
    """Which order lines the packed units come from; refuses units that are not open."""
    lines = list(order.lines.select_for_update().order_by("position"))
    taken: dict[int, int] = {}
    for item in items:
        candidates = _candidates(order, lines, item)
        ordered = sum(line.qty_ordered for line in candidates)
        open_units = sum(line.qty_open - taken.get(line.pk, 0) for line in candidates)
        if item.quantity > ordered:
            raise InvalidRequest(
                f"Order {order.order_code} has only {ordered} of {_name(item)}; "
                f"cannot pack {item.quantity}."
            )
        if item.quantity > open_units:
            raise Conflict(
                f"Order {order.order_code} has {max(open_units, 0)} of {_name(item)} left to pack "
                f"(ordered − cancelled − already packed); cannot pack {item.quantity}.",
            )
        remaining = item.quantity
        for line in candidates:
            share = min(remaining, line.qty_open - taken.get(line.pk, 0))
            if share > 0:
                taken[line.pk] = taken.get(line.pk, 0) + share
                remaining -= share
    by_pk = {line.pk: line for line in lines}
    return [(by_pk[pk], quantity) for pk, quantity in taken.items()]


def _candidates(order: Order, lines: list[OrderLine], item: PackItem) -> list[OrderLine]:
    same_sku = [line for line in lines if line.sku == item.sku]
    if same_sku and str(same_sku[0].item_id) == item.order_item_code:
        return same_sku  # Omni's one item for the SKU: its lines, oldest first
    if item.order_item_code:
        found = [
            line
            for line in lines
            if str(line.item_id) == item.order_item_code and line.sku == item.sku
        ]
        if not found:
            raise InvalidRequest(
                f"Order {order.order_code} has no item {item.order_item_code} with SKU {item.sku}."
            )
        return found
    found = [line for line in lines if line.sku == item.sku]
    if not found:
        raise InvalidRequest(f"Order {order.order_code} has no item with SKU {item.sku}.")
    return found


def _name(item: PackItem) -> str:
    return f"{item.sku} (item {item.order_item_code})" if item.order_item_code else item.sku


def _next_code(order: Order) -> str:
    number = order.shipments.count() + 1
    while Shipment.objects.filter(shipment_code=f"{order.order_code}-{number}").exists():
        number += 1
    return f"{order.order_code}-{number}"


def _create_shipment(
    order: Order, request: PackRequest, allocation: list[tuple[OrderLine, int]]
) -> Shipment:
    shipment = Shipment.objects.create(
        order=order,
        shipment_id=request.shipment_id,
        shipment_code=_next_code(order),
        location_code=request.location_code,
        weight_grams=request.weight_grams,
        dimensions=request.dimensions,
        package_sku=request.package_sku,
        box_awbs=request.box_awbs,
        pack_request=request.raw,
    )
    for line, quantity in allocation:
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
        line.qty_packed += quantity
        line.save(update_fields=["qty_packed"])
    if not order.location_code:
        order.location_code = request.location_code
        order.save(update_fields=["location_code", "updated_at"])
    return shipment


def _describe(allocation: list[tuple[OrderLine, int]]) -> str:
    return ", ".join(f"{line.sku} × {quantity}" for line, quantity in allocation)


def _item_data(allocation: list[tuple[OrderLine, int]]) -> list[dict[str, Any]]:
    return [
        {"orderItemCode": str(line.item_id), "channelSkuCode": line.sku, "quantity": quantity}
        for line, quantity in allocation
    ]


# --- 4.8 handover -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HandoverItem:
    order_code: str
    shipment_code: str
    gate_pass_code: str = ""
    boxes: list[dict[str, Any]] = field(default_factory=list)

    def content(self, location_code: str) -> dict[str, Any]:
        """What makes a repeat the same handover (its idempotency content)."""
        return {
            "orderCode": self.order_code,
            "locationCode": location_code,
            "gatePassCode": self.gate_pass_code,
            "awbs": sorted(str(box.get("awbNumber") or "") for box in self.boxes),
        }


def handover_validate(*, location_code: str, items: list[HandoverItem]) -> None:
    """Every shipment must exist, belong to its order and to this location (whole request)."""
    codes = [item.shipment_code for item in items]
    shipments = {
        s.shipment_code: s
        for s in Shipment.objects.select_related("order").filter(shipment_code__in=codes)
    }
    unknown = [
        item.shipment_code
        for item in items
        if item.shipment_code not in shipments
        or shipments[item.shipment_code].order.order_code != item.order_code
    ]
    if unknown:
        raise NotFound(
            f"Unknown shipment(s): {', '.join(unknown)} (shipmentCode with its orderCode).",
        )
    elsewhere = [code for code in codes if shipments[code].location_code != location_code]
    if elsewhere:
        raise InvalidRequest(
            f"Shipment(s) {', '.join(elsewhere)} were packed at another location than "
            f"{location_code}."
        )
    cancelled = [code for code in codes if shipments[code].state == ShipmentState.CANCELLED]
    if cancelled:
        raise Conflict(f"Shipment(s) {', '.join(cancelled)} are cancelled.")


def shipments_hand_over(*, location_code: str, items: list[HandoverItem]) -> list[Shipment]:
    """Record that these shipments left, and queue their Magento shipments (and invoices)."""
    with transaction.atomic():
        by_code = {item.shipment_code: item for item in items}
        # Orders first (as pack and cancel do), so a cancellation racing the last handover
        # still sees it and queues the remainder.
        order_ids = Shipment.objects.filter(shipment_code__in=by_code).values_list("order_id")
        locked = Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")
        orders = {order.pk: order for order in locked}
        shipments = list(
            Shipment.objects.select_for_update().filter(shipment_code__in=by_code).order_by("pk")
        )
        for shipment in shipments:
            shipment.order = orders[shipment.order_id]
        done = [s for s in shipments if _hand_over(s, by_code[s.shipment_code])]
        for order in [orders[pk] for pk in sorted({s.order_id for s in done})]:
            _mirror_handed_over(order)
            lifecycle_update(order)
            remainder_cancel_queue_if_due(order)
    return done


def _awb_taken(awb: str, shipment: Shipment) -> bool:
    """Another shipment already carries this AWB (AWBs are unique); this one then keeps none."""
    return Shipment.objects.filter(awb_number=awb).exclude(pk=shipment.pk).exists()


def _hand_over(shipment: Shipment, item: HandoverItem) -> bool:
    if shipment.state != ShipmentState.PACKED:
        return False  # handed over before (its stored answer is gone): nothing more to do
    awbs = [str(box.get("awbNumber") or "") for box in item.boxes if box.get("awbNumber")]
    shipment.state = ShipmentState.HANDED_OVER
    shipment.handed_over_at = timezone.now()
    shipment.gate_pass_code = item.gate_pass_code
    if item.boxes:
        shipment.box_awbs = item.boxes
    if not shipment.awb_number and awbs and not _awb_taken(awbs[0], shipment):
        shipment.awb_number, shipment.awb_source = awbs[0], AwbSource.OMNI
    shipment.save()
    invoices.invoice_queue(shipment=shipment)  # once; the order completes only when invoiced
    at_pack = Operation.objects.filter(idempotency_key=ship_key_at_pack(shipment)).exists()
    outbox.enqueue(
        SHIP,
        key=f"{SHIP}:{shipment.pk}:handover" if at_pack else ship_key_at_pack(shipment),
        order=shipment.order,
        target=f"shipment:{shipment.shipment_code}",
        payload={"shipment": shipment.pk},
    )
    audit.record(
        "order.handed_over",
        order=shipment.order,
        actor="omni",
        subject=f"shipment:{shipment.shipment_code}",
        message=f"Shipment {shipment.shipment_code} handed over to the courier "
        f"(AWB {', '.join(tracking_numbers(shipment)) or 'none'}, gate pass "
        f"{item.gate_pass_code or 'none'})",
        data={"gatePassCode": item.gate_pass_code, "boxes": item.boxes},
    )
    return True


def _mirror_handed_over(order: Order) -> None:
    gone = [ShipmentState.HANDED_OVER, ShipmentState.SHIPPED]
    for line in order.lines.all():
        total = line.shipped.filter(shipment__state__in=gone).aggregate(total=Sum("quantity"))
        quantity = total["total"] or 0
        if quantity != line.qty_handed_over:
            OrderLine.objects.filter(pk=line.pk).update(qty_handed_over=quantity)


# --- the Magento shipment -----------------------------------------------------------------------
def tracking_numbers(shipment: Shipment) -> list[str]:
    """The shipment's AWB first, then each different box AWB."""
    numbers = [shipment.awb_number] if shipment.awb_number else []
    for box in shipment.box_awbs or []:
        awb = str(box.get("awbNumber") or "")
        if awb and awb not in numbers:
            numbers.append(awb)
    return numbers


def _tracks(shipment: Shipment) -> list[dict[str, Any]]:
    title = shipment.transporter or DEFAULT_TRACK_TITLE
    return [
        {"track_number": number, "title": title, "carrier_code": "custom"}
        for number in tracking_numbers(shipment)
    ]


def source_code(shipment: Shipment) -> str | None:
    """The MSI source of the shipment's location, when MAGENTO_SOURCE_MAP is configured."""
    if not settings.MAGENTO_SOURCE_MAP:
        return None
    code = settings.MAGENTO_SOURCE_MAP.get(shipment.location_code)
    if code is None:
        raise outbox.OperationError(
            f"MAGENTO_SOURCE_MAP has no MSI source for location {shipment.location_code}",
            ErrorClass.NEEDS_CONFIG,
        )
    return code


def ship_key_at_pack(shipment: Shipment) -> str:
    """The key of the shipment's first ship operation (at pack, or at handover as before)."""
    return f"{SHIP}:{shipment.pk}"


def ship_queue_at_pack(shipment: Shipment) -> Operation:
    """Queue the Magento shipment of a packed parcel (MAGENTO_SHIPMENT_AT=pack), once."""
    return outbox.enqueue(
        SHIP,
        key=ship_key_at_pack(shipment),
        order=shipment.order,
        target=f"shipment:{shipment.shipment_code}",
        payload={"shipment": shipment.pk},
    )


def ship_marker(shipment: Shipment) -> str:
    return f"Omni shipment {shipment.shipment_code} (shipmentId {shipment.shipment_id})"


def find_in_magento(client: MagentoClient, shipment: Shipment) -> dict[str, Any] | None:
    """The Magento shipment made for this proxy shipment: the one recorded, one carrying its
    marker comment (made at pack), or one carrying its first tracking number (or, without AWB,
    exactly its items) that no other shipment claimed."""
    if shipment.magento_shipment_id:
        return client.get_shipment(shipment.magento_shipment_id)
    order = shipment.order
    taken = set(
        Shipment.objects.filter(order=order, magento_shipment_id__isnull=False)
        .exclude(pk=shipment.pk)
        .values_list("magento_shipment_id", flat=True)
    )
    numbers = tracking_numbers(shipment)
    expected = {item["order_item_id"]: item["qty"] for item in magento_items(shipment)}
    ours = set(order.lines.values_list("magento_item_id", flat=True))
    candidates = [
        c for c in client.search_shipments(order.entity_id) if int(c["entity_id"]) not in taken
    ]
    marker = ship_marker(shipment)
    for candidate in candidates:
        if any(str(c.get("comment") or "") == marker for c in candidate.get("comments") or []):
            return candidate
    for candidate in candidates:
        tracks = {str(t.get("track_number")) for t in candidate.get("tracks") or []}
        if numbers and numbers[0] in tracks:
            return candidate
        if not numbers and not tracks and invoices.items_of(candidate, ours) == expected:
            return candidate
    return None


def _shipment_of(operation: Operation) -> Shipment:
    return Shipment.objects.select_related("order").get(pk=operation.payload["shipment"])


def _read_back(operation: Operation) -> dict[str, Any] | None:
    shipment = _shipment_of(operation)
    if shipment.state == ShipmentState.SHIPPED:
        return {"shipmentId": shipment.magento_shipment_id}
    if shipment.magento_shipment_id:
        return None  # made at pack: the handler finishes the handover (each step looks first)
    if len(chunked(magento_items(shipment))) > 1:
        return None  # running again matches the parts already made before making the rest
    found = find_in_magento(MagentoClient.for_operation(operation), shipment)
    if found is None:
        return None
    if shipment.state == ShipmentState.PACKED:
        shipment_record_made_at_pack(shipment=shipment, magento_shipment_id=int(found["entity_id"]))
        return {"shipmentId": int(found["entity_id"]), "at": "pack"}
    shipment_record_shipped(shipment=shipment, magento_shipment_id=int(found["entity_id"]))
    return {"shipmentId": int(found["entity_id"])}


@outbox.register(SHIP, flow=Flow.FULFILMENT, read_back=_read_back)
def ship(operation: Operation) -> dict[str, Any]:
    """POST /V1/order/{id}/ship with the shipment's items and AWBs (and MSI source); at pack
    without tracks, so that Magento's courier extension can add its own."""
    shipment = _shipment_of(operation)
    if shipment.state == ShipmentState.SHIPPED:
        return {"shipmentId": shipment.magento_shipment_id}
    client = MagentoClient.for_operation(operation)
    if shipment.magento_shipment_id:  # made at pack: the handover completes it
        magento_id = shipment.magento_shipment_id
        if shipment.state == ShipmentState.PACKED:
            return {"shipmentId": magento_id, "at": "pack"}
        steps = _complete_made_at_pack(client, shipment)
        shipment_record_shipped(shipment=shipment, magento_shipment_id=magento_id)
        refresh_quietly(shipment.order, client)
        return {"shipmentId": magento_id, **steps}
    chunks = chunked(magento_items(shipment))
    if len(chunks) > 1:
        parts = _ship_parts(client, shipment, chunks)
        shipment_record_shipped(shipment=shipment, magento_shipment_id=parts[0])
        refresh_quietly(shipment.order, client)
        return {"shipmentId": parts[0], "parts": parts}
    magento_id = _create_or_find(client, shipment)
    if shipment.state == ShipmentState.PACKED:
        shipment_record_made_at_pack(shipment=shipment, magento_shipment_id=magento_id)
        refresh_quietly(shipment.order, client)
        return {"shipmentId": magento_id, "at": "pack"}
    shipment_record_shipped(shipment=shipment, magento_shipment_id=magento_id)
    refresh_quietly(shipment.order, client)
    return {"shipmentId": magento_id}


def _create_or_find(client: MagentoClient, shipment: Shipment) -> int:
    try:
        return _ship(client, shipment)
    except MagentoError as exc:
        if exc.transient or exc.needs_config:
            raise
        if bundle_learn_shipment_type(shipment.order, exc.message):
            return _ship(client, shipment)  # again, with the item ids Magento asked for
        # An earlier attempt that was still on its way (a worker killed mid-call) may have
        # shipped meanwhile: then Magento refuses because nothing is left. Look once more.
        found = find_in_magento(client, shipment)
        if found is None:
            raise
        return int(found["entity_id"])


def _ship(
    client: MagentoClient, shipment: Shipment, items: list[dict[str, Any]] | None = None
) -> int:
    at_pack = shipment.state == ShipmentState.PACKED
    return client.ship_order(
        shipment.order.entity_id,
        magento_items(shipment) if items is None else items,
        [] if at_pack else _tracks(shipment)[: settings.MAGENTO_INPUT_LIMIT],
        source_code=source_code(shipment),
        comment=ship_marker(shipment) if at_pack else None,
    )


def _complete_made_at_pack(client: MagentoClient, shipment: Shipment) -> dict[str, Any]:
    """At handover of a shipment made at pack: add the track only when Magento has none, then
    e-mail the customer (once: Magento notes `email_sent`)."""
    assert shipment.magento_shipment_id is not None
    raw = client.get_shipment(shipment.magento_shipment_id)
    steps: dict[str, Any] = {"trackAdded": False, "emailed": False}
    tracks = _tracks(shipment)
    if not raw.get("tracks") and tracks:
        for track in tracks:
            client.add_shipment_track(shipment.order.entity_id, shipment.magento_shipment_id, track)
        steps["trackAdded"] = True
    if not raw.get("email_sent"):
        steps["emailed"] = client.email_shipment(shipment.magento_shipment_id)
    return steps


def shipment_record_made_at_pack(*, shipment: Shipment, magento_shipment_id: int) -> Shipment:
    """The Magento shipment of a packed parcel exists (MAGENTO_SHIPMENT_AT=pack)."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
        if shipment.magento_shipment_id:
            return shipment
        shipment.magento_shipment_id = magento_shipment_id
        shipment.save(update_fields=["magento_shipment_id", "updated_at"])
        audit.record(
            "order.shipment_made_at_pack",
            order=shipment.order,
            subject=f"shipment:{shipment.shipment_code}",
            message=f"Magento shipment {magento_shipment_id} created at pack for "
            f"{shipment.shipment_code}",
            data={"magentoShipmentId": magento_shipment_id},
        )
    return shipment


# --- several Magento shipments for one parcel (Magento's REST input limit, 8.6) -----------------
def _ship_parts(
    client: MagentoClient, shipment: Shipment, chunks: list[list[dict[str, Any]]]
) -> list[int]:
    """One Magento shipment per chunk of items, all with the parcel's tracks, each recorded as
    soon as it exists; before each is created, one with its first AWB and exactly its items that
    nobody claimed is looked for (an answer lost on an earlier attempt)."""
    return make_in_parts(
        shipment.magento_parts,
        chunks,
        find=lambda chunk, parts: _find_part(client, shipment, chunk, parts),
        create=lambda chunk: _ship(client, shipment, chunk),
        save=lambda parts: Shipment.objects.filter(pk=shipment.pk).update(magento_parts=parts),
    )


def _find_part(
    client: MagentoClient, shipment: Shipment, chunk: list[dict[str, Any]], parts: list[int]
) -> int | None:
    order = shipment.order
    others = Shipment.objects.filter(order=order).exclude(pk=shipment.pk)
    taken = claimed_ids(parts, others.values_list("magento_shipment_id", "magento_parts"))
    numbers = tracking_numbers(shipment)
    expected = {item["order_item_id"]: item["qty"] for item in chunk}
    ours = set(order.lines.values_list("magento_item_id", flat=True))
    for candidate in client.search_shipments(order.entity_id):
        if int(candidate["entity_id"]) in taken:
            continue
        tracks = {str(t.get("track_number")) for t in candidate.get("tracks") or []}
        same_parcel = numbers[0] in tracks if numbers else not tracks
        if same_parcel and invoices.items_of(candidate, ours) == expected:
            return int(candidate["entity_id"])
    return None


BUNDLE_TYPE = re.compile(r'bundle product "(?P<sku>[^"]+)" has shipment type "(?P<type>\w+)"')


def bundle_learn_shipment_type(order: Order, message: str) -> bool:
    """Magento's REST order does not say how a bundle ships; its refusal does. Point the
    bundle's lines at the ids Magento asked for (children when "Separately", the parent when
    "Together"). True when something changed, so the call is worth repeating once."""
    changed = False
    for match in BUNDLE_TYPE.finditer(message):
        parents = [
            int(i["item_id"])
            for i in order.raw.get("items") or []
            if i.get("product_type") == "bundle" and i.get("sku") == match["sku"]
        ]
        for line in order.lines.filter(parent_item_id__in=parents):
            wanted = line.item_id if match["type"] == "Separately" else line.parent_item_id
            assert wanted is not None  # the query is on parent_item_id
            if line.magento_item_id != wanted:
                line.magento_item_id = wanted
                line.save(update_fields=["magento_item_id"])
                changed = True
    if changed:
        audit.record(
            "order.bundle_shipment_type",
            order=order,
            message="Magento said how a bundle ships; its item ids were corrected",
            data={"magento": message[:500]},
        )
    return changed


def shipment_record_shipped(*, shipment: Shipment, magento_shipment_id: int) -> Shipment:
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
        if shipment.state == ShipmentState.SHIPPED:
            return shipment
        shipment.state = ShipmentState.SHIPPED
        shipment.magento_shipment_id = magento_shipment_id
        shipment.magento_parts = shipment.magento_parts or [magento_shipment_id]
        shipment.shipped_at = timezone.now()
        shipment.save()
        _mirror_shipped(shipment.order)
        audit.record(
            "order.shipped",
            order=shipment.order,
            subject=f"shipment:{shipment.shipment_code}",
            message=f"Magento shipment {magento_shipment_id} created for {shipment.shipment_code}",
            data={"magentoShipmentId": magento_shipment_id},
        )
        nudge(shipment.order, CANCEL_REMAINDER)
    return shipment


def _mirror_shipped(order: Order) -> None:
    for line in order.lines.all():
        total = line.shipped.filter(shipment__state=ShipmentState.SHIPPED).aggregate(
            total=Sum("quantity")
        )["total"]
        if total and total > line.qty_shipped:
            OrderLine.objects.filter(pk=line.pk).update(qty_shipped=total)
