"""Acknowledgement asked for by Omni (contract 4.1): the location, the comment and the status."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channel.integrations.magento import (
    MIN_CALL_SECONDS,
    MagentoClient,
    MagentoError,
    time_budget,
    time_left,
)
from channel.models import Order
from channel.services import audit
from channel.services.fulfilment import (
    ALL_LOCATIONS,
    lifecycle_update,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AckRequest:
    order_code: str
    location_code: str | None


def orders_acknowledge(*, orders: list[AckRequest], consolidation_type: str | None) -> list[dict]:
    """Acknowledge each order in Magento, within the request's Magento time budget; the answer
    lists those whose comment Magento recorded."""
    with time_budget(settings.MAGENTO_REQUEST_BUDGET):
        return _acknowledge_each(orders, consolidation_type)


def _acknowledge_each(orders: list[AckRequest], consolidation_type: str | None) -> list[dict]:
    done: list[dict] = []
    for entry in orders:
        order = Order.objects.filter(order_code=entry.order_code).first()
        if order is None:
            log.warning("Omni acknowledged unknown order %s", entry.order_code)
            audit.record(
                "order.acknowledge_unknown",
                actor="omni",
                subject=f"order:{entry.order_code}"[:100],
                message=f"Omni acknowledged order {entry.order_code}, unknown to the proxy",
            )
            continue
        left = time_left()
        if left is not None and left < MIN_CALL_SECONDS:
            break  # out of time: the rest stays out of successOrders and Omni sends it again
        location = None if consolidation_type == ALL_LOCATIONS else entry.location_code
        if order_acknowledge(order=order, location_code=location):
            done.append({"locationCode": entry.location_code, "orderCode": order.order_code})
    return done


def order_acknowledge(*, order: Order, location_code: str | None) -> bool:
    """Comment (with the ack status) in Magento, read the status back, mirror it.

    False when Magento did not record it (Omni sends the order again)."""
    if order.acknowledged_at and location_code in (None, order.location_code):
        return True  # a repeat: Magento has the comment already
    client = MagentoClient(in_request=True, order_id=order.pk)
    comment = f"Acknowledged by Omni ({location_code})" if location_code else "Acknowledged by Omni"
    try:
        status_accepted = _comment_with_ack_status(client, order, comment)
    except MagentoError as exc:
        audit.record(
            "order.acknowledge_failed",
            order=order,
            actor="omni",
            message=f"Magento did not record the acknowledgement: {exc.message}",
        )
        return False
    status = _read_status(client, order)
    _record_acknowledgement(order, location_code, status, status_accepted)
    return True


def _comment_with_ack_status(client: MagentoClient, order: Order, comment: str) -> bool:
    """True when Magento took the comment with the status; 2.4.8 refuses a status outside the
    order's state (400), and then the comment goes in without one."""
    try:
        client.add_comment(order.entity_id, comment, status=settings.MAGENTO_ACK_STATUS)
        return True
    except MagentoError as exc:
        if exc.status != 400:
            raise
    client.add_comment(order.entity_id, comment)
    return False


def _read_status(client: MagentoClient, order: Order) -> str | None:
    try:
        return client.get_order_status(order.entity_id)
    except MagentoError:
        return None  # the acknowledgement is recorded; the sync brings the status later


def _record_acknowledgement(
    order: Order, location_code: str | None, status: str | None, status_accepted: bool
) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.acknowledged_at = order.acknowledged_at or timezone.now()
        if location_code:
            order.location_code = location_code
        if status:
            order.magento_status = status
        order.save(
            update_fields=["acknowledged_at", "location_code", "magento_status", "updated_at"]
        )
        lifecycle_update(order)
        audit.record(
            "order.acknowledged",
            order=order,
            actor="omni",
            message=_ack_message(location_code, status, status_accepted),
            data={"locationCode": location_code, "status": status},
        )


def _ack_message(location_code: str | None, status: str | None, status_accepted: bool) -> str:
    where = f" for {location_code}" if location_code else " (location left as it was)"
    wanted = settings.MAGENTO_ACK_STATUS
    if status is None:
        return f"Acknowledged by Omni{where}; Magento's status could not be read back"
    if status != wanted:
        how = "accepted the comment without a status" if not status_accepted else "ignored it"
        return (
            f"Acknowledged by Omni{where}; Magento {how} and kept its status {status} "
            f"instead of {wanted}"
        )
    return f"Acknowledged by Omni{where}; Magento status {status}"
