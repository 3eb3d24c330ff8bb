"""The accountant page's view of a Tripletex company: its charged invoices with what is left to
pay, and the bank payment an accountant registers against one, booked exactly as `:payment`
books it (invoicing.register_payment), so the API's `amountOutstanding`, the invoice's `version`
and the webhooks (voucher.create; closeGroup.create once settled) follow as they would in
Tripletex. Webhook `url` fields use the API address of the company's last session."""

import json
from decimal import Decimal

from django.db import transaction

from sandbox.framework.accountant import AccountantBook, AccountantInvoice, PaymentRejected
from sandbox.framework.errors import ErrorResponse
from sandbox.tripletex import fields, invoicing, store

BANK_PAYMENT_TYPE = 28_000_001
DEFAULT_API_BASE = "localhost/sandbox/tripletex/v2"


class TripletexBook(AccountantBook):
    def list_invoices(self, tenant):
        names = {row.data["id"]: row.data.get("name", "")
                 for row in store.records(tenant, "Customer")}
        shown = []
        for record in reversed(store.records(tenant, "Invoice")):
            data = record.data
            total = Decimal(str(data["amount"]))
            shown.append(AccountantInvoice(
                invoice_id=record.remote_id, number=str(data["invoiceNumber"]),
                customer=names.get(store.ref_id(data["customer"]), ""), total=total,
                paid=total - Decimal(str(data["amountOutstanding"])), currency="NOK",
                issued_on=store.parse_date(None, data["invoiceDate"], "invoiceDate"),
                due_on=store.parse_date(None, data["invoiceDueDate"], "invoiceDueDate")))
        return shown

    def register_payment(self, tenant, invoice_id, amount, paid_on):
        renderer = fields.Renderer(tenant, tenant.data.get("apiBase") or DEFAULT_API_BASE)
        try:
            with transaction.atomic():
                invoice = store.locked(tenant, "Invoice", invoice_id)
                if invoice is None:
                    raise PaymentRejected("No such invoice.")
                invoicing.register_payment(None, invoice, paid_on, BANK_PAYMENT_TYPE, amount,
                                           renderer=renderer)
        except ErrorResponse as refused:
            body = json.loads(refused.response.content)
            messages = body.get("validationMessages") or [{"message": body["message"]}]
            raise PaymentRejected(" ".join(m["message"] for m in messages)) from None
