from django.contrib import admin
from django.urls import include, path

from channel.docstore import document_download
from channel.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/omni/", include("channel.api.urls")),
    path("api/returns/", include("returns.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("documents/<str:token>/<str:filename>", document_download, name="document"),
]

handler404 = "channel.api.errors.json_not_found"
handler500 = "channel.api.errors.json_server_error"
