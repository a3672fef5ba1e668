"""Credit memos in admin: on the order page and its timeline, and the "refund failed" filter."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from channel.models import Order
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db


def prepaid(magento: MagentoSimulator, sku: str = "SKU-1") -> Order:
    magento.prepaid_methods = {"razorpay"}
    raw = magento.add_order([{"sku": sku, "qty": 2, "price": 100}], payment_method="razorpay")
    return order_upsert(raw=magento.get_order(raw["entity_id"])).order


def cancel(api: APIClient, order: Order, quantity: int) -> int:
    line = order.lines.get()
    item = {"channelSkuCode": line.sku, "orderItemCode": str(line.item_id)}
    body = {"orderCode": order.order_code, "orderItems": [{**item, "cancelledQuantity": quantity}]}
    return api.put("/api/omni/orders/cancel", body, format="json").status_code


def test_the_order_page_shows_its_credit_memos_and_the_refund_in_the_timeline(
    api: APIClient, magento: MagentoSimulator, auditor: Client
) -> None:
    order = prepaid(magento)
    assert cancel(api, order, 2) == 200
    page = auditor.get(f"/admin/channel/order/{order.pk}/change/").content.decode()
    assert "Credit memos (refunds)" in page
    assert "000000001" in page
    assert "Magento credit memo 000000001 refunded 200.00 online" in page
    listed = auditor.get("/admin/channel/creditmemo/").content.decode()
    assert order.order_code in listed


def test_the_refund_failed_filter_lists_orders_whose_refund_magento_refused(
    api: APIClient, magento: MagentoSimulator, support: Client
) -> None:
    refused = prepaid(magento, "SKU-1")
    refunded = prepaid(magento, "SKU-2")
    magento.hold(refused.entity_id)
    assert cancel(api, refused, 1) == 409
    assert cancel(api, refunded, 1) == 200
    page = support.get("/admin/channel/order/", {"refund": "failed"}).content.decode()
    assert f">{refused.order_code}<" in page
    assert f">{refunded.order_code}<" not in page
    assert "Refund failed" in page
