from django.urls import path

from channel.api import labels, manifests, orders

urlpatterns = [
    path("orders", orders.OrderListView.as_view(), name="omni-orders"),
    path("orders/cancelled", orders.CancelledOrderListView.as_view(), name="omni-cancelled"),
    path("orders/<str:order_code>", orders.OrderDetailView.as_view(), name="omni-order"),
    path(
        "orders/<str:order_code>/status",
        orders.OrderStatusView.as_view(),
        name="omni-order-status",
    ),
    path("shipping-label", labels.ShippingLabelView.as_view(), name="omni-shipping-label"),
    path("manifests", manifests.ManifestView.as_view(), name="omni-manifests"),
]
