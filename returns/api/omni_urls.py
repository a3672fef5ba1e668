"""/api/omni/returns/... (mounted in config/urls.py)."""

from django.urls import path

from returns.api import views

urlpatterns = [
    path("qc", views.ReturnQcView.as_view(), name="omni-returns-qc"),
]
