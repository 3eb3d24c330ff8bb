"""What a Fortnox user does by hand, for tests and demos: the accountant page's payments
(`AccountantBook`) and `_control/records`, which edits a customer's, invoice's or other
entity's fields as a user in Fortnox's own screens would, so that the hub has changes to
import and conflicts to notice.

    POST _control/records {"tenant": "<TenantId>", "resource": "customers", "id": "1001",
                           "fields": {"Name": "Ny AB"}, "modified_at"?: "2026-01-05 10:00:00"}
    GET  _control/records?tenant=&resource=&id=

Both answer `{"resource", "id", "modified": "<YYYY-MM-DD HH:MM:SS>", "entity": {...}}`;
`modified_at` (Swedish time) back-dates the change, for `lastmodified` tests. An edit
follows the same rules as the API (a booked invoice stays unchangeable) and answers Fortnox's
error when refused.
"""

import json
from decimal import Decimal

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox.fortnox import documents, store
from sandbox.framework.accountant import AccountantBook, AccountantInvoice, PaymentRejected
from sandbox.framework.errors import ErrorResponse
from sandbox.models import SandboxRecord, SandboxTenant


class FortnoxBook(AccountantBook):
    def list_invoices(self, tenant):
        invoices = []
        for record in sorted(store.records(tenant, "invoice"),
                             key=lambda record: -int(record.remote_id)):
            data = record.data
            if data.get("Cancelled"):
                continue
            total = Decimal(str(data.get("Total") or 0))
            invoices.append(AccountantInvoice(
                invoice_id=record.remote_id, number=record.remote_id,
                customer=data.get("CustomerName", ""), total=total,
                paid=total - Decimal(str(data.get("Balance") or 0)),
                currency=data.get("Currency") or "SEK",
                issued_on=store.parse_date(data["InvoiceDate"], "InvoiceDate"),
                due_on=store.parse_date(data["DueDate"], "DueDate")))
        return invoices

    def register_payment(self, tenant, invoice_id, amount, paid_on):
        try:
            documents.register_payment(tenant, invoice_id, amount, paid_on,
                                       {"ModeOfPayment": "BG", "Source": "manual"})
        except ErrorResponse as refused:
            message = json.loads(refused.response.content)["ErrorInformation"]["message"]
            raise PaymentRejected(message) from None


def _describe(resource, record, root):
    return {"resource": resource.path, "id": record.remote_id,
            "modified": store.format_timestamp(record.modified_at),
            "entity": resource.output(root, record)}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def records(request):
    from sandbox.fortnox.views import BY_PATH, api_root  # views import the simulator

    if request.method == "POST":
        if request.content_type != "application/json":
            return JsonResponse({"errors": {"content_type": "must be application/json"}},
                                status=415)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"errors": {"body": "not valid JSON"}}, status=400)
    else:
        body = request.GET.dict()
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"body": "must be a JSON object"}}, status=400)
    tenant = SandboxTenant.objects.filter(provider="fortnox",
                                          external_id=str(body.get("tenant", ""))).first()
    resource = BY_PATH.get(str(body.get("resource", "")))
    problems = {}
    if tenant is None:
        problems["tenant"] = "no such Fortnox company (TenantId)"
    if resource is None:
        problems["resource"] = f"one of {sorted(BY_PATH)}"
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    try:
        with transaction.atomic():
            record = store.get(tenant, resource.kind, body.get("id", ""),
                               f"{resource.what} {body.get('id', '')}",
                               lock=request.method == "POST")
            if request.method == "POST":
                changes = body.get("fields") or {}
                if changes:
                    resource.update(tenant, record, store.coerce(resource.payload, changes))
                if body.get("modified_at"):
                    moment = store.parse_lastmodified(str(body["modified_at"]))
                    SandboxRecord.objects.filter(pk=record.pk).update(modified_at=moment)
                record.refresh_from_db()
    except ErrorResponse as refused:
        return refused.response
    return JsonResponse(_describe(resource, record, api_root(request)),
                        json_dumps_params={"ensure_ascii": False})
