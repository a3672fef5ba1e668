"""The admin site whose index is the support dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


class ProxyAdminSite(admin.AdminSite):
    site_header = "omni-magento-proxy"
    site_title = "omni-magento-proxy"
    index_title = "Dashboard"
    index_template = "admin/proxy_index.html"
    site_url = "/admin/"  # "View site": the dashboard (the API has no page at /)
    enable_nav_sidebar = False  # its 300 px go to the lists' columns (they fit 1280 px)

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        from channel.services.dashboard import dashboard_context

        return super().index(request, {**dashboard_context(), **(extra_context or {})})
