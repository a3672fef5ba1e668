"""Credit memos under Magento's REST input limit (contract 8.3 + 8.6): a refund over more items
than MAGENTO_INPUT_LIMIT is made in parts, each read back before it is made."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from channel.models import CreditMemo, CreditMemoState, Order
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
URL = "/api/omni/orders/cancel"
LINES = 25


def largest_array(magento: MagentoSimulator) -> int:
    sizes = [0]
    for request in magento.requests:
        if isinstance(request.json, dict):
            sizes += [len(v) for v in request.json.values() if isinstance(v, list)]
    return max(sizes)


def prepaid(magento: MagentoSimulator) -> Order:
    magento.input_limiting = True
    magento.prepaid_methods = {"razorpay"}
    lines = [{"sku": f"L-{n:02d}", "qty": 2, "price": 100} for n in range(LINES)]
    raw = magento.add_order(lines, payment_method="razorpay")
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def cancel(api: APIClient, order: Order, quantity: int) -> Any:
    items = [
        {
            "channelSkuCode": line.sku,
            "orderItemCode": str(line.item_id),
            "cancelledQuantity": quantity,
        }
        for line in order.lines.order_by("position", "pk")
    ]
    body = {"orderCode": order.order_code, "locationCode": "WH1", "orderItems": items}
    return api.put(URL, body, format="json")


def refunded(magento: MagentoSimulator, order: Order) -> dict[int, float]:
    units: dict[int, float] = {}
    for memo in magento.creditmemos_for(order.entity_id):
        for item in memo["items"]:
            key = int(item["order_item_id"])
            units[key] = units.get(key, 0.0) + float(item["qty"])
    return units


def test_a_25_line_prepaid_cancellation_is_refunded_in_parts_of_at_most_20(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    response = cancel(api, order, 2)
    assert response.status_code == 200, response.json()
    assert largest_array(magento) <= 20
    memos = magento.creditmemos_for(order.entity_id)
    assert len(memos) == 2
    assert refunded(magento, order) == {line.magento_item_id: 2.0 for line in order.lines.all()}
    assert sum(float(m["grand_total"]) for m in memos) == LINES * 200
    assert len(response.json()["refunds"]) == 2
    assert magento.get_order(order.entity_id)["state"] == "closed"
    assert cancel(api, order, 2).status_code == 200  # a repeat makes nothing more
    assert len(magento.creditmemos_for(order.entity_id)) == 2


def test_a_partial_cancellation_refunds_exactly_the_units_in_parts(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    response = cancel(api, order, 1)
    assert response.status_code == 200, response.json()
    assert largest_array(magento) <= 20
    assert refunded(magento, order) == {line.magento_item_id: 1.0 for line in order.lines.all()}
    assert len(magento.creditmemos_for(order.entity_id)) == 2


def test_a_lost_answer_after_a_part_was_applied_never_makes_a_duplicate(
    api: APIClient, magento: MagentoSimulator
) -> None:
    order = prepaid(magento)
    magento.inject("POST", r"/invoice/\d+/refund$", "timeout_after", times=1)
    first = cancel(api, order, 2)
    assert first.status_code == 503
    assert len(magento.creditmemos_for(order.entity_id)) == 1  # Magento applied part 1
    second = cancel(api, order, 2)  # Omni retries
    assert second.status_code == 200, second.json()
    assert len(magento.creditmemos_for(order.entity_id)) == 2
    assert refunded(magento, order) == {line.magento_item_id: 2.0 for line in order.lines.all()}
    assert largest_array(magento) <= 20
    assert CreditMemo.objects.filter(state=CreditMemoState.CREATED).count() == 2
