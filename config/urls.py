from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from channel.api.views.documents import document_download
from channel.api.views.health import healthz
from channel.api.views.metrics import metrics

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
    path("metrics", metrics, name="metrics"),  # Prometheus; off unless METRICS_TOKEN is set
    path("favicon.ico", RedirectView.as_view(url=static("channel/favicon.svg"), permanent=True)),
    path("documents/<str:token>/<str:filename>", document_download, name="document"),
]

handler404 = "channel.api.errors.json_not_found"
handler500 = "channel.api.errors.json_server_error"
