from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounting import views as accounting_views
from config import health
from integrations.metrics import metrics_view
from integrations.providers import registry
from integrations.views.webhooks import WebhookView

urlpatterns = [
    # The busiest route first: Django tries the patterns in order for every request, and a
    # webhook would otherwise be matched after ~60 others. The named route
    # (`integrations:webhook`, for reverse()) is the same view in integrations/urls.py.
    path("api/webhooks/<slug:provider>", WebhookView.as_view()),
    path("", accounting_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("contracts.urls")),
    path("", include("accounting.urls")),
    path("", include("integrations.urls")),
    *registry.urlpatterns(),  # each provider's own pages and API (`Provider.urls`)
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
