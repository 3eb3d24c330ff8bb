"""A read-only stand-in for Tripletex's own screens at /sandbox/tripletex/web/, so that a link
from the hub (TRIPLETEX_WEB_URL + /<kind>/<id>, kind one of customer, product, order, invoice)
opens the object it names. Ids are unique across companies, so the id alone finds it."""

from pathlib import Path

from django.http import Http404, HttpResponse
from django.template import engines
from django.views.decorators.http import require_GET

from sandbox.models import SandboxRecord, SandboxTenant
from sandbox.tripletex import store
from sandbox.tripletex.store import SLUG

TEMPLATES = Path(__file__).parent / "templates"
KINDS = {"customer": "Customer", "product": "Product", "order": "Order", "invoice": "Invoice"}
LABELS = {"Customer": "Kunde", "Product": "Produkt", "Order": "Ordre", "Invoice": "Faktura"}


def _render(request, name, context, status=200):
    template = engines["django"].from_string((TEMPLATES / name).read_text(encoding="utf-8"))
    return HttpResponse(template.render(context, request), status=status)


def _base(request):
    return request.path[:request.path.index(f"/{SLUG}/") + len(SLUG) + 2] + "web"


def _rows(data, base):
    """(name, text, link) for the object's shown properties; links for objects with a page."""
    rows = []
    for name, value in data.items():
        if name.startswith("_") or name in ("orderLines", "postings", "orders") or value in (
                None, "", []):
            continue
        link = None
        if isinstance(value, dict) and "id" in value:
            page = {"customer": "customer", "product": "product"}.get(name)
            link = f"{base}/{page}/{value['id']}" if page else None
            value = value["id"]
        rows.append((name, value, link))
    return rows


def _summary(data):
    """(id, number, name or reference, outstanding) for a list row."""
    number = next((data[key] for key in ("invoiceNumber", "number", "customerNumber")
                   if data.get(key) not in (None, "")), "")
    text = next((data[key] for key in ("name", "reference", "invoiceDate") if data.get(key)), "")
    return data["id"], number, text, data.get("amountOutstanding", "")


def _children(tenant, refs, kind):
    return [record.data for ref in refs or []
            if (record := store.find(tenant, kind, ref["id"])) is not None]


@require_GET
def index(request):
    companies = list(SandboxTenant.objects.filter(provider=SLUG))
    wanted = request.GET.get("company", "")
    tenant = next((c for c in companies if c.external_id == wanted),
                  companies[0] if companies else None)
    lists = {}
    if tenant is not None:
        for kind in ("Invoice", "Order", "Customer", "Product"):
            lists[LABELS[kind]] = [(_summary(row.data), f"{_base(request)}/{kind.lower()}/"
                                                        f"{row.remote_id}")
                                   for row in reversed(store.records(tenant, kind))]
    return _render(request, "web_index.html", {"companies": companies, "tenant": tenant,
                                               "lists": lists, "base": _base(request)})


@require_GET
def detail(request, kind, object_id):
    model = KINDS.get(kind)
    record = (SandboxRecord.objects.select_related("tenant")
              .filter(provider=SLUG, kind=model, remote_id=str(object_id)).first()
              if model else None)
    if record is None:
        raise Http404("No such object in Tripletex.")
    base, data = _base(request), record.data
    lines = _children(record.tenant, data.get("orderLines"), "OrderLine")
    postings = _children(record.tenant, data.get("postings"), "Posting")
    orders = [(ref["id"], f"{base}/order/{ref['id']}") for ref in data.get("orders") or []]
    invoices = [(row.data["invoiceNumber"], f"{base}/invoice/{row.remote_id}")
                for row in store.records(record.tenant, "Invoice")
                if model == "Order" and {"id": data["id"]} in row.data.get("orders", [])]
    return _render(request, "web_object.html", {
        "tenant": record.tenant, "label": LABELS[model], "data": data, "base": base,
        "number": _summary(data)[1] or data["id"], "outstanding": data.get("amountOutstanding"),
        "rows": _rows(data, base), "lines": lines, "postings": postings, "orders": orders,
        "invoices": invoices,
        "accountant": base.removesuffix("web") + f"accountant/?tenant={record.tenant.external_id}"})
