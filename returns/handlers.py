"""Outbox handlers of the returns flow: create the return at Omni; optional credit memo."""

from __future__ import annotations

from typing import Any

from channel.integrations.magento import MagentoClient
from channel.integrations.omni import OmniClient, OmniError
from channel.models import Flow, Operation
from channel.outbox import register
from channel.services import audit
from returns import services
from returns.models import ReturnItem, ReturnOrder


def _already_exists(exc: OmniError) -> bool:
    return exc.status in (400, 409) and "already exist" in exc.message.lower()


@register(services.SEND_RETURN, flow=Flow.RETURNS)
def send_return(operation: Operation) -> dict[str, Any]:
    """Create Return Order at Omni, built from the return as it is now (fixes apply on replay).

    Omni's "already exists" on a retry means an earlier attempt arrived (its answer was lost).
    """
    code = operation.payload["returnOrderCode"]
    return_order = ReturnOrder.objects.select_related("order").get(return_order_code=code)
    payload = services.omni_payload(return_order)
    client = OmniClient(order_id=operation.order_id, operation_id=operation.pk)
    try:
        client.create_return_order(payload)
    except OmniError as exc:
        if operation.attempts > 1 and _already_exists(exc):
            services.return_mark_sent(return_order_code=code, already_existed=True)
            return {"returnOrderCode": code, "alreadyExisted": True}
        permanent = not exc.transient and not exc.needs_config
        services.return_mark_refused(
            return_order_code=code, message=exc.message, permanent=permanent
        )
        raise
    services.return_mark_sent(return_order_code=code)
    return {"returnOrderCode": code}


def _memo_marker(operation: Operation) -> str:
    return f"Return {operation.payload['returnOrderCode']} (proxy operation {operation.pk})"


def _find_memo(operation: Operation) -> dict[str, Any] | None:
    """The credit memo an earlier attempt created: by the marker in its comment, or else the
    first memo no return has claimed yet that refunds exactly these units (the answer was lost,
    or someone refunded them by hand: either way they must not be refunded twice)."""
    order = operation.order
    assert order is not None  # return operations are queued with their order
    client = MagentoClient.for_operation(operation)
    memos = client.search_creditmemos(order.entity_id)
    marker = _memo_marker(operation)
    for memo in memos:
        if any(marker in str(c.get("comment", "")) for c in memo.get("comments") or []):
            return {"creditmemoId": int(memo["entity_id"])}
    wanted = services.refund_items(operation.payload["itemCodes"])
    claimed = set(
        ReturnItem.objects.filter(
            return_order__order=order, magento_creditmemo_id__isnull=False
        ).values_list("magento_creditmemo_id", flat=True)
    )
    for memo in memos:
        if int(memo["entity_id"]) not in claimed and _refunds(memo, wanted):
            return {"creditmemoId": int(memo["entity_id"])}
    return None


def _refunds(memo: dict[str, Any], wanted: list[dict[str, int]]) -> bool:
    lines = {
        int(line["order_item_id"]): float(line.get("qty") or 0) for line in memo.get("items") or []
    }
    return all(lines.get(item["order_item_id"]) == item["qty"] for item in wanted)


def _store_memo(operation: Operation, memo_id: int) -> None:
    item_codes = operation.payload["itemCodes"]
    ReturnItem.objects.filter(item_code__in=item_codes).update(magento_creditmemo_id=memo_id)
    return_order = ReturnOrder.objects.get(return_order_code=operation.payload["returnOrderCode"])
    audit.record(
        "return.refunded",
        order=return_order.order,
        message=f"Offline credit memo {memo_id} in Magento for {', '.join(item_codes)}",
        subject=return_order.subject,
    )


def _read_back_memo(operation: Operation) -> dict[str, Any] | None:
    found = _find_memo(operation)
    if found is not None:
        _store_memo(operation, found["creditmemoId"])
    return found


@register(services.REFUND_RETURN, flow=Flow.RETURNS, read_back=_read_back_memo)
def refund_return(operation: Operation) -> dict[str, Any]:
    """Offline credit memo for units that passed QC (RETURNS_CREDIT_MEMO); no shipping refund."""
    order = operation.order
    assert order is not None
    client = MagentoClient.for_operation(operation)
    memo_id = client.refund_order(
        order.entity_id,
        services.refund_items(operation.payload["itemCodes"]),
        comment=_memo_marker(operation),
        arguments={"shipping_amount": 0, "adjustment_positive": 0, "adjustment_negative": 0},
    )
    _store_memo(operation, memo_id)
    return {"creditmemoId": memo_id}
