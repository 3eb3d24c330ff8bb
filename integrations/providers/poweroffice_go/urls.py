"""PowerOffice Go's pages (Settings -> Accounting, the contract's buttons, the customer's sync
button) and its API under /api/accounting/pogo/. Namespace "pogo"."""

from django.urls import path

from integrations.providers.poweroffice_go import api, views, webhooks

app_name = "pogo"

urlpatterns = [
    path("settings/accounting/", views.settings_page, name="settings"),
    path("settings/accounting/connect/", views.connect, name="connect"),
    path("settings/accounting/client-key/", views.connect_with_key, name="connect_with_key"),
    path("settings/accounting/disconnect/", views.disconnect, name="disconnect"),
    path("settings/accounting/test/", views.test_connection, name="test"),
    path("settings/accounting/defaults/", views.save_defaults, name="defaults"),
    path("settings/accounting/validate/", views.validate, name="validate"),
    path("contracts/<int:pk>/pogo/send/", views.send_order, name="send_order"),
    path("contracts/<int:pk>/pogo/invoice/", views.invoice_now, name="invoice_now"),
    path("contracts/<int:pk>/pogo/status/", views.contract_status, name="contract_status"),
    path("customers/<int:pk>/pogo/sync/", views.sync_customer, name="sync_customer"),
    # The API of the brief.
    path("api/accounting/pogo/connect", api.connect, name="api_connect"),
    path("api/accounting/pogo/callback", views.onboarding_callback, name="api_callback"),
    path("api/accounting/pogo/disconnect", api.disconnect, name="api_disconnect"),
    path("api/accounting/pogo/send-order", api.send_order, name="api_send_order"),
    path("api/accounting/pogo/invoice", api.invoice, name="api_invoice"),
    path("api/accounting/pogo/webhook", webhooks.endpoint, {"provider": "poweroffice_go"},
         name="api_webhook"),
    path("api/accounting/pogo/contracts/<int:pk>/status", api.contract_status,
         name="api_contract_status"),
]
