"""The accountant page's view of a Go client: its outgoing invoices with what is left to pay, and
the bank payment an accountant registers against one (posted and matched by ledger.py, so the
API's Balance, MatchId and changed-since feed see it exactly as they would in Go)."""

from decimal import Decimal

from sandbox.framework.accountant import AccountantBook, AccountantInvoice, PaymentRejected
from sandbox.poweroffice_go import ledger, store


class PowerOfficeBook(AccountantBook):
    def list_invoices(self, tenant):
        names = {row["Id"]: row.get("Name") or "" for row in store.all_data(tenant,
                                                                             store.CUSTOMER)}
        shown = []
        for invoice in reversed(store.all_data(tenant, store.INVOICE)):
            total = store.money(invoice["TotalPostedAmount"])
            shown.append(AccountantInvoice(
                invoice_id=invoice["Id"], number=str(invoice["InvoiceNo"]),
                customer=names.get(invoice["CustomerId"], str(invoice["CustomerNo"])),
                total=total, paid=total - store.money(invoice["Balance"]), currency="NOK",
                issued_on=store.parse_day(invoice["VoucherDate"]),
                due_on=store.parse_day(invoice["DueDate"])))
        return shown

    def register_payment(self, tenant, invoice_id, amount, paid_on):
        try:
            ledger.register_payment(tenant, invoice_id, Decimal(amount), paid_on)
        except ledger.PostingError as refused:
            raise PaymentRejected(str(refused)) from None
