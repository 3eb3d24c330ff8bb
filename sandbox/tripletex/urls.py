"""Tripletex's routes, relative to /sandbox/tripletex/ (which stands for
https://api-test.tripletex.tech): the API under v2/, our control endpoints under _control/
(the framework adds accountant/ and _control/faults, tokens, requests). Any other path is
Tripletex's 404 envelope."""

from django.urls import path, re_path

from sandbox.tripletex import auth, control, errors, events, invoices, orders, resources, web
from sandbox.tripletex import simulator as tripletex


@tripletex.endpoint(methods=("GET", "POST", "PUT", "DELETE"), auth=False, rate_limit=None)
def unknown_route(request, rest=""):
    errors.fail(request, 404, errors.NOT_FOUND, "Ressursen finnes ikke.",
                developer_message=f"No such resource: {request.path}")


urlpatterns = [
    path("v2/token/session/:create", auth.session_create, name="session-create"),
    re_path(r"^v2/token/session/>whoAmI$", auth.who_am_i, name="who-am-i"),
    path("v2/token/session/<str:token>", auth.session_delete, name="session-delete"),
    path("v2/customer", resources.customers, name="customers"),
    path("v2/customer/<int:object_id>", resources.customer, name="customer"),
    path("v2/product", resources.products, name="products"),
    path("v2/product/<int:object_id>", resources.product, name="product"),
    path("v2/ledger/vatType", resources.vat_types, name="vat-types"),
    path("v2/ledger/vatType/<int:object_id>", resources.vat_type, name="vat-type"),
    path("v2/ledger/account", resources.accounts, name="accounts"),
    path("v2/ledger/account/<int:object_id>", resources.account, name="account"),
    path("v2/invoice/paymentType", resources.payment_types, name="payment-types"),
    path("v2/invoice/paymentType/<int:object_id>", resources.payment_type,
         name="payment-type"),
    path("v2/order", orders.orders, name="orders"),
    path("v2/order/<int:object_id>", orders.order, name="order"),
    path("v2/order/<int:object_id>/:invoice", orders.order_invoice, name="order-invoice"),
    path("v2/order/orderline", orders.order_line_create, name="order-line-create"),
    path("v2/order/orderline/list", orders.order_line_list, name="order-line-list"),
    path("v2/order/orderline/<int:object_id>", orders.order_line, name="order-line"),
    path("v2/invoice", invoices.invoices, name="invoices"),
    path("v2/invoice/<int:object_id>", invoices.invoice, name="invoice"),
    path("v2/invoice/<int:object_id>/:payment", invoices.invoice_payment,
         name="invoice-payment"),
    path("v2/event", events.event_keys, name="events"),
    path("v2/event/subscription", events.subscriptions, name="subscriptions"),
    path("v2/event/subscription/<int:object_id>", events.subscription, name="subscription"),
    path("v2/event/<str:event_type>", events.event_info, name="event"),
    path("_control/ratelimit", control.ratelimit, name="control-ratelimit"),
    path("_control/webhooks", control.deliveries, name="control-webhooks"),
    path("_control/employee-tokens", control.employee_tokens, name="control-employee-tokens"),
    path("web/", web.index, name="web"),
    path("web/<str:kind>/<int:object_id>", web.detail, name="web-object"),
    re_path(r"^(?P<rest>.*)$", unknown_route),
]
