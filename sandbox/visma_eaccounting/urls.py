"""Routes of the Visma eAccounting simulator, relative to /sandbox/visma_eaccounting/: Visma
Online's identity server under `connect/` (identity.py), the API under `v2/`. (The framework
adds `accountant/` and the `_control/` endpoints.)"""

from django.urls import path

from sandbox.visma_eaccounting import (
    articles,
    customers,
    drafts,
    identity,
    invoices,
    links,
    reference,
    webhooks,
)
from sandbox.visma_eaccounting.simulator import simulator

urlpatterns = identity.urlpatterns() + [
    path("v2/companysettings", reference.companysettings, name="companysettings"),
    path("v2/accounts", reference.accounts, name="accounts"),
    path("v2/accounts/<str:fiscal_year_id>", reference.accounts_of_year,
         name="accounts-of-year"),
    path("v2/accounts/<str:fiscal_year_id>/<str:number>", reference.account, name="account"),
    path("v2/customers", customers.customers, name="customers"),
    path("v2/customers/<str:customer_id>", customers.customer, name="customer"),
    path("v2/articles", articles.articles, name="articles"),
    path("v2/articles/<str:article_id>", articles.article, name="article"),
    path("v2/customerinvoicedrafts", drafts.customerinvoicedrafts,
         name="customerinvoicedrafts"),
    path("v2/customerinvoicedrafts/<str:draft_id>", drafts.customerinvoicedraft,
         name="customerinvoicedraft"),
    path("v2/customerinvoicedrafts/<str:draft_id>/convert", drafts.convert, name="convert"),
    path("v2/customerinvoices", invoices.customerinvoices, name="customerinvoices"),
    path("v2/customerinvoices/<str:invoice_id>", invoices.customerinvoice,
         name="customerinvoice"),
    path("v2/customerinvoices/<str:invoice_id>/payments", invoices.payments, name="payments"),
    path("v2/partnerresourcelinks", links.partnerresourcelinks, name="partnerresourcelinks"),
    path("v2/partnerresourcelinks/<str:link_id>", links.partnerresourcelink,
         name="partnerresourcelink"),
    path("v2/webhooks", links.webhooks, name="webhooks"),
    path("v2/webhooks/<str:webhook_id>", links.webhook, name="webhook"),
    path("_control/webhooks", webhooks.deliveries, {"simulator": simulator},
         name="control-webhooks"),
]
for name in ("termsofpayments", "units", "articleaccountcodings", "vatcodes", "fiscalyears",
             "bankaccounts"):
    collection, item = getattr(reference, name)
    urlpatterns += [path(f"v2/{name}", collection, name=name),
                    path(f"v2/{name}/<str:item_id>", item, name=f"{name}-item")]
