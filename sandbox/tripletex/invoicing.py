"""Invoices and payments, as Tripletex books them (no HTTP here; the views call these inside a
transaction, with the order or invoice row locked):

- Invoicing an order closes it and charges the invoice at once (`isCharged`, `isApproved`):
  the invoice number comes from the company's series (never from the client: an invoiceNumber
  sent other than 0 is refused, ASSUMED, since numbers set through the API break Tripletex's
  own numbering, fact sheet T6 #118), the KID is the invoice number with a MOD10 check digit,
  the due date is invoiceDate + the order's `invoicesDueIn` (DAYS or MONTHS).
- A voucher holds the postings: the customer posting on 1500 (the one `postings` of the
  invoice shows), income per line on the product's account (else 3000), VAT on 2700.
- A payment (`:payment`, a prepaid amount, or the accountant page) is a voucher of two
  postings: the payment type's debit account (bank) and a credit on 1500 for the customer;
  `amountOutstanding` goes down. A payment of more than what is outstanding is refused
  (ASSUMED). When nothing is left, the invoice's customer postings are matched in a close group.
- Events: invoice.charged, voucher.create for every voucher, order.update for the closed order,
  closeGroup.create when an invoice is settled.
"""

import calendar
from datetime import timedelta
from decimal import Decimal

from sandbox.tripletex import errors, fields, store, webhooks

RECEIVABLES, VAT_PAYABLE, DEFAULT_INCOME = 1500, 2700, 3000


def kid_for(number):
    """MOD10 (Luhn) check digit after the invoice number, as Norwegian KIDs carry."""
    digits = str(number)
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


def account_ref(tenant, number):
    for record in store.records(tenant, "Account"):
        if record.data.get("number") == number:
            return store.ref(record)
    return None


def due_date(invoice_date, amount, unit):
    if unit == "MONTHS":
        month = invoice_date.month - 1 + int(amount)
        year, month = invoice_date.year + month // 12, month % 12 + 1
        day = min(invoice_date.day, calendar.monthrange(year, month)[1])
        return invoice_date.replace(year=year, month=month, day=day)
    return invoice_date + timedelta(days=int(amount or 0))


def options_from_query(request):
    """`sendToCustomer`, `sendType`, `paymentTypeId` + `paidAmount` of :invoice / POST /invoice."""
    params = request.GET
    send = fields.bool_param(request, "sendToCustomer")
    options = {"send_to_customer": True if send is None else send,
               "send_type": params.get("sendType") or None, "prepaid": None}
    if params.get("paymentTypeId") or params.get("paidAmount"):
        if not (params.get("paymentTypeId") and params.get("paidAmount")):
            errors.invalid(request, ("paidAmount", "paymentTypeId og paidAmount må sendes "
                                                   "sammen."))
        try:
            options["prepaid"] = (int(params["paymentTypeId"]), Decimal(params["paidAmount"]))
        except (ValueError, ArithmeticError):
            errors.fail(request, 422, errors.PARAM, "Ugyldig paymentTypeId eller paidAmount.")
    return options


def _posting(tenant, voucher_date, account_number, amount, **extra):
    account = account_ref(tenant, account_number)
    data = {"date": voucher_date.isoformat(), "account": account, "amount": store.money(amount),
            "amountCurrency": store.money(amount), "amountGross": store.money(amount),
            "amountGrossCurrency": store.money(amount), "currency": {"id": 1}, **extra}
    return store.create(tenant, "Posting", data)


def _voucher(tenant, voucher_date, description, postings):
    number = store.next_number(tenant, f"voucherNumber:{voucher_date.year}")
    voucher = store.create(tenant, "Voucher", {
        "date": voucher_date.isoformat(), "number": number, "year": voucher_date.year,
        "description": description, "postings": [],
        "numberAsString": f"{number}-{voucher_date.year}",
        "displayName": f"{number}-{voucher_date.year} {description}"})
    for row, posting in enumerate(postings, start=1):
        posting.data.update({"voucher": store.ref(voucher), "row": row})
        posting.save()
        voucher.data["postings"].append(store.ref(posting))
    voucher.save()
    return voucher


def invoice_order(request, order, invoice_date, *, send_to_customer=True, send_type=None,
                  prepaid=None, comment=None):
    """Invoice the locked `order` record; returns the invoice's record."""
    tenant, data = request.sandbox_tenant, order.data
    if data.get("isClosed"):
        errors.invalid(request, ("order.isClosed",
                                 "Ordren er lukket og kan ikke faktureres (allerede fakturert?)."))
    lines = [store.find(tenant, "OrderLine", ref["id"]) for ref in data.get("orderLines") or []]
    if not lines:
        errors.invalid(request, ("orderLines", "Ordren har ingen linjer å fakturere."))
    if send_type is not None and send_type not in ("EMAIL", "EHF", "AVTALEGIRO", "EFAKTURA",
                                                   "VIPPS", "PAPER", "MANUAL"):
        errors.invalid(request, ("sendType", f"Ugyldig sendType: {send_type}."))
    net = sum(store.dec(line.data["amountExcludingVatCurrency"]) for line in lines)
    gross = sum(store.dec(line.data["amountIncludingVatCurrency"]) for line in lines)
    number = store.next_number(tenant, "invoiceNumber")
    customer = data["customer"]
    customer_posting = _posting(tenant, invoice_date, RECEIVABLES, gross, customer=customer,
                                invoiceNumber=str(number), description=f"Faktura {number}",
                                type="OUTGOING_INVOICE_CUSTOMER_POSTING", matched=False)
    postings = [customer_posting]
    for line in lines:
        product = store.find(tenant, "Product", store.ref_id(line.data.get("product")))
        income = (product.data.get("account") if product else None) or account_ref(
            tenant, DEFAULT_INCOME)
        income_number = store.find(tenant, "Account", store.ref_id(income)).data["number"]
        postings.append(_posting(tenant, invoice_date, income_number,
                                 -store.dec(line.data["amountExcludingVatCurrency"]),
                                 amountGross=-line.data["amountIncludingVatCurrency"],
                                 amountGrossCurrency=-line.data["amountIncludingVatCurrency"],
                                 vatType=line.data.get("vatType"), customer=customer,
                                 product=line.data.get("product"),
                                 description=line.data.get("description") or ""))
    if gross - net:
        postings.append(_posting(tenant, invoice_date, VAT_PAYABLE, -(gross - net),
                                 description=f"Utgående mva faktura {number}"))
    voucher = _voucher(tenant, invoice_date, f"Faktura {number}", postings)
    invoice = store.create(tenant, "Invoice", {
        "invoiceNumber": number, "invoiceDate": invoice_date.isoformat(), "customer": customer,
        "invoiceDueDate": due_date(invoice_date, data.get("invoicesDueIn", 14),
                                   data.get("invoicesDueInType", "DAYS")).isoformat(),
        "kid": kid_for(number), "invoiceComment": data.get("invoiceComment") or "",
        "comment": comment or "", "orders": [store.ref(order)],
        "orderLines": [store.ref(line) for line in lines], "voucher": store.ref(voucher),
        "deliveryDate": data.get("deliveryDate"), "amount": float(gross),
        "amountCurrency": float(gross), "amountExcludingVat": float(net),
        "amountExcludingVatCurrency": float(net), "amountRoundoff": 0.0,
        "amountRoundoffCurrency": 0.0, "amountOutstanding": float(gross),
        "amountCurrencyOutstanding": float(gross), "amountOutstandingTotal": float(gross),
        "amountCurrencyOutstandingTotal": float(gross), "sumRemits": 0.0,
        "currency": data.get("currency") or {"id": 1}, "isCreditNote": False,
        "isCredited": False, "isCharged": True, "isApproved": True,
        "isPeriodizationPossible": False, "postings": [store.ref(customer_posting)],
        "reminders": [], "ehfSendStatus": "DO_NOT_SEND",
        "_sendToCustomer": send_to_customer, "_sendType": send_type})
    for line in lines:
        line.data["isCharged"] = True
        store.save(line)
    data.update({"isClosed": True, "status": "INVOICED"})
    store.save(order)
    renderer = fields.Renderer.for_request(request)
    webhooks.emit(renderer, "voucher.create", voucher.data)
    webhooks.emit(renderer, "order.update", order.data)
    webhooks.emit(renderer, "invoice.charged", invoice.data)
    if prepaid is not None:
        payment_type, amount = prepaid
        register_payment(request, invoice, invoice_date, payment_type, amount)
    return invoice


def register_payment(request, invoice, paid_on, payment_type_id, amount, *, renderer=None):
    """Book a payment of `amount` on the locked `invoice` record."""
    tenant, data = invoice.tenant, invoice.data
    payment_type = store.find(tenant, "PaymentType", payment_type_id)
    if payment_type is None:
        errors.invalid(request, ("paymentTypeId", "Betalingstypen finnes ikke."))
    amount = Decimal(str(amount))
    if not amount.is_finite() or abs(amount) >= fields.MAX_NUMBER:
        errors.invalid(request, ("paidAmount", "Ugyldig beløp."))
    amount = store.dec(amount)
    outstanding = store.dec(data["amountOutstanding"])
    if amount <= 0:
        errors.invalid(request, ("paidAmount", "Beløpet må være større enn null."))
    if amount > outstanding:
        errors.invalid(request, ("paidAmount", f"Beløpet er større enn utestående "
                                               f"({outstanding})."))
    bank = store.find(tenant, "Account", store.ref_id(payment_type.data["debitAccount"]))
    customer_posting = _posting(tenant, paid_on, RECEIVABLES, -amount,
                                customer=data["customer"],
                                invoiceNumber=str(data["invoiceNumber"]),
                                description=f"Innbetaling faktura {data['invoiceNumber']}",
                                type="INCOMING_PAYMENT", matched=False,
                                postingRuleId=payment_type.data["id"])
    bank_posting = _posting(tenant, paid_on, bank.data["number"], amount,
                            description=f"Innbetaling faktura {data['invoiceNumber']}",
                            type="INCOMING_PAYMENT_OPPOSITE")
    voucher = _voucher(tenant, paid_on, f"Innbetaling faktura {data['invoiceNumber']}",
                       [bank_posting, customer_posting])
    left = float(outstanding - amount)
    data.update({"amountOutstanding": left, "amountCurrencyOutstanding": left,
                 "amountOutstandingTotal": left, "amountCurrencyOutstandingTotal": left})
    data["postings"].append(store.ref(customer_posting))
    store.save(invoice)
    renderer = renderer or fields.Renderer.for_request(request)
    webhooks.emit(renderer, "voucher.create", voucher.data)
    if left == 0:
        group = store.create(tenant, "CloseGroup", {"date": paid_on.isoformat(),
                                                    "postings": list(data["postings"])})
        for ref in data["postings"]:
            posting = store.find(tenant, "Posting", ref["id"])
            posting.data.update({"closeGroup": store.ref(group), "matched": True})
            store.save(posting)
        webhooks.emit(renderer, "closeGroup.create", group.data)
    return invoice
