"""Outbox handlers of the returns flow: create the return at Omni; optional credit memo."""

from __future__ import annotations

from typing import Any

from channel.integrations.magento import MagentoClient
from channel.integrations.omni import OmniClient, OmniError
from channel.lib.hashing import content_hash
from channel.models import CreditMemo, CreditMemoPurpose, CreditMemoState, Flow, Operation
from channel.outbox import register
from channel.services import audit, refunds
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


def _intents(operation: Operation) -> list[CreditMemo]:
    """The refund intent of this operation's units: one credit memo, ever, per part of at most
    MAGENTO_INPUT_LIMIT Magento items (8.6)."""
    order = operation.order
    assert order is not None  # return operations are queued with their order
    item_codes = sorted(operation.payload["itemCodes"])
    code = operation.payload["returnOrderCode"]
    return refunds.creditmemo_intents(
        order=order,
        purpose=CreditMemoPurpose.RETURN,
        key=f"{services.refund_key_prefix(code)}{content_hash(item_codes)[:16]}",
        items=services.refund_items(item_codes),
    )


def _find_memo(operation: Operation, memo: CreditMemo) -> dict[str, Any] | None:
    """The credit memo an earlier attempt created: by the marker in its comment, or else the
    first memo no return has claimed yet that refunds exactly these units (the answer was lost,
    or someone refunded them by hand: either way they must not be refunded twice)."""
    order = memo.order
    client = MagentoClient.for_operation(operation)
    found = refunds.creditmemo_find(client, memo)
    if found is not None:
        return found
    wanted = [{"order_item_id": i["order_item_id"], "qty": i["qty"]} for i in memo.items]
    claimed = set(
        ReturnItem.objects.filter(
            return_order__order=order, magento_creditmemo_id__isnull=False
        ).values_list("magento_creditmemo_id", flat=True)
    ) | set(
        CreditMemo.objects.filter(order=order, magento_creditmemo_id__isnull=False).values_list(
            "magento_creditmemo_id", flat=True
        )
    )
    for candidate in client.search_creditmemos(order.entity_id):
        if int(candidate["entity_id"]) not in claimed and _refunds(candidate, wanted):
            return candidate
    return None


def _refunds(memo: dict[str, Any], wanted: list[dict[str, int]]) -> bool:
    lines = {
        int(line["order_item_id"]): float(line.get("qty") or 0) for line in memo.get("items") or []
    }
    return all(lines.get(item["order_item_id"]) == item["qty"] for item in wanted)


def _store_memo(operation: Operation, memo: CreditMemo) -> None:
    """The part's credit memo on the returned units it refunded."""
    part_ids = {int(item["order_item_id"]) for item in memo.items}
    item_codes = [
        item.item_code
        for item in ReturnItem.objects.filter(
            item_code__in=operation.payload["itemCodes"]
        ).select_related("order_line")
        if item.order_line.magento_item_id in part_ids
    ]
    memo_id = memo.magento_creditmemo_id
    ReturnItem.objects.filter(item_code__in=item_codes).update(magento_creditmemo_id=memo_id)
    return_order = ReturnOrder.objects.get(return_order_code=operation.payload["returnOrderCode"])
    audit.record(
        "return.refunded",
        order=return_order.order,
        message=f"Credit memo {memo.creditmemo_number} in Magento refunded {memo.grand_total} "
        f"{memo.way} for {', '.join(sorted(item_codes))}",
        subject=return_order.subject,
    )


def _result(memos: list[CreditMemo]) -> dict[str, Any]:
    ids = [memo.magento_creditmemo_id for memo in memos]
    return (
        {"creditmemoId": ids[0], "creditmemoIds": ids} if len(ids) > 1 else {"creditmemoId": ids[0]}
    )


def _read_back_memo(operation: Operation) -> dict[str, Any] | None:
    """Done when every part's credit memo exists (those found are recorded; the handler makes
    the rest, reading each back again first)."""
    memos, missing = [], False
    for memo in _intents(operation):
        if memo.state != CreditMemoState.CREATED:
            found = _find_memo(operation, memo)
            if found is None:
                missing = True
                continue
            memo = refunds.creditmemo_record(memo=memo, raw=found)
            _store_memo(operation, memo)
        memos.append(memo)
    return None if missing or not memos else _result(memos)


@register(services.REFUND_RETURN, flow=Flow.RETURNS, read_back=_read_back_memo)
def refund_return(operation: Operation) -> dict[str, Any]:
    """Credit memo for units that passed QC (RETURNS_CREDIT_MEMO), online when their invoice was
    captured online and REFUND_ONLINE is on, else offline; no shipping refund."""
    client = MagentoClient.for_operation(operation)
    memos = []
    for memo in _intents(operation):
        if memo.state != CreditMemoState.CREATED:
            memo = refunds.creditmemo_make(memo=memo, client=client)
            _store_memo(operation, memo)
        memos.append(memo)
    return _result(memos)
