"""Credit memos (contract 8.3): refunds of invoiced units for a seller cancellation or a return.

One CreditMemo row per intent. Before every attempt the order's credit memos are read back
(`GET /V1/creditmemos` by order_id) and the one carrying the intent's marker is adopted, so a
lost answer never becomes a second refund. Online (`POST /V1/invoice/{id}/refund`, the gateway
refunds) when one invoice captured online covers the units and REFUND_ONLINE is on; otherwise
offline (`POST /V1/order/{id}/refund`). `return_to_stock_items` stays empty: Omni owns stock.

An intent over more Magento items than MAGENTO_INPUT_LIMIT (Magento's REST input limit, 8.6) is
made of parts, each its own CreditMemo row (keys `<key>`, `<key>:part2`, ...) with its own marker,
so each part is read back before it is made and no call carries more than the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channel.integrations.magento import MagentoClient, MagentoError
from channel.models import CreditMemo, CreditMemoState, Order
from channel.services import audit
from channel.services.mapping import money


def marker(memo: CreditMemo) -> str:
    return f"Proxy refund {memo.intent_key}"


def creditmemo_intent(
    *,
    order: Order,
    purpose: str,
    key: str,
    items: list[dict[str, int]],
    refund_shipping: bool = False,
) -> CreditMemo:
    """The refund intent `key` (created once; what was asked first is kept)."""
    defaults = {"order": order, "purpose": purpose, "items": items}
    memo, _ = CreditMemo.objects.get_or_create(
        intent_key=key, defaults={**defaults, "refund_shipping": refund_shipping}
    )
    return memo


def creditmemo_intents(
    *,
    order: Order,
    purpose: str,
    key: str,
    items: list[dict[str, int]],
    refund_shipping: bool = False,
) -> list[CreditMemo]:
    """The refund intent `key` in parts of at most MAGENTO_INPUT_LIMIT Magento items (every
    unit of one Magento item in the same part); the shipping, if refunded, with the first."""
    memos = []
    for number, part in enumerate(split_items(items), start=1):
        memos.append(
            creditmemo_intent(
                order=order,
                purpose=purpose,
                key=key if number == 1 else f"{key}:part{number}",
                items=part,
                refund_shipping=refund_shipping and number == 1,
            )
        )
    return memos


def split_items(items: list[dict[str, int]]) -> list[list[dict[str, int]]]:
    """`items` grouped by Magento item id (first seen first), at most MAGENTO_INPUT_LIMIT ids
    per group."""
    groups: dict[int, list[dict[str, int]]] = {}
    for item in items:
        groups.setdefault(int(item["order_item_id"]), []).append(item)
    ids, size = list(groups), settings.MAGENTO_INPUT_LIMIT
    parts = [ids[start : start + size] for start in range(0, len(ids), size)]
    return [[item for item_id in part for item in groups[item_id]] for part in parts]


def magento_items(memo: CreditMemo) -> list[dict[str, int]]:
    """`items` for Magento: one row per Magento item id."""
    summed: dict[int, int] = {}
    for item in memo.items:
        summed[int(item["order_item_id"])] = summed.get(int(item["order_item_id"]), 0) + int(
            item["qty"]
        )
    return [{"order_item_id": item_id, "qty": qty} for item_id, qty in sorted(summed.items())]


def creditmemo_find(client: MagentoClient, memo: CreditMemo) -> dict[str, Any] | None:
    """The Magento credit memo made for this intent (by the marker in its comment), if any."""
    if memo.magento_creditmemo_id:
        return client.get_creditmemo(memo.magento_creditmemo_id)
    wanted = marker(memo)
    for found in client.search_creditmemos(memo.order.entity_id):
        if any(str(c.get("comment") or "") == wanted for c in found.get("comments") or []):
            return found
    return None


def refund_way(client: MagentoClient, memo: CreditMemo) -> tuple[bool, int | None]:
    """(online, invoice id): the invoice that covers every unit, online when it was captured
    online (it has the gateway's transaction id) and REFUND_ONLINE is on."""
    wanted = {item["order_item_id"]: item["qty"] for item in magento_items(memo)}
    for invoice in client.search_invoices(memo.order.entity_id):
        lines: dict[int, float] = {}
        for line in invoice.get("items") or []:
            item_id = int(line["order_item_id"])
            lines[item_id] = lines.get(item_id, 0.0) + float(line.get("qty") or 0)
        if all(lines.get(item_id, 0.0) >= qty for item_id, qty in wanted.items()):
            captured = bool(invoice.get("transaction_id"))
            return captured and settings.REFUND_ONLINE, int(invoice["entity_id"])
    return False, None


def creditmemo_make(*, memo: CreditMemo, client: MagentoClient) -> CreditMemo:
    """Make sure Magento has the credit memo of this intent; raises MagentoError (recorded on
    the memo: pending while it may still work, failed when Magento refused)."""
    memo = CreditMemo.objects.select_related("order").get(pk=memo.pk)
    if memo.state == CreditMemoState.CREATED:
        return memo
    with _claimed(memo):
        found = creditmemo_find(client, memo)
        if found is None:
            memo_id = _create(client, memo)
            found = client.get_creditmemo(memo_id)
        return creditmemo_record(memo=memo, raw=found)


CLAIM_SECONDS = 120  # longer than any attempt (the Magento read timeout)


@contextmanager
def _claimed(memo: CreditMemo) -> Iterator[None]:
    """One attempt at a time per intent: a duplicate request running at the same moment would
    not see the other's credit memo yet and make a second one."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = CreditMemo.objects.filter(free, pk=memo.pk).update(
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
    )
    if not claimed:
        raise MagentoError("Another attempt at this refund is talking to Magento", transient=True)
    try:
        yield
    finally:
        CreditMemo.objects.filter(pk=memo.pk).update(claimed_until=None)


def _arguments(refund_shipping: bool) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "adjustment_positive": 0,
        "adjustment_negative": 0,
        "extension_attributes": {"return_to_stock_items": []},
    }
    if not refund_shipping:
        arguments["shipping_amount"] = 0
    return arguments


def _create(client: MagentoClient, memo: CreditMemo) -> int:
    online, invoice_id = refund_way(client, memo)
    CreditMemo.objects.filter(pk=memo.pk).update(online=online, magento_invoice_id=invoice_id)
    memo.online, memo.magento_invoice_id = online, invoice_id
    items, arguments = magento_items(memo), _arguments(memo.refund_shipping)
    try:
        if online and invoice_id is not None:
            return client.refund_invoice(
                invoice_id, items, online=True, comment=marker(memo), arguments=arguments
            )
        return client.refund_order(
            memo.order.entity_id, items, comment=marker(memo), arguments=arguments
        )
    except MagentoError as exc:
        _failed(memo, exc)
        raise


def _failed(memo: CreditMemo, exc: MagentoError) -> None:
    refused = not (exc.transient or exc.needs_config)
    CreditMemo.objects.filter(pk=memo.pk).update(
        state=CreditMemoState.FAILED if refused else CreditMemoState.PENDING,
        last_error=exc.message,
        updated_at=timezone.now(),
    )
    if refused:
        audit.record(
            "order.refund_failed",
            order=memo.order,
            message=f"Magento refused the {memo.way} credit memo ({memo.get_purpose_display()}): "
            f"{exc.message}",
            data={"intent": memo.intent_key, "items": memo.items},
        )


def creditmemo_record(*, memo: CreditMemo, raw: dict[str, Any]) -> CreditMemo:
    """Mirror the Magento credit memo, once, and note it on the order's timeline."""
    with transaction.atomic():
        memo = CreditMemo.objects.select_for_update().select_related("order").get(pk=memo.pk)
        if memo.state == CreditMemoState.CREATED:
            return memo
        memo.magento_creditmemo_id = int(raw["entity_id"])
        memo.creditmemo_number = str(raw.get("increment_id") or raw["entity_id"])
        memo.grand_total = money(raw.get("grand_total") or 0)
        if raw.get("transaction_id"):
            memo.online = True
        if raw.get("invoice_id"):
            memo.magento_invoice_id = int(raw["invoice_id"])
        memo.state = CreditMemoState.CREATED
        memo.last_error = ""
        memo.save()
        audit.record(
            "order.refunded",
            order=memo.order,
            message=f"Magento credit memo {memo.creditmemo_number} refunded "
            f"{memo.grand_total} {memo.way} ({memo.get_purpose_display()})",
            data={"creditmemoId": memo.magento_creditmemo_id, "online": memo.online},
        )
    return memo


def refunded_units(order: Order, purpose: str) -> dict[int, int]:
    """Units refunded by the proxy's credit memos of `purpose`, by order line (pk)."""
    units: dict[int, int] = {}
    for memo in order.credit_memos.filter(purpose=purpose, state=CreditMemoState.CREATED):
        for item in memo.items:
            line = int(item.get("line") or 0)
            units[line] = units.get(line, 0) + int(item["qty"])
    return units


def describe(memos: list[CreditMemo]) -> str:
    return "; ".join(
        f"credit memo {memo.creditmemo_number} refunded {memo.grand_total} {memo.way}"
        for memo in memos
    )


def total(memos: list[CreditMemo]) -> Decimal:
    return sum((memo.grand_total for memo in memos), Decimal(0))
