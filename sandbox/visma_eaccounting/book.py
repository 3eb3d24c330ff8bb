"""The accountant page's view of Visma eAccounting: a company's customer invoices, and a payment
registered exactly as `POST /v2/customerinvoices/{id}/payments` does (invoices.py), so
`PaymentStatus`, `RemainingAmount`, `PaymentDate` and the change stamps move as in Visma."""

from datetime import date
from decimal import Decimal

from sandbox.framework.accountant import AccountantBook, AccountantInvoice, PaymentRejected
from sandbox.framework.errors import ErrorResponse
from sandbox.visma_eaccounting import store


class VismaBook(AccountantBook):
    def list_invoices(self, tenant):
        rows = []
        for record in store.records(tenant, "customerinvoice").order_by("-id"):
            data = record.data
            total = Decimal(str(data.get("TotalAmountInvoiceCurrency") or 0))
            remaining = Decimal(str(data.get("RemainingAmountInvoiceCurrency") or 0))
            rows.append(AccountantInvoice(
                invoice_id=record.remote_id, number=str(data.get("InvoiceNumber", "")),
                customer=data.get("CustomerName") or "", total=total, paid=total - remaining,
                currency=data.get("CurrencyCode") or "SEK",
                issued_on=_day(data.get("InvoiceDate")), due_on=_day(data.get("DueDate"))))
        return rows

    def register_payment(self, tenant, invoice_id, amount, paid_on):
        from sandbox.visma_eaccounting.invoices import register_payment

        try:
            register_payment(tenant, invoice_id, amount, paid_on)
        except ErrorResponse as refused:
            raise PaymentRejected(_message(refused.response)) from None


def _day(value):
    return date.fromisoformat(value[:10]) if value else None


def _message(response):
    import json

    body = json.loads(response.content)
    return body.get("DeveloperErrorMessage", "The payment was refused.")
