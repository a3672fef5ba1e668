"""Return services: one set of rules for admin, the returns API and "mark RTO".

Every workflow is a `return_<action>` function with keyword-only arguments that runs inside a
transaction. Creation locks the forward order row, so two returns that together ask for more units
than were shipped cannot both succeed, on any number of web processes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from channel import outbox
from channel.lib.hashing import content_hash
from channel.lib.timefmt import to_omni
from channel.models import (
    CreditMemo,
    CreditMemoState,
    Operation,
    Order,
    OrderLine,
    Shipment,
    ShipmentState,
)
from channel.services import audit
from channel.services.errors import Conflict, InvalidRequest, NotFound
from returns.models import (
    CODE_LENGTH,
    EDITABLE_STATES,
    HOLDING_STATES,
    QcStatus,
    ReturnItem,
    ReturnOrder,
    ReturnState,
    ReturnType,
)

SEND_RETURN = "omni.create_return"
REFUND_RETURN = "magento.refund_return"
RTO_REASON = "Return to origin (undelivered)"
RETURNABLE_SHIPMENT_STATES = [ShipmentState.HANDED_OVER, ShipmentState.SHIPPED]
# A return is expanded into one row per unit before its units are checked against the order:
# without a bound, {"quantity": 1000000000} would exhaust the memory (docs/api.md, fuzzing).
MAX_UNITS = 10_000


class ReturnError(InvalidRequest):
    """A refused return request (the API answers each kind with its status, channel.api.errors)."""


class ReturnNotFound(ReturnError, NotFound):
    pass


class ReturnConflict(ReturnError, Conflict):
    pass


@dataclass(frozen=True)
class ItemInput:
    """One requested item: a unit with its own `item_code`, or `quantity` units of a SKU."""

    channel_sku_code: str
    reason: str
    item_code: str | None = None
    quantity: int = 1
    order_item_code: int | None = None  # pins the order line (RTO knows it; API may send it)


@dataclass(frozen=True)
class QcInput:
    """Omni's QC result for one returned unit."""

    item_code: str
    qc_status: str
    channel_sku_code: str | None = None
    qc_reason: str = ""
    image_urls: tuple[str, ...] = ()


@dataclass
class CreateResult:
    return_order: ReturnOrder
    created: bool


@dataclass
class _Unit:
    index: int  # position of the ItemInput it came from
    sku: str
    reason: str
    item_code: str | None
    pin: int | None
    line: OrderLine | None = None


# --- creating -----------------------------------------------------------------------------------
def return_create(
    *,
    forward_order_code: str,
    order_type: str,
    items: list[ItemInput],
    actor: str,
    return_order_code: str | None = None,
    location_code: str | None = None,
    awb_number: str = "",
    transporter: str = "",
    return_order_time: datetime | None = None,
    shipment: Shipment | None = None,
    submit: bool = True,
) -> CreateResult:
    """Create a return (queued for Omni unless `submit` is false), or find the same one again.

    A repeat with the same `return_order_code` and the same request returns the existing return
    (`created=False`); the same code with a different request raises ReturnConflict.
    """
    _check_fields(
        forward_order_code=forward_order_code,
        order_type=order_type,
        items=items,
        return_order_code=return_order_code,
        location_code=location_code,
        awb_number=awb_number,
        transporter=transporter,
    )
    request = {
        "forwardOrderCode": forward_order_code,
        "orderType": order_type,
        "locationCode": location_code,
        "awbNumber": awb_number,
        "transporter": transporter,
        "returnOrderTime": return_order_time.isoformat() if return_order_time else None,
        "shipmentCode": shipment.shipment_code if shipment else None,
        "orderItems": [asdict(item) for item in items],
    }

    def digest(code: str) -> str:
        return content_hash({**request, "returnOrderCode": code})

    try:
        with transaction.atomic():
            order = _lock_order(forward_order_code)
            code = return_order_code or _next_return_code(order)
            existing = ReturnOrder.objects.filter(return_order_code=code).first()
            if existing is not None:
                return CreateResult(_same_request(existing, digest(code)), created=False)
            units = _allocate(order, _expand(items))
            _assign_item_codes(code, units)
            return_order = ReturnOrder.objects.create(
                return_order_code=code,
                order=order,
                shipment=shipment,
                order_type=order_type,
                location_code=_location(order, location_code, shipment),
                awb_number=awb_number,
                transporter=transporter,
                return_order_time=return_order_time or timezone.now(),
                request_hash=digest(code),
                created_by=actor[:150],
            )
            _create_items(return_order, units)
            _record(return_order, "return.created", actor, _created_message(return_order, units))
            if submit:
                _queue(return_order, actor)
            return CreateResult(return_order, created=True)
    except IntegrityError:
        # A concurrent request (for another forward order) took the same code(s) first.
        if return_order_code:
            existing = ReturnOrder.objects.filter(return_order_code=return_order_code).first()
            if existing is not None:
                return CreateResult(
                    _same_request(existing, digest(return_order_code)), created=False
                )
        raise ReturnConflict(
            "A code of this return was just used by another return; nothing was created."
        ) from None


def _check_fields(
    *,
    forward_order_code: str,
    order_type: str,
    items: list[ItemInput],
    return_order_code: str | None,
    location_code: str | None,
    awb_number: str,
    transporter: str,
) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not forward_order_code:
        add("forwardOrderCode", "This field is required.")
    if order_type not in ReturnType.values:
        add("orderType", f"Must be one of {', '.join(ReturnType.values)}, not {order_type!r}.")
    if return_order_code is not None and not return_order_code.strip():
        add("returnOrderCode", "May not be blank (leave it out to have one generated).")
    if location_code is not None and not location_code.strip():
        add("locationCode", "May not be blank (leave it out to use the order's location).")
    for field, value in (
        ("forwardOrderCode", forward_order_code),
        ("returnOrderCode", return_order_code),
        ("locationCode", location_code),
        ("awbNumber", awb_number),
        ("transporter", transporter),
    ):
        if value and len(value) > CODE_LENGTH:
            add(field, f"At most {CODE_LENGTH} characters ({len(value)} given).")
    if not items:
        add("orderItems", "At least one item is required.")
    for index, item in enumerate(items):
        for message_field, message in _item_problems(item):
            add(f"orderItems[{index}].{message_field}", message)
    units = sum(item.quantity for item in items if _whole(item.quantity) and item.quantity > 0)
    if units > MAX_UNITS:
        add("orderItems", f"At most {MAX_UNITS} units per return ({units} given).")
    if errors:
        field, messages = next(iter(errors.items()))
        raise ReturnError(f"Invalid return: {field}: {messages[0]}", errors=errors)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _item_problems(item: ItemInput) -> list[tuple[str, str]]:
    problems = []
    if not item.channel_sku_code:
        problems.append(("channelSkuCode", "This field is required."))
    elif len(item.channel_sku_code) > CODE_LENGTH:
        problems.append(("channelSkuCode", f"At most {CODE_LENGTH} characters."))
    if not item.reason or not item.reason.strip():
        problems.append(("reason", "This field is required."))
    if not _whole(item.quantity) or item.quantity < 1:
        problems.append(("quantity", "Must be a whole number of at least 1."))
    if item.item_code is not None:
        if not item.item_code.strip():
            problems.append(("itemCode", "May not be blank."))
        elif len(item.item_code) > CODE_LENGTH:
            problems.append(("itemCode", f"At most {CODE_LENGTH} characters."))
        if item.quantity != 1:
            problems.append(("itemCode", "An itemCode names one unit: leave it out with quantity."))
    return problems


def _lock_order(forward_order_code: str) -> Order:
    order = Order.objects.select_for_update().filter(order_code=forward_order_code).first()
    if order is None:
        raise ReturnNotFound(f"Order {forward_order_code} is unknown.")
    return order


def _next_return_code(order: Order) -> str:
    """R-<order>-<n>: the next free number for this order (the order row is locked)."""
    number = order.returns.count() + 1
    while ReturnOrder.objects.filter(return_order_code=f"R-{order.order_code}-{number}").exists():
        number += 1
    return f"R-{order.order_code}-{number}"


def _same_request(existing: ReturnOrder, digest: str) -> ReturnOrder:
    if existing.request_hash != digest:
        raise ReturnConflict(
            f"Return {existing.return_order_code} already exists with different content."
        )
    return existing


def _expand(items: list[ItemInput]) -> list[_Unit]:
    """One unit per returned piece (Omni: one order item = one unit)."""
    return [
        _Unit(
            index,
            item.channel_sku_code,
            item.reason.strip()[:CODE_LENGTH],
            item.item_code,
            item.order_item_code,
        )
        for index, item in enumerate(items)
        for _ in range(item.quantity)
    ]


def return_find(return_order_code: str) -> ReturnOrder:
    """The return with its order and items (ReturnNotFound otherwise). A code with a NUL
    character (from a URL) names none: PostgreSQL cannot even compare it."""
    returns = ReturnOrder.objects.select_related("order").prefetch_related("items")
    found = "\x00" not in return_order_code
    return_order = returns.filter(return_order_code=return_order_code).first() if found else None
    if return_order is None:
        raise ReturnNotFound(f"Return {return_order_code} is unknown.")
    return return_order


def returnable_by_line(order: Order, *, exclude: ReturnOrder | None = None) -> dict[int, int]:
    """Units of each line (by pk) that may still be returned: shipped − units in live returns."""
    held = ReturnItem.objects.filter(
        order_line__order=order, return_order__state__in=HOLDING_STATES
    )
    if exclude is not None:
        held = held.exclude(return_order=exclude)
    counts = dict(held.values("order_line").annotate(n=Count("pk")).values_list("order_line", "n"))
    return {line.pk: shipped_units(line) - counts.get(line.pk, 0) for line in order.lines.all()}


def shipped_units(line: OrderLine) -> int:
    """Units that left the warehouse: handed over by Omni, or shipped per Magento if more."""
    return max(line.qty_handed_over, line.qty_shipped)


def _allocate(order: Order, units: list[_Unit]) -> list[_Unit]:
    """Give every unit an order line with a returnable unit left, or refuse with every shortfall."""
    lines = list(order.lines.all())
    returnable = returnable_by_line(order)
    free = dict(returnable)
    errors: dict[str, list[str]] = {}
    # Pinned units first, so that an unpinned unit never takes the pinned line's last unit.
    for unit in sorted(units, key=lambda u: u.pin is None):
        candidates = [
            line
            for line in lines
            if line.sku == unit.sku and (unit.pin is None or line.item_id == unit.pin)
        ]
        if not candidates:
            where = f"line {unit.pin} of " if unit.pin is not None else ""
            errors.setdefault(f"orderItems[{unit.index}].channelSkuCode", []).append(
                f"{unit.sku} is not in {where}order {order.order_code}."
            )
            continue
        unit.line = next((line for line in candidates if free[line.pk] > 0), None)
        if unit.line is not None:
            free[unit.line.pk] -= 1
    errors.update(_shortfalls(units, lines, returnable))
    if errors:
        field, messages = next(iter(errors.items()))
        raise ReturnError(f"Invalid return: {field}: {messages[0]}", errors=errors)
    return units


def _shortfalls(
    units: list[_Unit], lines: list[OrderLine], returnable: dict[int, int]
) -> dict[str, list[str]]:
    """One message per SKU that asks for more units than are left to return."""
    short = [u for u in units if u.line is None and any(line.sku == u.sku for line in lines)]
    asked = Counter(u.sku for u in units)
    errors: dict[str, list[str]] = {}
    for sku in dict.fromkeys(u.sku for u in short):
        sku_lines = [line for line in lines if line.sku == sku]
        shipped = sum(shipped_units(line) for line in sku_lines)
        left = sum(max(0, returnable[line.pk]) for line in sku_lines)
        index = next(u.index for u in short if u.sku == sku)
        errors.setdefault(f"orderItems[{index}].quantity", []).append(
            f"{asked[sku]} unit(s) of {sku} asked but only {left} can be returned "
            f"({shipped} shipped, {shipped - left} already in other returns)."
        )
    return errors


def _assign_item_codes(code: str, units: list[_Unit]) -> None:
    """Generated codes are <returnOrderCode>-<k>; every code unique here and everywhere."""
    for number, unit in enumerate(units, start=1):
        if unit.item_code is None:
            unit.item_code = f"{code}-{number}"
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for unit in units:
        assert unit.item_code is not None
        if len(unit.item_code) > CODE_LENGTH:
            errors.setdefault(f"orderItems[{unit.index}].itemCode", []).append(
                f"The generated itemCode would exceed {CODE_LENGTH} characters: "
                "use a shorter returnOrderCode."
            )
        if unit.item_code in seen:
            errors.setdefault(f"orderItems[{unit.index}].itemCode", []).append(
                f"{unit.item_code} appears more than once."
            )
        seen.add(unit.item_code)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ReturnError(f"Invalid return: {field}: {messages[0]}", errors=errors)
    taken = list(ReturnItem.objects.filter(item_code__in=seen).values_list("item_code", flat=True))
    if taken:
        raise ReturnConflict(f"itemCode {taken[0]} is already used by another return.")


def _location(order: Order, given: str | None, shipment: Shipment | None) -> str:
    """The given location, else the shipment's, else the order's, else where it was shipped from."""
    if given:
        return given
    if shipment is not None and shipment.location_code:
        return shipment.location_code
    if order.location_code:
        return order.location_code
    shipped_from = (
        order.shipments.exclude(location_code="").values_list("location_code", flat=True).first()
    )
    if shipped_from:
        return shipped_from
    raise ReturnError(
        f"locationCode is required: order {order.order_code} has no location yet.",
        errors={"locationCode": ["This field is required (the order has no location)."]},
    )


def _create_items(return_order: ReturnOrder, units: list[_Unit]) -> None:
    ReturnItem.objects.bulk_create(
        ReturnItem(
            return_order=return_order,
            item_code=cast(str, unit.item_code),  # set by _assign_item_codes
            order_line=unit.line,
            channel_sku_code=unit.sku,
            reason=unit.reason,
            position=position,
        )
        for position, unit in enumerate(units)
    )


def _created_message(return_order: ReturnOrder, units: list[_Unit]) -> str:
    per_sku = ", ".join(f"{sku} × {n}" for sku, n in Counter(u.sku for u in units).items())
    return f"{return_order.get_order_type_display()} {return_order.return_order_code}: {per_sku}"


def return_mark_rto(*, shipment: Shipment, actor: str, reason: str = RTO_REASON) -> CreateResult:
    """RETURN_TO_ORIGIN of every unit of a handed-over shipment (code RTO-<shipmentCode>)."""
    if shipment.state not in RETURNABLE_SHIPMENT_STATES:
        raise ReturnError(
            f"Shipment {shipment.shipment_code} is {shipment.get_state_display().lower()}: "
            "only a handed-over shipment can come back as RTO."
        )
    items = [
        ItemInput(
            channel_sku_code=line.order_line.sku,
            reason=reason,
            quantity=line.quantity,
            order_item_code=line.order_line.item_id,
        )
        for line in shipment.lines.select_related("order_line").order_by("order_line__position")
    ]
    return return_create(
        forward_order_code=shipment.order.order_code,
        return_order_code=f"RTO-{shipment.shipment_code}",
        order_type=ReturnType.RETURN_TO_ORIGIN,
        awb_number=shipment.awb_number,
        transporter=shipment.transporter,
        items=items,
        shipment=shipment,
        actor=actor,
    )


# --- sending ------------------------------------------------------------------------------------
def _queue(return_order: ReturnOrder, actor: str) -> Operation:
    return_order.state = ReturnState.QUEUED
    return_order.last_error = ""
    return_order.save(update_fields=["state", "last_error", "updated_at"])
    operation = outbox.enqueue(
        SEND_RETURN,
        key=f"{SEND_RETURN}:{return_order.return_order_code}",
        order=return_order.order,
        target=return_order.subject,
        payload={"returnOrderCode": return_order.return_order_code},
    )
    _record(return_order, "return.queued", actor, "Queued to be created at Omni")
    return operation


def return_submit(*, return_order: ReturnOrder, actor: str) -> None:
    """Send a draft to Omni."""
    with transaction.atomic():
        return_order = _lock_return(return_order.pk)
        if return_order.state != ReturnState.DRAFT:
            raise ReturnConflict(
                f"Return {return_order.return_order_code} is not a draft "
                f"({return_order.get_state_display().lower()})."
            )
        _queue(return_order, actor)


def return_replay(*, return_order: ReturnOrder, actor: str) -> None:
    """Send again after a fix: a failed return is checked again, queued and its operation rerun."""
    with transaction.atomic():
        _lock_order(return_order.order.order_code)
        return_order = _lock_return(return_order.pk)
        if return_order.state == ReturnState.DRAFT:
            _queue(return_order, actor)
            return
        if return_order.state not in (ReturnState.FAILED, ReturnState.QUEUED):
            raise ReturnConflict(
                f"Return {return_order.return_order_code} is already at Omni "
                f"({return_order.get_state_display().lower()})."
            )
        if return_order.state == ReturnState.FAILED:
            _check_still_returnable(return_order)
        operation = Operation.objects.filter(
            idempotency_key=f"{SEND_RETURN}:{return_order.return_order_code}"
        ).first()
        if operation is None:
            _queue(return_order, actor)
            return
        return_order.state = ReturnState.QUEUED
        return_order.last_error = ""
        return_order.save(update_fields=["state", "last_error", "updated_at"])
        outbox.replay(operation)
        _record(return_order, "return.replayed", actor, "Queued again for Omni")


def return_delete_draft(*, return_order: ReturnOrder, actor: str) -> None:
    """Throw away a draft that was never sent; its units become returnable again."""
    with transaction.atomic():
        return_order = _lock_return(return_order.pk)
        if return_order.state != ReturnState.DRAFT:
            raise ReturnConflict(f"Return {return_order.return_order_code} is not a draft.")
        codes = list(return_order.items.values_list("item_code", flat=True))
        _record(return_order, "return.deleted", actor, "Draft deleted", data={"itemCodes": codes})
        return_order.delete()


def _check_still_returnable(return_order: ReturnOrder) -> None:
    """A failed return freed its units; they may have gone into another return since."""
    free = returnable_by_line(return_order.order, exclude=return_order)
    wanted = Counter(return_order.items.values_list("order_line", flat=True))
    for line_pk, count in wanted.items():
        if count > free.get(line_pk, 0):
            sku = OrderLine.objects.get(pk=line_pk).sku
            raise ReturnConflict(
                f"Only {max(0, free.get(line_pk, 0))} unit(s) of {sku} can still be returned; "
                f"return {return_order.return_order_code} has {count}."
            )


def _lock_return(pk: int) -> ReturnOrder:
    return ReturnOrder.objects.select_for_update().select_related("order").get(pk=pk)


def return_edit(*, return_order: ReturnOrder, actor: str, changes: dict[str, str]) -> ReturnOrder:
    """Correct location, AWB or transporter of a return not yet at Omni (draft or failed)."""
    allowed = {"location_code", "awb_number", "transporter"}
    with transaction.atomic():
        return_order = _lock_return(return_order.pk)
        if return_order.state not in EDITABLE_STATES:
            raise ReturnConflict(
                f"Return {return_order.return_order_code} can no longer be changed "
                f"({return_order.get_state_display().lower()})."
            )
        before = {name: getattr(return_order, name) for name in changes}
        for name, value in changes.items():
            if name not in allowed:
                raise ReturnError(f"{name} cannot be changed.")
            if len(value) > CODE_LENGTH:
                raise ReturnError(f"{name} may have at most {CODE_LENGTH} characters.")
            if name == "location_code" and not value.strip():
                raise ReturnError("location_code is required.")
            setattr(return_order, name, value)
        return_order.save()
        _record(
            return_order,
            "return.edited",
            actor,
            "Changed before sending",
            data={"before": before, "after": changes},
        )
    return return_order


def omni_payload(return_order: ReturnOrder) -> dict[str, Any]:
    """The Create Return Order body (contract section 5): one item per unit."""
    return {
        "forwardOrderCode": return_order.order.order_code,
        "returnOrderCode": return_order.return_order_code,
        "locationCode": return_order.location_code,
        "returnOrderTime": to_omni(return_order.return_order_time),
        "orderType": return_order.order_type,
        "awbNumber": return_order.awb_number or None,
        "transporter": return_order.transporter or None,
        "orderItems": [
            {
                "itemCode": item.item_code,
                "reason": item.reason,
                "channelSkuCode": item.channel_sku_code,
            }
            for item in return_order.items.all()
        ],
    }


def return_mark_sent(*, return_order_code: str, already_existed: bool = False) -> ReturnOrder:
    """Omni answered 200 (or "already exists" on a retry): the return is at Omni."""
    with transaction.atomic():
        return_order = ReturnOrder.objects.select_for_update().get(
            return_order_code=return_order_code
        )
        if return_order.state in (ReturnState.DRAFT, ReturnState.QUEUED, ReturnState.FAILED):
            return_order.state = ReturnState.SENT
        return_order.last_error = ""
        return_order.sent_at = return_order.sent_at or timezone.now()
        return_order.save(update_fields=["state", "last_error", "sent_at", "updated_at"])
        note = " (Omni already had it)" if already_existed else ""
        _record(return_order, "return.sent", "system", f"Created at Omni{note}")
    return return_order


def return_mark_refused(*, return_order_code: str, message: str, permanent: bool) -> ReturnOrder:
    """Omni refused (permanent: the return fails and waits for a fix) or did not answer."""
    with transaction.atomic():
        return_order = ReturnOrder.objects.select_for_update().get(
            return_order_code=return_order_code
        )
        return_order.last_error = message[:4000]
        if permanent and return_order.state == ReturnState.QUEUED:
            return_order.state = ReturnState.FAILED
        return_order.save(update_fields=["state", "last_error", "updated_at"])
        if permanent:
            _record(return_order, "return.failed", "omni", f"Omni refused the return: {message}")
    return return_order


# --- QC (Omni's Return Order Acknowledgement) --------------------------------------------------
def return_record_qc(
    *,
    return_order_code: str,
    items: list[QcInput],
    forward_order_code: str | None = None,
    actor: str = "omni",
) -> ReturnOrder:
    """Store Omni's QC per unit and move the return to received / qc_passed / qc_failed.

    The same result again changes nothing; a different result for a unit that already has one is
    a conflict (the natural key is returnOrderCode + itemCode).
    """
    _check_qc_fields(items)
    with transaction.atomic():
        return_order = (
            ReturnOrder.objects.select_for_update()
            .select_related("order")
            .filter(return_order_code=return_order_code)
            .first()
        )
        if return_order is None:
            raise ReturnNotFound(f"Return {return_order_code} is unknown.")
        if forward_order_code and forward_order_code != return_order.order.order_code:
            raise ReturnError(
                f"Return {return_order_code} belongs to order {return_order.order.order_code}, "
                f"not {forward_order_code}."
            )
        by_code = {item.item_code: item for item in return_order.items.all()}
        changed = _apply_qc(return_order, by_code, items)
        if changed:
            _after_qc(return_order, by_code, changed, actor)
    return return_order


def _check_qc_fields(items: list[QcInput]) -> None:
    if not items:
        raise ReturnError("orderItems must list at least one item.")
    seen: dict[str, QcInput] = {}
    for item in items:
        if item.qc_status not in QcStatus.values:
            raise ReturnError(
                f"qcStatus of {item.item_code} must be PASS or FAIL, not {item.qc_status!r}."
            )
        if item.item_code in seen and seen[item.item_code] != item:
            raise ReturnError(f"itemCode {item.item_code} appears twice with different results.")
        seen[item.item_code] = item


def _apply_qc(
    return_order: ReturnOrder, by_code: dict[str, ReturnItem], items: list[QcInput]
) -> list[ReturnItem]:
    for qc in items:
        item = by_code.get(qc.item_code)
        if item is None:
            raise ReturnNotFound(
                f"Return {return_order.return_order_code} has no itemCode {qc.item_code}."
            )
        if qc.channel_sku_code and qc.channel_sku_code != item.channel_sku_code:
            raise ReturnError(
                f"itemCode {qc.item_code} is {item.channel_sku_code}, not {qc.channel_sku_code}."
            )
        if item.qc_status and _qc_of(item) != _qc_tuple(qc):
            raise ReturnConflict(
                f"itemCode {qc.item_code} already has QC {item.qc_status}"
                f"{f' ({item.qc_reason})' if item.qc_reason else ''}; a different result was sent."
            )
    changed = []
    now = timezone.now()
    for qc in dict((qc.item_code, qc) for qc in items).values():
        item = by_code[qc.item_code]
        if item.qc_status:
            continue
        item.qc_status, item.qc_reason, item.image_urls = _qc_tuple(qc)
        item.image_urls = list(item.image_urls)
        item.qc_at = now
        changed.append(item)
    ReturnItem.objects.bulk_update(changed, ["qc_status", "qc_reason", "image_urls", "qc_at"])
    return changed


def _qc_tuple(qc: QcInput) -> tuple[str, str, tuple[str, ...]]:
    return qc.qc_status, (qc.qc_reason or "")[:CODE_LENGTH], tuple(qc.image_urls)


def _qc_of(item: ReturnItem) -> tuple[str, str, tuple[str, ...]]:
    return item.qc_status, item.qc_reason, tuple(item.image_urls)


def _after_qc(
    return_order: ReturnOrder, by_code: dict[str, ReturnItem], changed: list[ReturnItem], actor: str
) -> None:
    statuses = [item.qc_status for item in by_code.values()]
    if not all(statuses):
        return_order.state = ReturnState.RECEIVED
    elif QcStatus.FAIL in statuses:
        return_order.state = ReturnState.QC_FAILED
    else:
        return_order.state = ReturnState.QC_PASSED
    return_order.last_error = ""
    return_order.save(update_fields=["state", "last_error", "updated_at"])
    summary = ", ".join(
        f"{item.item_code} {item.qc_status}{f' ({item.qc_reason})' if item.qc_reason else ''}"
        for item in changed
    )
    _record(return_order, "return.qc", actor, f"QC: {summary}")
    passed = [item.item_code for item in changed if item.qc_status == QcStatus.PASS]
    if passed and settings.RETURNS_CREDIT_MEMO:
        outbox.enqueue(
            REFUND_RETURN,
            key=f"{REFUND_RETURN}:{return_order.return_order_code}:{content_hash(sorted(passed))}",
            order=return_order.order,
            target=return_order.subject,
            payload={"returnOrderCode": return_order.return_order_code, "itemCodes": passed},
        )


def refund_key_prefix(return_order_code: str) -> str:
    """The start of the intent key of every credit memo made for this return."""
    return f"return:{return_order_code}:"


def return_refunds(return_order: ReturnOrder) -> list[CreditMemo]:
    """The credit memos Magento made for this return's units (online or offline)."""
    prefix = refund_key_prefix(return_order.return_order_code)
    return list(
        CreditMemo.objects.filter(
            order=return_order.order, intent_key__startswith=prefix, state=CreditMemoState.CREATED
        ).order_by("pk")
    )


def refund_items(item_codes: list[str]) -> list[dict[str, int]]:
    """Magento refund items for these units: the id Magento expects, with a quantity."""
    counts: dict[int, int] = defaultdict(int)
    for item in ReturnItem.objects.filter(item_code__in=item_codes).select_related("order_line"):
        counts[item.order_line.magento_item_id] += 1
    return [{"order_item_id": item_id, "qty": qty} for item_id, qty in sorted(counts.items())]


def _record(
    return_order: ReturnOrder,
    action: str,
    actor: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> None:
    audit.record(
        action,
        order=return_order.order,
        actor=actor,
        message=message,
        subject=return_order.subject,
        data=data,
    )
