from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from channel.api.views.documents import document_download
from channel.api.views.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/omni/returns/", include("returns.api.omni_urls")),
    path("api/omni/", include("channel.api.urls")),
    path("api/returns/", include("returns.api.urls")),
    # The OpenAPI 3.0 schema and a page that shows it (no API key needed: docs/api.md says why);
    # the page's script is a separate request, so the Content-Security-Policy needs no inline.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="schema-docs"),
    path("healthz", healthz, name="healthz"),
    path("documents/<str:token>/<str:filename>", document_download, name="document"),
]

handler404 = "channel.api.errors.json_not_found"
handler500 = "channel.api.errors.json_server_error"
