from django.urls import include, path

from channel.api import inventory, orders

urlpatterns = [
    path("inventory", inventory.InventoryView.as_view(), name="omni-inventory"),
    path("orders", orders.OrderListView.as_view(), name="omni-orders"),
    path("orders/cancelled", orders.CancelledOrderListView.as_view(), name="omni-cancelled"),
    path("orders/<str:order_code>", orders.OrderDetailView.as_view(), name="omni-order"),
    path(
        "orders/<str:order_code>/status",
        orders.OrderStatusView.as_view(),
        name="omni-order-status",
    ),
    path("returns/", include("returns.api.omni_urls")),
]
