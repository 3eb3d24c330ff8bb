"""PowerOffice Go's own addresses: connecting on Settings -> Accounting (onboarding, a pasted
client key, Go's redirect back), and the first addresses of the dealer's buttons and API
(`.../pogo/...`), kept and routed to the shared dealer flow with the provider fixed.
Namespace "pogo"."""

from django.urls import path

from contracts.dealerflow import api as dealer_api
from contracts.dealerflow import views as dealer
from integrations.providers.poweroffice_go import api, views, webhooks
from integrations.providers.poweroffice_go.operations import KEY

app_name = "pogo"
FIXED = {"provider": KEY}

urlpatterns = [
    path("settings/accounting/connect/", views.connect, name="connect"),
    path("settings/accounting/client-key/", views.connect_with_key, name="connect_with_key"),
    path("contracts/<int:pk>/pogo/send/", dealer.send_order, FIXED, name="send_order"),
    path("contracts/<int:pk>/pogo/invoice/", dealer.invoice_now, FIXED, name="invoice_now"),
    path("contracts/<int:pk>/pogo/status/", dealer.contract_status, FIXED,
         name="contract_status"),
    path("customers/<int:pk>/pogo/sync/", dealer.sync_customer, FIXED, name="sync_customer"),
    # The API of the brief.
    path("api/accounting/pogo/connect", api.connect, name="api_connect"),
    path("api/accounting/pogo/callback", views.onboarding_callback, name="api_callback"),
    path("api/accounting/pogo/disconnect", dealer_api.disconnect, FIXED,
         name="api_disconnect"),
    path("api/accounting/pogo/send-order", dealer_api.send_order, FIXED, name="api_send_order"),
    path("api/accounting/pogo/invoice", dealer_api.invoice, FIXED, name="api_invoice"),
    path("api/accounting/pogo/webhook", webhooks.endpoint, {"provider": KEY},
         name="api_webhook"),
    path("api/accounting/pogo/contracts/<int:pk>/status", dealer_api.contract_status, FIXED,
         name="api_contract_status"),
]
