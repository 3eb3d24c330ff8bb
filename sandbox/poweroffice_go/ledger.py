"""Posting: what happens in Go's books when a sales order is sent, when the delivery of the
invoice finishes, and when the customer pays. No HTTP here; the API views and the accountant
page both call it.

Sending posts an outgoing invoice that keeps the sales order's GUID, with the next invoice and
voucher numbers, a KID (Cid, MOD10 over customer and invoice number) and one customer-ledger
entry for the full amount. Its Balance is what is left to pay (0 = paid).

Delivery is asynchronous, as in Go: the first `sentState` read after the send sees the invoice
in transit (IsInvoiceBeingProcessed), the next one (or any read `PROCESSING_SECONDS` later) the
outcome: SentDateTimeOffset, or LastErrorMessage when e-mail delivery has no address.

A payment is posted as an IncomingPayments entry for minus the amount. It is matched to the
invoice at once: both entries get the invoice's MatchId (assigned by the first payment, as Go
only gives a MatchId to entries that are matched), and Balance, BalanceLastChangedDateTimeOffset
and LastChangedDateTimeOffset of the invoice move, which is what the changed-since feed of
GET /OutgoingInvoices reports.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sandbox.poweroffice_go import store
from sandbox.poweroffice_go.store import CUSTOMER, INVOICE, LEDGER_ENTRY, PAYMENT_TERM

PROCESSING_SECONDS = 3
INVOICE_NUMBERS, VOUCHER_NUMBERS, MATCH_IDS = (10001, 1, 2_000_001)
DEFAULT_CREDIT_DAYS = 14


class PostingError(Exception):
    """Go refuses the posting; the message is for people."""


def kid(customer_no, invoice_no):
    """A Norwegian KID: customer and invoice number with a MOD10 (Luhn) check digit."""
    base = f"{customer_no:05d}{invoice_no:07d}"
    total = 0
    for position, char in enumerate(reversed(base)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return base + str((10 - total % 10) % 10)


def credit_days(tenant, order, customer):
    """Days to the due date: the order's term, else the customer's, else the client default."""
    for term_id, days in ((order.get("PaymentTermId"), order.get("PaymentTerm")),
                          (customer.get("PaymentTermId"), customer.get("PaymentTerm"))):
        if term_id is not None:
            record = store.find(tenant, PAYMENT_TERM, term_id)
            if record is not None:
                return record.data["CreditDays"]
        if days is not None:
            return days
    default = store.find_by(tenant, PAYMENT_TERM, IsDefault=True)
    return default.data["CreditDays"] if default else DEFAULT_CREDIT_DAYS


def _delivery(customer, requested, email):
    """(InvoiceDeliveryType, error message or None) for a send request."""
    if requested == "PdfPrintForDownload":
        return "Print", None
    if (requested == "Auto" and customer.get("InvoiceDeliveryType") == "EHF"
            and customer.get("OrganizationNumber")):
        return "EHF", None
    if email:
        return "PdfByEmail", None
    if requested == "PdfByEmail":
        return "PdfByEmail", ("The invoice could not be sent by e-mail: no e-mail address was "
                              "given in the send request and the customer has no invoice "
                              "e-mail address.")
    return "PdfByEmail", ("The invoice could not be delivered: the customer cannot receive "
                          "electronic invoices and has no e-mail address, and none was given "
                          "in the send request.")


def post_invoice(tenant, order, *, requested, email, voucher_date, override_due_date,
                 created_by):
    """Post the outgoing invoice for `order` (a sales order DTO). Returns its DTO."""
    customer = store.find(tenant, CUSTOMER, order["CustomerId"]).data
    email = email or customer.get("InvoiceEmailAddress") or customer.get("EmailAddress")
    delivery_type, error = _delivery(customer, requested, email)
    due = override_due_date or voucher_date + timedelta(days=credit_days(tenant, order,
                                                                           customer))
    invoice_no = store.next_number(tenant, "invoice_no", INVOICE_NUMBERS)
    voucher_no = store.next_number(tenant, "voucher_no", VOUCHER_NUMBERS)
    rate = Decimal(str(order.get("CurrencyExchangeRate") or 1))
    total, net = store.money(order["TotalAmount"]), store.money(order["NetAmount"])
    posted_total, posted_net = store.money(total * rate), store.money(net * rate)
    now = store.stamp()
    invoice = {
        "Id": order["Id"], "InvoiceNo": invoice_no, "VoucherNo": voucher_no,
        "VoucherDate": voucher_date.isoformat(), "DueDate": due.isoformat(),
        "VoucherType": "OutgoingCreditNote" if total < 0 else "OutgoingInvoice",
        "OrderNo": order["SalesOrderNo"], "OrderDate": order.get("SalesOrderDate")
        or voucher_date.isoformat(),
        "Cid": kid(customer["Number"], invoice_no),
        "CustomerId": customer["Id"], "CustomerNo": customer["Number"],
        "CurrencyCode": order.get("CurrencyCode") or "NOK",
        "CurrencyExchangeRate": float(rate),
        "NetAmount": float(net), "TotalAmount": float(total),
        "NetPostedAmount": float(posted_net), "TotalPostedAmount": float(posted_total),
        "Balance": float(posted_total), "BalanceLastChangedDateTimeOffset": now,
        "MatchId": None, "IsReversed": False,
        "InvoiceDeliveryType": delivery_type, "SentDateTimeOffset": None,
        "PaymentTerm": (due - voucher_date).days, "PaymentTermId": order.get("PaymentTermId"),
        "CreatedDateTimeOffset": now, "LastChangedDateTimeOffset": now,
        "DeliveryAddress1": None, "DeliveryAddress2": None, "DeliveryAddressCity": None,
        "DeliveryAddressCountryCode": None, "DeliveryAddressZipCode": None,
        "SellersReferenceEmployeeId": None, "SellersReferenceEmployeeNo": None,
        "_CreatedBy": created_by,
        "_Send": {"RequestedAt": now, "DeliveryType": requested, "EmailAddress": email,
                  "ReportedInTransit": False, "Error": error, "SettledAt": None},
        "_Lines": [_invoice_line(tenant, line, rate)
                   for line in order.get("SalesOrderLines") or []],
    }
    for name in ("BrandingThemeCode", "BrandingThemeId", "ContractNo", "CustomMatchingReference",
                 "CustomerReference", "CustomerReferenceContactPersonId", "DeliveryDate",
                 "DeliveryTerm", "DeliveryTermId", "DepartmentCode", "DepartmentId", "Dim1Code",
                 "Dim1Id", "Dim2Code", "Dim2Id", "Dim3Code", "Dim3Id", "ExternalImportReference",
                 "ImportedOrderNo", "LocationCode", "LocationId", "ProjectCode", "ProjectId",
                 "PurchaseOrderReference", "RelatedInvoiceNo"):
        invoice[name] = order.get(name)
    store.create(tenant, INVOICE, invoice["Id"], invoice)
    _ledger_entry(tenant, invoice, customer, amount=posted_total, voucher_type=invoice[
        "VoucherType"], voucher_no=voucher_no, voucher_date=voucher_date, created_by=created_by)
    return invoice


def _invoice_line(tenant, line, rate):
    account = store.find_by(tenant, store.ACCOUNT, AccountNo=line.get("_AccountNo"))
    shown = {key: line.get(key) for key in (
        "LineType", "ProductId", "ProductCode", "Description", "Quantity", "ProductUnitPrice",
        "ProductUnitCost", "Allowance", "NetAmount", "VatAmount", "TotalAmount", "VatCode",
        "VatId", "VatRate", "UnitOfMeasureCode", "VatReturnSpecification", "SortOrder",
        "ProjectId", "ProjectCode", "DepartmentId", "DepartmentCode", "LocationId",
        "LocationCode", "Dim1Id", "Dim1Code", "Dim2Id", "Dim2Code", "Dim3Id", "Dim3Code",
        "SellersReferenceEmployeeId", "SellersReferenceEmployeeNo", "ExternalImportReference")}
    shown.update({
        "Id": store.next_id(tenant, store.INVOICE_LINE),
        "AccountId": account.data["Id"] if account else None,
        "AccountNo": line.get("_AccountNo"), "AgricultureDepartment": "None",
        "IsAccrued": bool(line.get("Accrual")),
        "NetPostedAmount": float(store.money(Decimal(str(line.get("NetAmount") or 0)) * rate)),
        "TotalPostedAmount": float(store.money(Decimal(str(line.get("TotalAmount") or 0))
                                               * rate)),
    })
    return shown


def _ledger_entry(tenant, invoice, customer, *, amount, voucher_type, voucher_no, voucher_date,
                  created_by, balance=None, match_id=None):
    entry_id = store.next_id(tenant, LEDGER_ENTRY)
    now = store.stamp()
    is_invoice = voucher_type in ("OutgoingInvoice", "OutgoingCreditNote")
    entry = {
        "Id": entry_id, "Amount": float(amount),
        "Balance": float(amount if balance is None else balance),
        "CurrencyAmount": float(amount), "CurrencyCode": "NOK",
        "Cid": invoice["Cid"], "DueDate": invoice["DueDate"] if is_invoice else None,
        "InvoiceNo": str(invoice["InvoiceNo"]), "MatchId": match_id,
        "CustomMatchingReference": invoice.get("CustomMatchingReference"),
        "ExternalImportReference": invoice.get("ExternalImportReference") if is_invoice
        else None,
        "CustomerId": customer["Id"], "CustomerAccountNo": customer["Number"],
        "CustomerExternalNo": customer.get("ExternalNumber"),
        "CustomerName": customer.get("Name"),
        "DepartmentId": invoice.get("DepartmentId"),
        "DepartmentCode": invoice.get("DepartmentCode"),
        "ProjectId": invoice.get("ProjectId"), "ProjectCode": invoice.get("ProjectCode"),
        "LocationId": None, "LocationCode": None, "Dim1Id": None, "Dim1Code": None,
        "Dim2Id": None, "Dim2Code": None, "Dim3Id": None, "Dim3Code": None,
        "IsWriteOff": False, "PaidFromBankAccount": None,
        "VoucherType": voucher_type, "VoucherNo": voucher_no,
        "VoucherDate": voucher_date.isoformat(), "PostingDate": voucher_date.isoformat(),
        "VoucherId": invoice["Id"] if is_invoice else store.new_guid(),
        "CreatedFromImportJournalId": None,
        "CreatedDateTimeOffset": now, "LastChangedDateTimeOffset": now,
        "_CreatedBy": created_by, "_InvoiceId": invoice["Id"],
    }
    store.create(tenant, LEDGER_ENTRY, entry_id, entry)
    return entry


def settle_delivery(record, *, reading_state=False):
    """Move an invoice's delivery on: in transit until `sentState` has been read once (or
    PROCESSING_SECONDS have passed), then delivered or failed. Saves when it changed. Returns
    True while the invoice is in transit."""
    send = record.data.get("_Send")
    if send is None or send["SettledAt"]:
        return False
    elapsed = timezone.now() - store.parse_stamp(send["RequestedAt"])
    if not send["ReportedInTransit"] and elapsed < timedelta(seconds=PROCESSING_SECONDS):
        if reading_state:
            send["ReportedInTransit"] = True
            record.save()
        return True
    now = store.stamp()
    send["SettledAt"] = now
    if send["Error"] is None:
        record.data["SentDateTimeOffset"] = now
        record.data["LastChangedDateTimeOffset"] = now
    record.save()
    return False


def sent_state(record, *, reading_state=True):
    """The InvoiceSentStateDto of a sent invoice record."""
    in_transit = settle_delivery(record, reading_state=reading_state)
    invoice = record.data
    if in_transit:
        return {"Id": invoice["Id"], "IsInvoiceBeingProcessed": True, "SentDateTimeOffset": None,
                "InvoiceNo": None, "DueDate": None, "InvoiceDeliveryType": None,
                "LastErrorMessage": None}
    return {"Id": invoice["Id"], "IsInvoiceBeingProcessed": False,
            "SentDateTimeOffset": invoice["SentDateTimeOffset"], "InvoiceNo": invoice["InvoiceNo"],
            "DueDate": invoice["DueDate"], "InvoiceDeliveryType": invoice["InvoiceDeliveryType"],
            "LastErrorMessage": invoice["_Send"]["Error"]}


def invoice_entry(tenant, invoice_id):
    for record in store.records(tenant, LEDGER_ENTRY):
        if (record.data.get("VoucherId") == invoice_id
                and record.data["VoucherType"] in ("OutgoingInvoice", "OutgoingCreditNote")):
            return record
    return None


def register_payment(tenant, invoice_id, amount, paid_on):
    """Post an incoming payment of `amount` (Decimal > 0) against an invoice and match it."""
    with transaction.atomic():
        store.lock_company(tenant)
        record = store.find(tenant, INVOICE, invoice_id)
        if record is None:
            raise PostingError(f"There is no outgoing invoice {invoice_id}.")
        invoice = record.data
        balance = store.money(invoice["Balance"])
        if balance <= 0:
            raise PostingError(f"Invoice {invoice['InvoiceNo']} has nothing left to pay.")
        if amount > balance:
            raise PostingError(f"The payment ({amount}) is more than what is left to pay on "
                               f"invoice {invoice['InvoiceNo']} ({balance}).")
        customer = store.find(tenant, CUSTOMER, invoice["CustomerId"]).data
        match_id = invoice["MatchId"] or store.next_number(tenant, "match_id", MATCH_IDS)
        remaining = balance - amount
        now = store.stamp()
        _ledger_entry(tenant, invoice, customer, amount=-amount, voucher_type="IncomingPayments",
                      voucher_no=store.next_number(tenant, "voucher_no", VOUCHER_NUMBERS),
                      voucher_date=paid_on, created_by=None, balance=Decimal("0"),
                      match_id=match_id)
        entry = invoice_entry(tenant, invoice["Id"])
        if entry is not None:
            entry.data.update({"Balance": float(remaining), "MatchId": match_id,
                               "LastChangedDateTimeOffset": now})
            entry.save()
        invoice.update({"Balance": float(remaining), "MatchId": match_id,
                        "BalanceLastChangedDateTimeOffset": now,
                        "LastChangedDateTimeOffset": now})
        record.save()
        return invoice
