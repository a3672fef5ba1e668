from django.urls import path

from channel.api.views import (
    acknowledge,
    cancel,
    inventory,
    invoices,
    labels,
    manifests,
    orders,
    shipments,
)

urlpatterns = [
    path("inventory", inventory.InventoryView.as_view(), name="omni-inventory"),
    path("orders", orders.OrderListView.as_view(), name="omni-orders"),
    path("orders/cancelled", orders.CancelledOrderListView.as_view(), name="omni-cancelled"),
    path("orders/acknowledge", acknowledge.AcknowledgeView.as_view(), name="omni-acknowledge"),
    path("orders/cancel", cancel.CancelView.as_view(), name="omni-cancel"),
    path("orders/<str:order_code>", orders.OrderDetailView.as_view(), name="omni-order"),
    path(
        "orders/<str:order_code>/status",
        orders.OrderStatusView.as_view(),
        name="omni-order-status",
    ),
    path("shipping-label", labels.ShippingLabelView.as_view(), name="omni-shipping-label"),
    path("manifests", manifests.ManifestView.as_view(), name="omni-manifests"),
    path("shipments/pack", shipments.PackView.as_view(), name="omni-pack"),
    path("handover", shipments.HandoverView.as_view(), name="omni-handover"),
    path("invoices", invoices.InvoiceView.as_view(), name="omni-invoices"),
]
