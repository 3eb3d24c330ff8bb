"""PowerOffice Go's routes, relative to /sandbox/poweroffice_go/ (which stands for
https://goapi.poweroffice.net/Demo): the token at OAuth/Token, the API under v2/, the onboarding
approval page, the stand-in for Go's screens under go/.

API paths match case-insensitively, as the gateway's do (community clients use /demo/v2 and
/demo/oauth). Anything else under the simulator, any method a route does not publish included,
is the gateway's 404 "Resource not found".
"""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from sandbox.poweroffice_go import auth, contacts, reference, sales, web
from sandbox.poweroffice_go.simulator import route_not_found

GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
ID = r"-?\d+"


def _any_case(route):
    """Every letter outside groups as a [xX] class. Django cannot reverse an inline (?i) flag
    (reversing any URL of the site would fail), but it reverses a class to its first letter."""
    out, depth, escaped = [], 0, False
    for ch in route:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "(":
            depth += 1
            out.append(ch)
        elif ch == ")":
            depth -= 1
            out.append(ch)
        elif depth == 0 and ch.isalpha():
            out.append(f"[{ch}{ch.swapcase()}]")
        else:
            out.append(ch)
    return "".join(out)


def api(route, view, name=None):
    """A case-insensitive route: `route` is a regex without anchors, e.g. r"v2/Customers"."""
    return re_path(rf"^{_any_case(route)}$", view, name=name)


@csrf_exempt
def unknown_route(request, rest=""):
    """The gateway finds no operation for the method and path, before it looks at any key."""
    return route_not_found(request)


urlpatterns = [
    api(r"OAuth/Token", auth.token, name="token"),
    api(r"v2/Onboarding/Initiate", auth.onboarding_initiate, name="onboarding-initiate"),
    api(r"v2/Onboarding/Finalize", auth.onboarding_finalize, name="onboarding-finalize"),
    api(r"v2/Offboarding/RemoveIntegration", auth.remove_integration,
        name="offboarding"),
    api(r"v2/ClientIntegrationInformation", auth.client_integration_information,
        name="client-integration-information"),
    api(r"v2/Customers", contacts.customers, name="customers"),
    api(rf"v2/Customers/(?P<customer_id>{ID})", contacts.customer, name="customer"),
    api(r"v2/Products", contacts.products, name="products"),
    api(rf"v2/Products/(?P<product_id>{ID})", contacts.product, name="product"),
    api(r"v2/SalesOrders/Complete", sales.create_sales_order, name="sales-order-create"),
    api(r"v2/SalesOrders/sentState", sales.sent_state, name="sent-state"),
    api(r"v2/SalesOrders", sales.sales_orders, name="sales-orders"),
    api(rf"v2/SalesOrders/(?P<order_id>{GUID})", sales.sales_order, name="sales-order"),
    api(rf"v2/SalesOrders/(?P<order_id>{GUID})/Complete", sales.sales_order_complete,
        name="sales-order-complete"),
    api(rf"v2/SalesOrders/(?P<order_id>{GUID})/Lines", sales.sales_order_lines,
        name="sales-order-lines"),
    api(rf"v2/SalesOrders/(?P<order_id>{GUID})/createAndSendInvoice",
        sales.create_and_send_invoice, name="create-and-send-invoice"),
    api(r"v2/OutgoingInvoices", sales.outgoing_invoices, name="outgoing-invoices"),
    api(rf"v2/OutgoingInvoices/(?P<invoice_id>{GUID})", sales.outgoing_invoice,
        name="outgoing-invoice"),
    api(rf"v2/OutgoingInvoices/(?P<invoice_id>{GUID})/Lines", sales.outgoing_invoice_lines,
        name="outgoing-invoice-lines"),
    api(r"v2/Customerledger/EntriesByMatchId", sales.entries_by_match_id,
        name="entries-by-match-id"),
    api(r"v2/VatCodes", reference.vat_codes, name="vat-codes"),
    api(rf"v2/VatCodes/(?P<object_id>{ID})", reference.vat_code, name="vat-code"),
    api(r"v2/GeneralLedgerAccounts", reference.accounts, name="accounts"),
    api(rf"v2/GeneralLedgerAccounts/(?P<object_id>{ID})", reference.account, name="account"),
    api(r"v2/Projects", reference.projects, name="projects"),
    api(rf"v2/Projects/(?P<object_id>{ID})", reference.project, name="project"),
    api(r"v2/Departments", reference.departments, name="departments"),
    api(rf"v2/Departments/(?P<object_id>{ID})", reference.department, name="department"),
    api(r"v2/PaymentTerms", reference.payment_terms, name="payment-terms"),
    api(rf"v2/PaymentTerms/(?P<object_id>{ID})", reference.payment_term, name="payment-term"),
    path("onboarding/<str:session_id>", auth.onboarding_page, name="onboarding-page"),
    path("go/", web.index, name="go"),
    path("go/salesorders/<uuid:order_id>", web.sales_order, name="go-sales-order"),
    path("go/invoices/<uuid:invoice_id>", web.invoice, name="go-invoice"),
    re_path(r"^(?P<rest>.*)$", unknown_route),
]
