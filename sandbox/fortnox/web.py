"""A tiny, read-only stand-in for Fortnox's web app at `app/` (the hub's FORTNOX_WEB_URL
points here), so that links from the hub to "the invoice in Fortnox" open something:

    app/                       companies and their registers
    app/<resource>/?tenant=    one company's entities (customers, invoices, offers, ...)
    app/<resource>/<id>        one entity, in every company that has it (or ?tenant=)

Nothing can be changed here; the accountant page and `_control/records` do that.
"""

from pathlib import Path

from django.http import Http404, HttpResponse
from django.template import engines

from sandbox.fortnox import store
from sandbox.models import SandboxTenant

TEMPLATE = engines["django"].from_string(
    (Path(__file__).parent / "templates" / "app.html").read_text())
ROW_COLUMNS = ("ArticleNumber", "Description", "DeliveredQuantity", "Quantity", "Unit",
               "Price", "VAT", "AccountNumber", "Total")
LIST_COLUMNS = 5


def _tenants():
    return SandboxTenant.objects.filter(provider="fortnox")


def _render(request, status=200, **context):
    from sandbox.fortnox.views import BY_PATH  # views import the simulator

    base = request.path[:request.path.index("/app/") + len("/app")]
    context.setdefault("tenant", None)
    context.setdefault("rows", None)
    context.update(base=base, kinds=sorted(BY_PATH), tenants=_tenants())
    return HttpResponse(TEMPLATE.render(context, request), status=status)


def _resource(kind):
    from sandbox.fortnox.views import BY_PATH

    resource = BY_PATH.get(kind)
    if resource is None:
        raise Http404(f"Fortnox has no register {kind!r} here.")
    return resource


def _display(value):
    if value in (None, "", [], {}):
        return None
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dict):
        shown = {name: inner for name, inner in value.items() if inner not in (None, "")}
        return ", ".join(f"{name}: {inner}" for name, inner in shown.items()) or None
    return value


def index(request):
    tenant = _tenants().filter(external_id=request.GET.get("tenant", "")).first()
    return _render(request, title=tenant.name if tenant else None, tenant=tenant)


def register(request, kind):
    resource = _resource(kind)
    tenant = _tenants().filter(external_id=request.GET.get("tenant", "")).first()
    if tenant is None:
        return index(request)
    columns = (resource.list_fields or sorted(resource.entity.names))
    columns = [name for name in columns if name != "@url"][:LIST_COLUMNS]
    if resource.id_field in columns:
        columns.remove(resource.id_field)
    columns = [resource.id_field, *columns][:LIST_COLUMNS]
    records = resource.select(list(store.records(tenant, resource.kind)), {})
    rows = [{"id": record.remote_id,
             "cells": [record.data.get(name, "") for name in columns]} for record in records]
    return _render(request, title=kind, tenant=tenant, kind=kind, columns=columns, rows=rows)


def detail(request, kind, key):
    resource = _resource(kind)
    tenants = _tenants()
    if request.GET.get("tenant"):
        tenants = tenants.filter(external_id=request.GET["tenant"])
    pages = []
    for tenant in tenants:
        record = store.find(tenant, resource.kind, key)
        if record is None:
            continue
        rows_field = getattr(resource, "rows_field", "")
        pages.append({
            "tenant": tenant, "heading": f"{resource.single} {key}",
            "modified": store.format_timestamp(record.modified_at),
            "fields": [(name, shown) for name, value in record.data.items()
                       if name != rows_field and (shown := _display(value)) is not None],
            "row_columns": ROW_COLUMNS,
            "rows": [[row.get(name, "") for name in ROW_COLUMNS]
                     for row in record.data.get(rows_field, [])] if rows_field else [],
        })
    status = 200 if pages else 404
    return _render(request, status=status, title=f"{resource.single} {key}", pages=pages,
                   missing=f"No {resource.single} {key} in any Fortnox company.")
