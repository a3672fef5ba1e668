"""Omni-facing order reads (contract section 2). Served from the mirror; single orders refresh.

The order bodies (`<OutwardOrder>`s, cancellations) are built by channel.services.mapping in the
shape their Output serializers describe, and answered as built: rendering them through DRF
again cost ~0.5 ms an order on Omni's most frequent calls (bench/overhead.py, docs/benchmarks.md).
tests/channel/api/test_orders.py checks that each is exactly what its serializer renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api import middleware
from channel.api.params import list_param, paging, time_param
from channel.api.schema import operation
from channel.api.serializers import orders as io
from channel.api.serializers.common import render
from channel.lib import logcontext
from channel.lib.timefmt import to_omni
from channel.models import Order
from channel.services import mapping, order_reads


def find_order(order_code: str, request: Request | None = None) -> Order:
    """The mirrored order with this Omni orderCode (404 otherwise); the call record names it."""
    order = order_reads.order_find(order_code)
    if request is not None:
        link_call(request, order)
    return order


def link_order(request: Request, codes: list[str]) -> None:
    """Link the call record to the order when the request concerns exactly one."""
    if len(set(codes)) == 1:
        order = order_reads.order_mirrored(codes[0])
        if order is not None:
            link_call(request, order)


def link_call(request: Request, order: Order) -> None:
    """The inbound call record (and the log lines) of this request concern `order`."""
    middleware.link_order(request._request, order.pk)
    logcontext.bind_order(order.order_code)


class OrderListView(APIView):
    """GET /api/omni/orders"""

    Output = io.OrderList

    @operation(
        "listOrders",
        "List orders (from the mirror)",
        description="Sorted by orderTime, then orderCode. A page past the end has no orders.",
        parameters=io.LIST_PARAMETERS,
        ok=Output,
    )
    def get(self, request: Request) -> Response:
        # Magento's status codes are lowercase; `status=NEW` means `new`.
        statuses = [
            s.lower() for s in list_param(request, "status", settings.MAGENTO_NEW_ORDER_STATUSES)
        ]
        created_from = time_param(request, "createdFrom")
        created_to = time_param(request, "createdTo")
        page, size = paging(request)
        found = order_reads.orders_page(
            statuses=statuses,
            created_from=created_from,
            created_to=created_to,
            page=page,
            size=size,
        )
        orders = [mapping.outward_order(order) for order in found.rows]
        return Response({**_page_fields(found), "orders": orders})


class OrderDetailView(APIView):
    """GET /api/omni/orders/{orderCode}: refreshed from Magento, or the mirror marked stale."""

    Output = io.OrderDetail

    @operation(
        "getOrder",
        "Get an order (refreshed from Magento)",
        description=(
            "Refreshes the order from Magento; when Magento is unreachable the mirror answers "
            'with `"stale": true`. An order not mirrored yet is looked up in Magento.'
        ),
        parameters=[io.ORDER_CODE_PATH],
        ok=Output,
        errors=[404],
    )
    def get(self, request: Request, order_code: str) -> Response:
        order, stale = order_reads.order_fresh(order_code)
        link_call(request, order)
        return Response({**mapping.outward_order(order), "stale": stale})


class OrderStatusView(APIView):
    """GET /api/omni/orders/{orderCode}/status"""

    Output = io.OrderStatus

    @operation(
        "getOrderStatus",
        "Get an order's Magento status",
        description=(
            'Asks Magento; when Magento is unreachable the mirror answers with `"stale": true`.'
        ),
        parameters=[io.ORDER_CODE_PATH],
        ok=Output,
        errors=[404],
    )
    def get(self, request: Request, order_code: str) -> Response:
        order, status, stale = order_reads.order_status(find_order(order_code, request))
        return Response(
            render(
                self.Output,
                {
                    "orderCode": order.order_code,
                    "status": status,
                    "state": order.magento_state,
                    "updatedAt": to_omni(order.magento_updated_at),
                    "stale": stale,
                },
            )
        )


class CancelledOrderListView(APIView):
    """GET /api/omni/orders/cancelled: orders with cancelled quantities (absolute)."""

    Output = io.CancelledOrderList

    @operation(
        "listCancelledOrders",
        "List orders cancelled in Magento (fully or partly)",
        description=(
            "From the mirror, sorted by Magento's updated_at, then orderCode. `cancelledQuantity` "
            "is absolute (Magento's qty_canceled)."
        ),
        parameters=io.CANCELLED_PARAMETERS,
        ok=Output,
    )
    def get(self, request: Request) -> Response:
        updated_from = time_param(request, "updatedFrom")
        updated_to = time_param(request, "updatedTo")
        page, size = paging(request)
        found = order_reads.orders_cancelled_page(
            updated_from=updated_from, updated_to=updated_to, page=page, size=size
        )
        orders = [_cancelled(order) for order in found.rows]
        return Response({**_page_fields(found), "orders": orders})


def _cancelled(order: Order) -> dict[str, Any]:
    return {
        "orderCode": order.order_code,
        "locationCode": order.location_code or None,
        "orderItems": mapping.cancellation_items(order),
    }


def _page_fields(found: order_reads.Page) -> dict[str, int]:
    return {"page": found.number, "pageSize": found.size, "totalCount": found.total}
