"""Pure functions between our records and Visma eAccounting's JSON: payloads out, comparable
values in, payment status.

Conventions from Visma's spec (visma-eaccounting-v2-swagger-2023-07-03.json): PascalCase names,
ids are GUIDs, money as JSON numbers with two decimals, discounts as a fraction 0-1 with four
decimals, dates as `YYYY-MM-DD`. Read-only fields (totals, `PaymentStatus`, `ChangedUtc` ...)
are never sent. PUT replaces the whole object (PATCH is not available), so an update sends every
field we own.

Invoice rows take no VAT code or account: Visma derives both from the row's article and that
article's sales category (`CodingId`, /articleaccountcodings). So each of our line categories
becomes one article, `HUB-<CATEGORY>`, whose coding is the one with the mapped sales account
and VAT rate (exports.py).
"""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from integrations.importing.values import decimal, parse_date

CUSTOMER_NUMBER_PREFIX = "H"
ARTICLE_PREFIX = "HUB-"
LIMITS = {"name": 50, "city": 50, "postal_code": 10, "address": 50, "org_number": 20,
          "email": 255, "phone": 50, "reference": 100, "row_text": 2000, "article_name": 50}
CENT = Decimal("0.01")


# -- small conversions ------------------------------------------------------------------------
def money(value):
    return float(decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def text_number(value, places="0.01"):
    number = decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return format(number.normalize(), "f") if number else "0"


def iso(value):
    return value.isoformat() if value else ""


def day(value):
    """A date as the spec's `date-time` (RFC 3339): midnight UTC, the same day in every
    company's time zone (Visma's countries are all east of Greenwich)."""
    return f"{value.isoformat()}T00:00:00Z" if value else None


def parse_utc(value):
    """Visma's `...Utc` stamps ("2026-12-01T10:00:00.123Z" or without a zone) as aware UTC."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def odata_time(moment):
    """A `$filter` DateTime literal as the docs show it: 2016-12-31T23:59:59.00Z (unquoted)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z"


def query_time(moment):
    """`modifiedSinceUtc` as ISO 8601 UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def odata_string(value):
    return "'" + str(value).replace("'", "''") + "'"


def cut(text, length):
    return (text or "")[:length]


def rate_percent(value):
    """A VAT rate as a percentage, whether Visma wrote 25, 0.25 or "25%"."""
    number = decimal(str(value or "0").rstrip("%"))
    return (number * 100 if 0 < number < 1 else number).quantize(CENT)


# -- customers --------------------------------------------------------------------------------
def customer_number(customer):
    return f"{CUSTOMER_NUMBER_PREFIX}{customer.pk}"


def customer_payload(customer, *, number, terms_of_payment_id, current=None):
    """A whole customer (PUT replaces): `current`, Visma's own copy, keeps the fields we do not
    own (labels, delivery address, price lists ...)."""
    body = {k: v for k, v in (current or {}).items() if k in CUSTOMER_WRITABLE}
    body.update({
        "CustomerNumber": number,
        "Name": cut(customer.name, LIMITS["name"]),
        "IsPrivatePerson": customer.kind != "company",
        "IsActive": True,
        "InvoiceAddress1": cut(customer.street, LIMITS["address"]),
        "InvoicePostalCode": cut(customer.postal_code, LIMITS["postal_code"]),
        "InvoiceCity": cut(customer.city, LIMITS["city"]),
        "InvoiceCountryCode": (customer.country or "SE").upper()[:2],
        "CorporateIdentityNumber": cut(customer.org_number, LIMITS["org_number"]),
        "EmailAddress": cut(customer.email, LIMITS["email"]),
        "Telephone": cut(customer.phone, LIMITS["phone"]),
    })
    body["TermsOfPaymentId"] = body.get("TermsOfPaymentId") or terms_of_payment_id
    return {k: v for k, v in body.items() if v is not None}


# CustomerApi's writable properties (the spec's, less the read-only ones).
CUSTOMER_WRITABLE = frozenset({
    "ContactPersonEmail", "ContactPersonMobile", "ContactPersonName", "ContactPersonPhone",
    "CorporateIdentityNumber", "CurrencyCode", "CustomerNumber", "DeliveryAddress1",
    "DeliveryAddress2", "DeliveryBasedVat", "DeliveryCity", "DeliveryCountryCode",
    "DeliveryCustomerName", "DeliveryMethodId", "DeliveryPostalCode", "DeliveryTermId",
    "DiscountAgreementId", "DiscountPercentage", "EdiGlnNumber", "EdiServiceDelivererId",
    "ElectronicAddress", "ElectronicReference", "EmailAddress", "EmailAddressOrder",
    "EmailAddressQuote", "ForceBookkeepVat", "GLN", "Iban", "InvoiceAddress1", "InvoiceAddress2",
    "InvoiceCity", "InvoiceCountryCode", "InvoicePostalCode", "IsActive", "IsNorthernIreland",
    "IsPrivatePerson", "MobilePhone", "Name", "Note", "ReverseChargeOnConstructionServices",
    "SalesDocumentLanguage", "SalesPriceListId", "Telephone", "TermsOfPaymentId", "VatNumber",
    "WwwAddress"})

CUSTOMER_FIELDS = ("name", "kind", "org_number", "email", "phone", "street", "postal_code",
                   "city", "country")


def customer_values(customer):
    return {"name": cut(customer.name, LIMITS["name"]), "kind": customer.kind,
            "org_number": customer.org_number or "", "email": customer.email or "",
            "phone": customer.phone or "", "street": customer.street or "",
            "postal_code": customer.postal_code or "", "city": customer.city or "",
            "country": (customer.country or "").upper()}


def customer_values_from_remote(remote):
    return {"name": remote.get("Name") or "",
            "kind": "person" if remote.get("IsPrivatePerson") else "company",
            "org_number": remote.get("CorporateIdentityNumber") or "",
            "email": remote.get("EmailAddress") or "",
            "phone": remote.get("Telephone") or remote.get("MobilePhone") or "",
            "street": remote.get("InvoiceAddress1") or "",
            "postal_code": remote.get("InvoicePostalCode") or "",
            "city": remote.get("InvoiceCity") or "",
            "country": (remote.get("InvoiceCountryCode") or "SE").upper()}


def digits(value):
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def same_customer(customer, remote):
    """Whether a Visma customer is this customer, by organization number, e-mail or phone
    (compared normalized: Visma keeps what people typed)."""
    org = digits(customer.org_number)
    if org and digits(remote.get("CorporateIdentityNumber")) == org:
        return True
    email = (customer.email or "").strip().lower()
    if email and (remote.get("EmailAddress") or "").strip().lower() == email:
        return True
    phone = digits(customer.phone)
    return bool(phone) and phone in (digits(remote.get("Telephone")),
                                     digits(remote.get("MobilePhone")))


# -- articles ---------------------------------------------------------------------------------
def article_number(category):
    return cut(f"{ARTICLE_PREFIX}{category.upper()}", 40)


def article_payload(category, *, label, coding_id, unit_id):
    return {"Number": article_number(category), "Name": cut(label, LIMITS["article_name"]),
            "CodingId": coding_id, "UnitId": unit_id, "IsActive": True}


def category_of_article(number, default="service"):
    number = str(number or "")
    if number.startswith(ARTICLE_PREFIX):
        return number[len(ARTICLE_PREFIX):].lower() or default
    return default


def coding_matches(coding, *, account, rate):
    """Whether an article coding books domestic sales on `account` at VAT `rate` (percent)."""
    booked = str(coding.get("DomesticSalesSubjectToVatAccountNumber") or "")
    if rate == 0:
        booked = str(coding.get("DomesticSalesVatExemptAccountNumber") or booked)
    coded_rate = coding.get("VatRatePercent")
    if coded_rate in (None, ""):
        coded_rate = coding.get("VatRate")
    return booked == str(account) and rate_percent(coded_rate) == rate_percent(rate)


# -- invoices ---------------------------------------------------------------------------------
def draft_row(line, *, number, article_id):
    row = {"LineNumber": number, "ArticleId": article_id,
           "Text": cut(line.description, LIMITS["row_text"]),
           "Quantity": float(decimal(line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)),
           "UnitPrice": money(line.unit_price), "IsTextRow": False,
           "ReversedConstructionServicesVatFree": False}
    discount = decimal(line.discount_percent)
    if discount:
        row["DiscountPercentage"] = float((discount / 100).quantize(Decimal("0.0001")))
    return row


def draft_payload(invoice, *, customer_id, reference, rows):
    body = {"CustomerId": customer_id, "EuThirdParty": False, "RotReducedInvoicingType": 0,
            "InvoiceDate": day(invoice.issue_date),
            # Our reference, found again after a lost answer (compared exactly).
            "OurReference": cut(reference, LIMITS["reference"]),
            "Rows": rows}
    if invoice.due_date:
        body["DueDate"] = day(invoice.due_date)
    if invoice.your_reference:
        body["YourReference"] = cut(invoice.your_reference, LIMITS["reference"])
    return body


def expected_totals(lines, rates):
    """The convert guard (`CustomerInvoiceDraftValidationApi`): each row's amount without VAT
    and the invoice's VAT, as we computed them; Visma refuses the conversion when its own
    computation (the articles' VAT, its rounding) differs. `rates` {category: percent}."""
    rows, vat = [], Decimal("0")
    for number, line in enumerate(lines, start=1):
        net = line.amount
        rows.append({"LineNumber": number, "TotalAmountNoVatInvoiceCurrency": money(net)})
        vat += net * rates[line.category] / 100
    return {"TotalVatAmountInvoiceCurrency": money(vat), "Rows": rows}


INVOICE_FIELDS = ("issue_date", "your_reference", "lines")


def line_values(line):
    return [line.description, text_number(line.quantity), text_number(line.unit_price),
            text_number(line.discount_percent), line.category]


def invoice_values(invoice, lines=None):
    lines = list(invoice.lines.all()) if lines is None else lines
    return {"issue_date": iso(invoice.issue_date),
            "your_reference": cut(invoice.your_reference, LIMITS["reference"]),
            "lines": [line_values(line) for line in lines]}


def line_values_from_row(row, *, vat_included=False):
    price = decimal(row.get("UnitPrice"))
    vat = decimal(row.get("VatRate") if row.get("VatRate") is not None else row.get("PercentVat"))
    if vat_included and vat:
        price = price / (1 + rate_percent(vat) / 100)
    return [row.get("Text") or "", text_number(row.get("Quantity")), text_number(price),
            text_number(decimal(row.get("DiscountPercentage")) * 100),
            category_of_article(row.get("ArticleNumber"))]


def invoice_values_from_remote(remote):
    rows = [r for r in remote.get("Rows") or [] if not r.get("IsTextRow")]
    return {"issue_date": iso(parse_date(remote.get("InvoiceDate"))),
            "your_reference": remote.get("YourReference") or "",
            "lines": [line_values_from_row(r, vat_included=bool(remote.get("IncludesVat")))
                      for r in rows]}


PAID, UNPAID, OVERDUE = 0, 1, 2  # PaymentStatus


def invoice_status(remote, *, today):
    """Our invoice's payment fields from a Visma invoice: paid (nothing left), partly paid,
    overdue (Visma's `PaymentStatus` 2, or a balance after the due date: Visma's status may
    lag a day)."""
    total = decimal(remote.get("TotalAmountInvoiceCurrency")
                    if remote.get("TotalAmountInvoiceCurrency") not in (None, "")
                    else remote.get("TotalAmount"))
    remaining = decimal(remote.get("RemainingAmountInvoiceCurrency")
                        if remote.get("RemainingAmountInvoiceCurrency") not in (None, "")
                        else remote.get("RemainingAmount"))
    due = parse_date(remote.get("DueDate"))
    paid_on = parse_date(remote.get("PaymentDate"))
    state = remote.get("PaymentStatus")
    if state == PAID or (total and not remaining):
        status = "paid"
    elif state == OVERDUE or (due and due < today and remaining > 0):
        status = "overdue"
    elif remaining and abs(remaining) < abs(total):
        status = "partly_paid"
    else:
        status = "invoiced"
    paid = total - remaining if abs(remaining) <= abs(total) else Decimal("0")
    values = {"remaining_amount": remaining.quantize(CENT), "paid_amount": paid.quantize(CENT),
              "final_pay_date": paid_on if status == "paid" else None, "booked": True,
              "status": status}
    if due:
        values["due_date"] = due
    return values
