from django.urls import path

from accounting.recordpages import record_urls
from contracts import views
from contracts.dealerflow import api as dealer_api
from contracts.dealerflow import views as dealer
from contracts.pages import PAGES

app_name = "contracts"

urlpatterns = [
    path("contracts/new/", views.contract_edit, name="contract_create"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    *[pattern for page in PAGES for pattern in record_urls(page)],
    # The dealer's flow, for whichever accounting system the organization uses.
    path("settings/accounting/", dealer.settings_page, name="accounting_settings"),
    path("settings/accounting/disconnect/", dealer.disconnect, name="accounting_disconnect"),
    path("settings/accounting/test/", dealer.test_connection, name="accounting_test"),
    path("settings/accounting/defaults/", dealer.save_defaults, name="accounting_defaults"),
    path("settings/accounting/validate/", dealer.validate, name="accounting_validate"),
    path("contracts/<int:pk>/accounting/send/", dealer.send_order, name="accounting_send"),
    path("contracts/<int:pk>/accounting/invoice/", dealer.invoice_now,
         name="accounting_invoice"),
    path("contracts/<int:pk>/accounting/status/", dealer.contract_status,
         name="accounting_contract_status"),
    path("customers/<int:pk>/accounting/sync/", dealer.sync_customer,
         name="accounting_sync_customer"),
    path("api/accounting/send-order", dealer_api.send_order, name="api_accounting_send_order"),
    path("api/accounting/invoice", dealer_api.invoice, name="api_accounting_invoice"),
    path("api/accounting/disconnect", dealer_api.disconnect, name="api_accounting_disconnect"),
    path("api/accounting/contracts/<int:pk>/status", dealer_api.contract_status,
         name="api_accounting_contract_status"),
]
