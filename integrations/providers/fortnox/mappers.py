"""Pure functions between our records and Fortnox's JSON: payloads out, comparable values in.

Conventions from Fortnox's spec and behaviour: money goes as JSON numbers with two decimals,
quantities and salary amounts as strings (the spec types them so), dates as YYYY-MM-DD. Computed
fields (Balance, Total, Booked, @url ...) are never sent. On a PUT an empty value means
"unchanged", so clearing a field sends "API_BLANK".

`*_values` functions give a record's syncable fields as plain strings, from either side, so the
importer can tell what changed where (see sync.py).
"""

from decimal import ROUND_HALF_UP, Decimal

from integrations.importing.values import decimal, parse_date

BLANK = "API_BLANK"
CUSTOMER_NUMBER_PREFIX = "H"
LIMITS = {"reference": 50, "row_description": 255, "text_row": 40, "project_description": 50}


# -- small conversions ------------------------------------------------------------------------
def money(value):
    """A JSON number with two decimals."""
    return float(decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def money_text(value):
    return str(decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def quantity_text(value):
    """A quantity as Fortnox's string fields want it: "2", "1.5"."""
    number = decimal(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def iso(value):
    return value.isoformat() if value else ""


def cut(text, length):
    return (text or "")[:length]


def _set(body, key, value, *, update):
    """Put a text field into a payload: omitted when empty on create, cleared on update."""
    if value:
        body[key] = value
    elif update:
        body[key] = BLANK


# -- customers --------------------------------------------------------------------------------
def customer_number(customer):
    """The customer number we choose, so a retried create hits "number in use" (2000637)
    instead of making a twin."""
    return f"{CUSTOMER_NUMBER_PREFIX}{customer.pk}"


def customer_payload(customer, *, number, reference, update=False):
    body = {"CustomerNumber": number, "Name": customer.name,
            "Type": "COMPANY" if customer.kind == "company" else "PRIVATE",
            "ExternalReference": reference}
    _set(body, "OrganisationNumber", customer.org_number, update=update)
    _set(body, "Email", customer.email, update=update)
    _set(body, "Phone1", customer.phone, update=update)
    _set(body, "Address1", customer.street, update=update)
    _set(body, "ZipCode", cut(customer.postal_code, 10), update=update)
    _set(body, "City", customer.city, update=update)
    if len(customer.country or "") == 2:
        body["CountryCode"] = customer.country.upper()
    return {"Customer": body}


CUSTOMER_FIELDS = ("name", "kind", "org_number", "email", "phone", "street", "postal_code",
                   "city", "country")


def customer_values(customer):
    return {"name": customer.name, "kind": customer.kind, "org_number": customer.org_number,
            "email": customer.email, "phone": customer.phone, "street": customer.street,
            "postal_code": customer.postal_code, "city": customer.city,
            "country": (customer.country or "").upper()}


def customer_values_from_remote(remote):
    kind = "company" if (remote.get("Type") == "COMPANY") else "person"
    return {"name": remote.get("Name") or "", "kind": kind,
            "org_number": remote.get("OrganisationNumber") or "",
            "email": remote.get("Email") or "",
            "phone": remote.get("Phone1") or remote.get("Phone") or remote.get("Phone2") or "",
            "street": remote.get("Address1") or "", "postal_code": remote.get("ZipCode") or "",
            "city": remote.get("City") or "",
            "country": (remote.get("CountryCode") or "SE").upper()}


# -- document rows ----------------------------------------------------------------------------
def document_row(line, *, vat_code, account, quantity_field):
    row = {"Description": cut(line.description, LIMITS["row_description"]),
           quantity_field: quantity_text(line.quantity),
           "Price": money(line.unit_price),
           "VATCode": vat_code,
           "AccountNumber": int(account)}
    if decimal(line.discount_percent):
        row["Discount"] = float(decimal(line.discount_percent))
        row["DiscountType"] = "PERCENT"
    return row


def line_values(line):
    return [line.description, quantity_text(line.quantity), money_text(line.unit_price),
            quantity_text(line.discount_percent), line.category]


def line_values_from_row(row, *, quantity_field, vat_included=False, category_for_account=None):
    """A Fortnox document row as our line's values; net price even when the document carries
    prices including VAT (mapping those as net would count the VAT twice)."""
    quantity = decimal(row.get(quantity_field))
    price = decimal(row.get("Price"))
    if vat_included and decimal(row.get("VAT")):
        price = price / (1 + decimal(row.get("VAT")) / 100)
    discount = decimal(row.get("Discount"))
    if discount and row.get("DiscountType") == "AMOUNT":
        gross = quantity * price
        discount = (discount / gross * 100) if gross else Decimal("0")
    account = str(row.get("AccountNumber") or "")
    category = (category_for_account or {}).get(account) or "service"
    return [row.get("Description") or "", quantity_text(quantity), money_text(price),
            quantity_text(discount.quantize(Decimal("0.01"))), category]


# -- invoices ---------------------------------------------------------------------------------
def invoice_payload(invoice, *, customer_number, reference, rows, project_number="",
                    due_date=None):
    body = {"CustomerNumber": customer_number,
            "InvoiceDate": iso(invoice.issue_date),
            "Currency": invoice.currency,
            "ExternalInvoiceReference1": reference,
            "VATIncluded": False,
            "InvoiceRows": rows}
    if due_date:
        body["DueDate"] = iso(due_date)
    if invoice.your_reference:
        body["YourReference"] = cut(invoice.your_reference, LIMITS["reference"])
    if invoice.our_reference:
        body["OurReference"] = cut(invoice.our_reference, LIMITS["reference"])
    if project_number:
        body["Project"] = project_number
    return {"Invoice": body}


INVOICE_FIELDS = ("issue_date", "our_reference", "your_reference", "lines")


def invoice_values(invoice, lines=None):
    lines = list(invoice.lines.all()) if lines is None else lines
    return {"issue_date": iso(invoice.issue_date),
            "our_reference": cut(invoice.our_reference, LIMITS["reference"]),
            "your_reference": cut(invoice.your_reference, LIMITS["reference"]),
            "lines": [line_values(line) for line in lines]}


def invoice_values_from_remote(remote, *, category_for_account=None):
    vat_included = bool(remote.get("VATIncluded"))
    rows = [line_values_from_row(row, quantity_field="DeliveredQuantity",
                                 vat_included=vat_included,
                                 category_for_account=category_for_account)
            for row in remote.get("InvoiceRows") or []]
    return {"issue_date": iso(parse_date(remote.get("InvoiceDate"))),
            "our_reference": remote.get("OurReference") or "",
            "your_reference": remote.get("YourReference") or "",
            "lines": rows}


def invoice_status(remote, *, today):
    """Payment status fields of our invoice from a Fortnox invoice (full or list row).

    Paid: nothing left to pay and a final pay date. Overdue (past the due date with something
    left) wins over partly paid, since it is the one that asks for action; `paid_amount` still
    shows the part payment."""
    total = decimal(remote.get("TotalToPay") if remote.get("TotalToPay") not in (None, "")
                    else remote.get("Total"))
    balance = decimal(remote.get("Balance"))
    due = parse_date(remote.get("DueDate"))
    final_pay = parse_date(remote.get("FinalPayDate"))
    booked = bool(remote.get("Booked"))
    paid = total - balance if abs(balance) <= abs(total) else Decimal("0")
    if remote.get("Cancelled"):
        status = "cancelled"
    elif total and not balance:
        status = "paid"
    elif due and due < today and balance > 0:
        status = "overdue"
    elif balance and abs(balance) < abs(total):
        status = "partly_paid"
    elif remote.get("Sent"):
        status = "sent"
    else:
        status = "invoiced"
    values = {"remaining_amount": balance.quantize(Decimal("0.01")),
              "paid_amount": paid.quantize(Decimal("0.01")),
              "final_pay_date": final_pay, "booked": booked, "status": status}
    if due:
        values["due_date"] = due
    return values


# -- quotes (Fortnox offers) ------------------------------------------------------------------
def offer_payload(quote, *, customer_number, reference, rows, project_number=""):
    body = {"CustomerNumber": customer_number,
            "OfferDate": iso(quote.issue_date),
            "Currency": quote.currency,
            "YourReferenceNumber": reference,
            "VATIncluded": False,
            "OfferRows": rows}
    if quote.valid_until:
        body["ExpireDate"] = iso(quote.valid_until)
    if quote.your_reference:
        body["YourReference"] = cut(quote.your_reference, LIMITS["reference"])
    if quote.our_reference:
        body["OurReference"] = cut(quote.our_reference, LIMITS["reference"])
    if project_number:
        body["Project"] = project_number
    return {"Offer": body}


# -- projects, employees, time, salary --------------------------------------------------------
def project_payload(project, *, today=None):
    if not project.is_active or (project.end_date and today and project.end_date < today):
        status = "COMPLETED"
    elif project.start_date and today and project.start_date > today:
        status = "NOTSTARTED"
    else:
        status = "ONGOING"
    body = {"ProjectNumber": project.number,
            "Description": cut(project.name, LIMITS["project_description"]),
            "Status": status}
    if project.start_date:
        body["StartDate"] = iso(project.start_date)
    if project.end_date:
        body["EndDate"] = iso(project.end_date)
    return {"Project": body}


def employee_payload(employee):
    body = {"EmployeeId": employee.employee_number, "FirstName": employee.first_name,
            "LastName": employee.last_name, "Email": employee.email}
    if employee.personal_identity_number:
        body["PersonalIdentityNumber"] = employee.personal_identity_number
    if employee.employed_from:
        body["EmploymentDate"] = iso(employee.employed_from)
    if decimal(employee.monthly_salary):
        body["SalaryForm"] = "MAN"
        body["MonthlySalary"] = money_text(employee.monthly_salary)
    return {"Employee": body}


def _cause_transaction(wrapper, entry, hours, *, employee_id, cause_code, project_number):
    """An attendance or absence transaction: the two have one shape but for `Hours`."""
    body = {"EmployeeId": employee_id, "CauseCode": cause_code, "Date": iso(entry.date),
            "Hours": hours}
    if project_number:
        body["Project"] = project_number
    return {wrapper: body}


def _same_cause_transaction(remote, mine):
    """Compared exactly (hours as numbers), since Fortnox's list filters are not a promise of
    equality."""
    return (str(remote.get("EmployeeId")) == mine["EmployeeId"]
            and str(remote.get("Date"))[:10] == mine["Date"]
            and remote.get("CauseCode") == mine["CauseCode"]
            and decimal(remote.get("Hours")) == decimal(mine["Hours"])
            and (remote.get("Project") or "") == mine.get("Project", ""))


def attendance_payload(entry, *, employee_id, cause_code, project_number=""):
    return _cause_transaction("AttendanceTransaction", entry, quantity_text(entry.hours),
                              employee_id=employee_id, cause_code=cause_code,
                              project_number=project_number)


def attendance_matches(remote, payload):
    """Is this Fortnox attendance row the one `payload` describes?"""
    return _same_cause_transaction(remote, payload["AttendanceTransaction"])


def hours_number(value):
    """Hours as a JSON number with at most two decimals (absence `Hours` is a number in the
    spec, attendance `Hours` a string)."""
    return float(decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def absence_payload(entry, *, employee_id, cause_code, project_number=""):
    """A time entry marked as an absence as a Fortnox absence transaction. `Extent` and
    `HolidayEntitling` are left to Fortnox (its defaults for the cause code): our entries say
    how many hours, not what share of the day or whether it earns holiday."""
    return _cause_transaction("AbsenceTransaction", entry, hours_number(entry.hours),
                              employee_id=employee_id, cause_code=cause_code,
                              project_number=project_number)


def absence_matches(remote, payload):
    """Is this Fortnox absence row the one `payload` describes?"""
    return _same_cause_transaction(remote, payload["AbsenceTransaction"])


def salary_payloads(payslip, lines, *, employee_id, salary_codes):
    """One Fortnox salary transaction per payslip line, dated on the pay date."""
    payloads = []
    for line in lines:
        text = line.description or line.pay_type
        payloads.append({"SalaryTransaction": {
            "EmployeeId": employee_id, "SalaryCode": salary_codes[line.pay_type],
            "Date": iso(payslip.pay_date), "Number": quantity_text(line.quantity),
            "Amount": money_text(line.unit_amount), "TextRow": cut(text, LIMITS["text_row"]),
        }})
    return payloads


def salary_matches(remote, payload):
    mine = payload["SalaryTransaction"]
    return (str(remote.get("EmployeeId")) == mine["EmployeeId"]
            and str(remote.get("Date"))[:10] == mine["Date"]
            and str(remote.get("SalaryCode")) == mine["SalaryCode"]
            and decimal(remote.get("Number")) == decimal(mine["Number"])
            and decimal(remote.get("Amount")) == decimal(mine["Amount"])
            and (remote.get("TextRow") or "") == mine["TextRow"])
