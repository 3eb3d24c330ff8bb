"""`/v2/customerinvoices`: direct invoices (created and bookkept in one step), the list with
`modifiedSinceUtc`, one invoice with its payment state, and payments
[visma-eaccounting.md 6.2, 6.3].

- POST takes CustomerId, EuThirdParty, RotReducedInvoicingType and Rows (an invoice row has no
  IsTextRow to set: a row without ArticleId is a text row). The invoice gets the next
  `InvoiceNumber`, a voucher, server-side totals (documents.py), `CreatedUtc`/`ModifiedUtc`.
  `CreatedFromDraftId` bookkeeps that draft: it is gone afterwards. An invoice date in the
  future is refused (4002), one in a locked period too (4013).
- Payment state is read, never written by clients: `RemainingAmount`(`InvoiceCurrency`) goes
  down with each payment; `PaymentStatus` is 0 Paid (nothing left), 2 Overdue (something left
  after `DueDate`) or 1 Unpaid; `PaymentDate` is the date of the payment that settled it (none
  while anything is left). A payment moves `ModifiedUtc`; a due date passing does not.
- `POST /{id}/payments` (`InvoicePaymentApi`): an existing CompanyBankAccountId, the invoice's
  currency, no future date (4023), PaymentType 1 Partial (less than what is left), 2 Complete
  (exactly what is left) or 3 Rounding (settles the rest); more than what is left is refused.
  The accountant page registers payments the same way.
- `GET ?modifiedSinceUtc=` lists invoices whose `ModifiedUtc` is at or after the given UTC
  time (ASSUMED inclusive, so a poll reusing its watermark sees an invoice twice rather than
  never); a malformed time answers 6001.
"""

import uuid
from decimal import Decimal

from django.db import transaction

from sandbox.visma_eaccounting import documents, errors, fields, odata, store, webhooks
from sandbox.visma_eaccounting.api import SALES_WRITE, body, endpoint

KIND = "customerinvoice"
PAID, UNPAID, OVERDUE = 0, 1, 2
PARTIAL, COMPLETE, ROUNDING = 1, 2, 3
FILTERABLE = {
    "Id": odata.GUID, "CustomerId": odata.GUID, "InvoiceNumber": odata.NUMBER,
    "CustomerNumber": odata.STRING, "CustomerName": odata.STRING,
    "OurReference": odata.STRING, "YourReference": odata.STRING,
    "BuyersOrderReference": odata.STRING, "PaymentStatus": odata.NUMBER,
    "InvoiceDate": odata.DATETIME, "DueDate": odata.DATETIME, "PaymentDate": odata.DATETIME,
    "CreatedUtc": odata.DATETIME, "ModifiedUtc": odata.DATETIME,
    "RemainingAmount": odata.NUMBER, "RemainingAmountInvoiceCurrency": odata.NUMBER,
    "TotalAmount": odata.NUMBER, "TotalAmountInvoiceCurrency": odata.NUMBER,
    "IsCreditInvoice": odata.BOOLEAN,
}


def present(data):
    """The invoice as the API answers it: its payment status as of today."""
    remaining = Decimal(str(data.get("RemainingAmountInvoiceCurrency") or 0))
    if remaining == 0:
        status = PAID
    elif data.get("DueDate") and data["DueDate"][:10] < store.today().isoformat():
        status = OVERDUE
    else:
        status = UNPAID
    return {**data, "PaymentStatus": status}


def create_invoice(tenant, data, *, invoice_date):
    """Store a bookkept invoice from a checked request (or a converted draft)."""
    documents.check_not_future(invoice_date)
    documents.check_open_period(tenant, invoice_date)
    customer = documents.customer_of(tenant, data)
    head, terms = documents.header(tenant, data, customer)
    currency = customer.data.get("CurrencyCode", "SEK")
    rows, priced = documents.build_rows(tenant, data.get("Rows") or [], customer=customer,
                                        draft=False)
    sums = documents.totals(tenant, priced, gross=head["IncludesVat"], currency=currency)
    rate = Decimal(str(data.get("CurrencyRate") or 1))
    due = (store.parse_day(data["DueDate"], "DueDate") if data.get("DueDate")
           else documents.due_date(invoice_date, terms))
    number = store.next_number(tenant, KIND)
    now = store.stamp()
    total = sums["total"]
    invoice = {
        **{key: value for key, value in fields.INVOICE.writable(data).items()
           if value is not None and key != "Rows"},
        **head, "Rows": rows, "InvoiceNumber": number, "InvoiceDate": store.day(invoice_date),
        "DueDate": store.day(due), "TermsOfPaymentId": terms.remote_id,
        "CurrencyCode": currency, "CurrencyRate": float(rate),
        "CustomerEmail": customer.data.get("EmailAddress"),
        "TotalAmountInvoiceCurrency": float(total), "TotalAmount": store.number(total * rate),
        "TotalVatAmountInvoiceCurrency": float(sums["vat"]),
        "TotalVatAmount": store.number(sums["vat"] * rate),
        "TotalRoundings": float(sums["roundings"]),
        "RemainingAmountInvoiceCurrency": float(total),
        "RemainingAmount": store.number(total * rate), "SetOffAmountInvoiceCurrency": 0.0,
        "VatSpecification": sums["specification"], "VoucherId": str(uuid.uuid4()),
        "VoucherNumber": f"F {number}", "IsCreditInvoice": bool(data.get("IsCreditInvoice")),
        "IsSold": False, "IsNotDelivered": False, "HasAutoInvoiceError": False,
        "PaymentReminderIssued": False, "RotReducedInvoicingAutomaticDistribution": False,
        "ReversedConstructionVatInvoicing": any(row.get("IsVatFree") for row in rows),
        "CreditedBy": [], "SendType": data.get("SendType", 0), "CreatedUtc": now,
        "ModifiedUtc": now,
    }
    record = store.create(tenant, KIND, invoice)
    webhooks.notify(tenant, KIND, "Created", record.data)
    return record


def _since(request):
    text = request.GET.get("modifiedSinceUtc", "").strip()
    return odata.parse_datetime(text) if text else None


@endpoint(methods=("GET", "POST"), write=SALES_WRITE)
def customerinvoices(request, tenant):
    if request.method == "POST":
        data = body(request, fields.INVOICE)
        invoice_date = (store.parse_day(data["InvoiceDate"], "InvoiceDate")
                        if data.get("InvoiceDate") else store.today())
        with transaction.atomic():
            draft_id = data.get("CreatedFromDraftId")
            draft = draft_id and store.find(tenant, "customerinvoicedraft", draft_id.lower())
            if draft_id and draft is None:
                errors.unknown_reference("CreatedFromDraftId", "CustomerInvoiceDraft")
            record = create_invoice(tenant, data, invoice_date=invoice_date)
            if draft:
                draft.delete()
        return store.one(present(record.data), status=201)
    since = _since(request)
    items = [present(record.data) for record in store.records(tenant, KIND).order_by("id")
             if since is None or odata.parse_datetime(record.data["ModifiedUtc"]) >= since]
    return store.page(request, items, filterable=FILTERABLE,
                      sortable=("InvoiceNumber", "InvoiceDate", "ModifiedUtc", "DueDate"))


@endpoint()
def customerinvoice(request, tenant, invoice_id):
    return store.one(present(store.get(tenant, KIND, invoice_id, "CustomerInvoice").data))


def register_payment(tenant, invoice_id, amount, paid_on, *, bank_account_id=None,
                     payment_type=None, currency=None, reference=None):
    """Apply a payment as Visma does; returns the payment (InvoicePaymentApi). Raises
    ErrorResponse with Visma's error when refused."""
    amount = store.money(amount)
    if paid_on > store.today():
        errors.fail(400, errors.FUTURE_DATE, "FutureDateCannotBeSet - A payment cannot be dated "
                                             "in the future.",
                    errors=[errors.field_error("PaymentDate", "The date is in the future.",
                                               errors.FUTURE_DATE)])
    bank = (store.find(tenant, "bankaccount", str(bank_account_id).lower()) if bank_account_id
            else store.records(tenant, "bankaccount").order_by("id").first())
    if bank is None:
        errors.unknown_reference("CompanyBankAccountId", "BankAccount")
    with transaction.atomic():
        record = store.get(tenant, KIND, invoice_id, "CustomerInvoice", lock=True)
        data = record.data
        remaining = store.money(data["RemainingAmountInvoiceCurrency"])
        if currency is not None and currency != data["CurrencyCode"]:
            errors.invalid(("PaymentCurrency", f"The invoice is in {data['CurrencyCode']}."))
        if payment_type is None:
            payment_type = COMPLETE if amount == remaining else PARTIAL
        if amount <= 0 or remaining <= 0 or (amount > remaining and payment_type != ROUNDING):
            errors.invalid(("PaymentAmount", f"The amount must be more than 0 and at most what "
                                             f"is left to pay ({remaining})."))
        if payment_type == COMPLETE and amount != remaining:
            errors.invalid(("PaymentType", f"A complete payment must be {remaining}."))
        if payment_type == PARTIAL and amount == remaining:
            errors.invalid(("PaymentType", "A partial payment must leave something to pay."))
        left = Decimal("0") if payment_type == ROUNDING else remaining - amount
        rate = Decimal(str(data.get("CurrencyRate") or 1))
        data.update(RemainingAmountInvoiceCurrency=float(left),
                    RemainingAmount=store.number(left * rate), ModifiedUtc=store.stamp())
        data["PaymentDate"] = store.day(paid_on) if left == 0 else None
        store.save(record, data)
        webhooks.notify(tenant, KIND, "Changed", data)
        payment = {"Id": str(uuid.uuid4()), "InvoiceId": record.remote_id,
                   "CompanyBankAccountId": bank.remote_id, "PaymentAmount": float(amount),
                   "PaymentCurrency": data["CurrencyCode"], "PaymentDate": store.day(paid_on),
                   "PaymentType": payment_type, "Reference": reference,
                   "BankTransactionId": str(uuid.uuid4())}
        store.create(tenant, "invoicepayment", payment, payment["Id"])
    return {key: value for key, value in payment.items() if key not in ("Id", "InvoiceId")}


@endpoint(methods=("POST",), write=SALES_WRITE)
def payments(request, tenant, invoice_id):
    data = body(request, fields.PAYMENT)
    store.get(tenant, KIND, invoice_id, "CustomerInvoice")
    paid_on = store.parse_day(data["PaymentDate"], "PaymentDate")
    payment = register_payment(
        tenant, invoice_id, Decimal(str(data["PaymentAmount"])), paid_on,
        bank_account_id=data["CompanyBankAccountId"], payment_type=data["PaymentType"],
        currency=data["PaymentCurrency"], reference=data.get("Reference"))
    return store.one(payment, status=201)
