"""Root URLs: the API under /api/v1/, OpenAPI schema + Swagger UI, Django admin."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from server.api import views_meta

api_v1 = [
    path("", include("server.users.urls")),
    path("", include("server.analytics.urls")),
    path("", include("server.audit.urls")),
    path("", include("server.equipment.urls")),
    path("", include("server.imports.urls")),
    path("", include("server.alerting.urls")),
    path("", include("server.sharing.urls")),
    path("health/", views_meta.HealthView.as_view(), name="health"),
    path("metadata/equipment-types/", views_meta.EquipmentTypesView.as_view(), name="equipment-types"),
    path("metadata/status-choices/", views_meta.StatusChoicesView.as_view(), name="status-choices"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # split view: the page's script is a separate same-origin file, so the CSP needs no inline script
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

handler400 = "server.api.errors.bad_request"
handler403 = "server.api.errors.permission_denied"
handler404 = "server.api.errors.not_found"
handler500 = "server.api.errors.server_error"
