"""Routes of the Fortnox simulator, relative to /sandbox/fortnox/: the OAuth host's paths
under `oauth-v1/`, the API's under `3/`, the web app under `app/` and `_control/records`.
(The framework adds `accountant/` and the other `_control/` endpoints.)"""

from django.urls import path

from sandbox.fortnox import book, views, web
from sandbox.fortnox.oauth import FortnoxConsentView, FortnoxRevokeView, FortnoxTokenView
from sandbox.fortnox.simulator import simulator

token_endpoint = simulator.endpoint(methods=("POST",), auth=False, rate_limit=None)

urlpatterns = [
    path("oauth-v1/auth", FortnoxConsentView.as_view(simulator=simulator), name="authorize"),
    path("oauth-v1/token", token_endpoint(FortnoxTokenView.as_view(simulator=simulator)),
         name="token"),
    path("oauth-v1/revoke", token_endpoint(FortnoxRevokeView.as_view(simulator=simulator)),
         name="revoke"),
    path("3/companyinformation", views.company_information, name="companyinformation"),
    path("3/predefinedaccounts", views.predefined_accounts, name="predefinedaccounts"),
    path("3/settings/lockedperiod", views.locked_period, name="lockedperiod"),
    path("_control/records", book.records, name="control-records"),
    path("app/", web.index, name="app"),
    path("app/<str:kind>/", web.register, name="app-register"),
    path("app/<str:kind>/<str:key>", web.detail, name="app-detail"),
]
urlpatterns.append(path("3/absencetransactions/<str:employee_id>/<str:day>/<str:code>",
                        views.absences_of_employee_day_and_code,
                        name="absencetransaction-employee-day-code"))
for resource in views.RESOURCES:
    urlpatterns += [
        path(f"3/{resource.path}", views.collection_view(resource), name=resource.path),
        path(f"3/{resource.path}/<str:key>", views.item_view(resource),
             name=f"{resource.kind}-item"),
    ]
for resource, action in [(views.INVOICES, "bookkeep"), (views.INVOICES, "cancel"),
                         (views.INVOICES, "credit"), (views.OFFERS, "cancel"),
                         (views.INVOICE_PAYMENTS, "bookkeep")]:
    urlpatterns.append(path(f"3/{resource.path}/<str:key>/{action}",
                            views.action_view(resource, action),
                            name=f"{resource.kind}-{action}"))
