"""The integrations URLs, all named under the `integrations` namespace.

Page (forms):      /integrations/                      integrations:page
                   /integrations/<provider>/connect/   integrations:page_connect
                   /integrations/<id>/disconnect/      integrations:page_disconnect
                   /integrations/<id>/export/          integrations:page_export
                   /integrations/<id>/sync/            integrations:page_sync
                   /integrations/jobs/<id>/retry/      integrations:retry_job
                   /integrations/<provider>/defaults/reset/   integrations:defaults_reset
                   /integrations/records/<page>/<id>/sync-panel/   integrations:record_panel
API (JSON):        /api/integrations/<provider>/connect    integrations:connect
                   /api/integrations/<provider>/callback   integrations:oauth_callback
                   /api/integrations/<id>/export           integrations:export
                   /api/integrations/<id>/sync             integrations:sync
                   /api/integrations/<id>/status           integrations:status
                   /api/integrations/<id>/disconnect       integrations:disconnect
Webhooks:          /api/webhooks/<provider>                integrations:webhook
"""

from django.urls import path

from integrations.views import api, defaults, page, recordsync, webhooks

app_name = "integrations"

urlpatterns = [
    path("integrations/", page.integrations_page, name="page"),
    path("integrations/<slug:provider>/connect/", page.connect, name="page_connect"),
    path("integrations/<int:pk>/disconnect/", page.disconnect, name="page_disconnect"),
    path("integrations/<int:pk>/export/", page.export, name="page_export"),
    path("integrations/<int:pk>/sync/", page.sync, name="page_sync"),
    path("integrations/jobs/<int:pk>/retry/", recordsync.retry, name="retry_job"),
    path("integrations/<slug:provider>/defaults/reset/", defaults.reset_view,
         name="defaults_reset"),
    path("integrations/records/<slug:page_name>/<int:pk>/sync-panel/", recordsync.record_panel,
         name="record_panel"),
    path("api/integrations/<int:pk>/export", api.ExportView.as_view(), name="export"),
    path("api/integrations/<int:pk>/sync", api.SyncView.as_view(), name="sync"),
    path("api/integrations/<int:pk>/status", api.StatusView.as_view(), name="status"),
    path("api/integrations/<int:pk>/disconnect", api.DisconnectView.as_view(),
         name="disconnect"),
    path("api/integrations/<slug:provider>/connect", api.ConnectView.as_view(), name="connect"),
    path("api/integrations/<slug:provider>/callback", api.oauth_callback,
         name="oauth_callback"),
    path("api/webhooks/<slug:provider>", webhooks.WebhookView.as_view(), name="webhook"),
]
