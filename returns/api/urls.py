"""/api/returns/ (mounted in config/urls.py)."""

from django.urls import path

from returns.api import views

urlpatterns = [
    path("", views.ReturnCreateView.as_view(), name="returns-create"),
    path("<path:return_order_code>", views.ReturnDetailView.as_view(), name="returns-detail"),
]
