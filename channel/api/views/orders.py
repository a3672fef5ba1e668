"""Omni-facing order reads (contract section 2). Served from the mirror; single orders refresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channel.api.errors import ApiError
from channel.api.params import list_param, paging, time_param
from channel.api.schema import operation
from channel.api.serializers import orders as io
from channel.api.serializers.common import render
from channel.integrations.magento import (
    MagentoClient,
    MagentoError,
    MagentoNotFound,
    SearchFilter,
    search_params,
)
from channel.lib.timefmt import to_omni
from channel.models import Order, OrderLine
from channel.services import mapping, sync
from channel.services.orders import order_upsert


def _page(
    query: QuerySet[Order],
    request: Request,
    rows_of: Callable[[int, int], list[Order]] | None = None,
) -> tuple[int, int, int, list[Order]]:
    page, size = paging(request)
    total = query.count()
    start = (page - 1) * size
    if start >= total:
        rows = []
    elif rows_of is not None:
        rows = rows_of(start, size)
    else:
        rows = list(query[start : start + size])
    return page, size, total, rows


def _by_status(
    query: QuerySet[Order], statuses: list[str], ordering: tuple[str, ...]
) -> Callable[[int, int], list[Order]]:
    """Rows `start` to `start + size` of `query` in any of `statuses`, sorted by `ordering`.

    Merges one ordered scan of order_status_created_idx per status, each stopping after
    `start + size` rows. A single `status IN (...)` scan in time order (what PostgreSQL picks)
    wades through every older order in another status first: 95,000 rows, 40 ms, with
    100,000 orders when Omni asks without dates (docs/benchmarks.md).
    """

    def rows(start: int, size: int) -> list[Order]:
        wanted = list(dict.fromkeys(statuses))
        if len(wanted) == 1 or not connection.features.supports_slicing_ordering_in_compound:
            merged = query.filter(magento_status__in=wanted).order_by(*ordering)
        else:
            branches = [
                query.filter(magento_status=status).order_by(*ordering)[: start + size]
                for status in wanted
            ]
            merged = branches[0].union(*branches[1:], all=True).order_by(*ordering)
        return list(merged[start : start + size])

    return rows


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=OrderLine.objects.order_by("position"))


def _request_client(order: Order | None = None) -> MagentoClient:
    return MagentoClient(
        read_timeout=settings.MAGENTO_READ_TIMEOUT, order_id=order.pk if order else None
    )


def mirrored(order_code: str) -> Order | None:
    """The mirrored order with this Omni orderCode. A code with a NUL character names none
    (and PostgreSQL cannot even compare it: it came from a URL)."""
    if "\x00" in order_code:
        return None
    return Order.objects.filter(order_code=order_code).first()


def find_order(order_code: str, request: Request | None = None) -> Order:
    """The mirrored order with this Omni orderCode, or a 404."""
    order = mirrored(order_code)
    if order is None:
        raise ApiError(f"Order {order_code} is unknown.", status_code=404)
    if request is not None:
        request._request.order_id = order.pk
    return order


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
        statuses = list_param(request, "status", settings.MAGENTO_NEW_ORDER_STATUSES)
        query = Order.objects.defer("raw")  # Magento's JSON (~10 kB an order) is not sent
        created_from = time_param(request, "createdFrom")
        created_to = time_param(request, "createdTo")
        if created_from:
            query = query.filter(magento_created_at__gte=created_from)
        if created_to:
            query = query.filter(magento_created_at__lte=created_to)
        rows_of = _by_status(query, statuses, ("magento_created_at", "order_code"))
        page, size, total, rows = _page(query.filter(magento_status__in=statuses), request, rows_of)
        prefetch_related_objects(rows, _lines_prefetch())
        orders = [mapping.outward_order(order) for order in rows]
        body = {"page": page, "pageSize": size, "totalCount": total, "orders": orders}
        return Response(render(self.Output, body))


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
        order = mirrored(order_code)
        if order is None:
            order = _fetch_unknown(order_code)
        request._request.order_id = order.pk
        stale = False
        try:
            order = sync.refresh_order(order, client=_request_client(order))
        except MagentoError:
            stale = True
        prefetch_related_objects([order], _lines_prefetch())
        return Response(render(self.Output, {**mapping.outward_order(order), "stale": stale}))


def _fetch_unknown(order_code: str) -> Order:
    """An order not mirrored yet may still exist in Magento: look it up by its code."""
    field = "entity_id" if settings.ORDER_CODE_FIELD == "entity_id" else "increment_id"
    if "\x00" in order_code or (field == "entity_id" and not order_code.isdigit()):
        raise ApiError(f"Order {order_code} is unknown.", status_code=404)
    try:
        found = _request_client().search_orders(
            search_params([[SearchFilter(field, order_code)]], page_size=1, page=1)
        )
    except MagentoError:
        raise ApiError(f"Order {order_code} is unknown.", status_code=404) from None
    items = found.get("items") or []
    if not items:
        raise ApiError(f"Order {order_code} is unknown.", status_code=404)
    return order_upsert(raw=items[0]).order


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
        order = find_order(order_code, request)
        stale = False
        status = order.magento_status
        try:
            status = _request_client(order).get_order_status(order.entity_id)
        except MagentoNotFound:
            stale = True
        except MagentoError:
            stale = True
        if status != order.magento_status and not stale:
            try:
                order = sync.refresh_order(order, client=_request_client(order))
            except MagentoError:
                stale = True
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
        query = Order.objects.filter(lines__qty_canceled__gt=0).distinct()
        updated_from = time_param(request, "updatedFrom")
        updated_to = time_param(request, "updatedTo")
        if updated_from:
            query = query.filter(magento_updated_at__gte=updated_from)
        if updated_to:
            query = query.filter(magento_updated_at__lte=updated_to)
        query = (
            query.order_by("magento_updated_at", "order_code")
            .defer("raw")
            .prefetch_related(_lines_prefetch())
        )
        page, size, total, rows = _page(query, request)
        return Response(
            render(
                self.Output,
                {
                    "page": page,
                    "pageSize": size,
                    "totalCount": total,
                    "orders": [_cancelled(o) for o in rows],
                },
            )
        )


def _cancelled(order: Order) -> dict[str, Any]:
    return {
        "orderCode": order.order_code,
        "locationCode": order.location_code or None,
        "orderItems": mapping.cancellation_items(order),
    }
