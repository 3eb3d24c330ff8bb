"""A read-only stand-in for Go's own screens, at /sandbox/poweroffice_go/go/, so that a link from
the hub (POWEROFFICE_GO_WEB_URL + /salesorders/<id> or /invoices/<id>) opens the draft or the
invoice it names. Orders and invoices are found by their GUID alone, as the ids are unique
across clients."""

from django.http import Http404
from django.views.decorators.http import require_GET

from sandbox.models import SandboxRecord, SandboxTenant
from sandbox.poweroffice_go import ledger, pages, store
from sandbox.poweroffice_go.store import CUSTOMER, INVOICE, LEDGER_ENTRY, SALES_ORDER, SLUG


def _base(request):
    return f"{store.site_path(request)}/go"


def _record(kind, object_id):
    record = (SandboxRecord.objects.select_related("tenant")
              .filter(provider=SLUG, kind=kind, remote_id=str(object_id)).first())
    if record is None:
        raise Http404("No such object in PowerOffice Go.")
    return record


def _customer(tenant, customer_id):
    record = store.find(tenant, CUSTOMER, customer_id)
    return record.data if record else {}


@require_GET
def index(request):
    companies = list(SandboxTenant.objects.filter(provider=SLUG))
    wanted = request.GET.get("client", "")
    tenant = next((c for c in companies if c.external_id == wanted),
                  companies[0] if companies else None)
    orders, invoices = [], []
    if tenant is not None:
        orders = [{**row, "invoiced": bool(row.get("_InvoicedAt"))}
                  for row in reversed(store.all_data(tenant, SALES_ORDER))]
        invoices = list(reversed(store.all_data(tenant, INVOICE)))
    return pages.render(request, "go_index.html", {
        "companies": companies, "tenant": tenant, "orders": orders, "invoices": invoices,
        "base": _base(request)})


@require_GET
def sales_order(request, order_id):
    record = _record(SALES_ORDER, order_id)
    invoice = store.find(record.tenant, INVOICE, order_id)
    return pages.render(request, "go_salesorder.html", {
        "tenant": record.tenant, "order": record.data,
        "customer": _customer(record.tenant, record.data["CustomerId"]),
        "invoice": invoice.data if invoice else None, "base": _base(request)})


@require_GET
def invoice(request, invoice_id):
    record = _record(INVOICE, invoice_id)
    ledger.settle_delivery(record)
    entries = [row for row in store.all_data(record.tenant, LEDGER_ENTRY)
               if row.get("_InvoiceId") == record.data["Id"]]
    base = _base(request)
    return pages.render(request, "go_invoice.html", {
        "tenant": record.tenant, "invoice": record.data,
        "customer": _customer(record.tenant, record.data["CustomerId"]),
        "lines": record.data["_Lines"], "entries": entries,
        "send_error": record.data["_Send"]["Error"], "base": base,
        "accountant": f"{store.site_path(request)}/accountant/"})
