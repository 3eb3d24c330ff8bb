"""What the `<record_type>.export` operations do: create the Fortnox object, or update it when a
Link exists, and find what an earlier attempt with an unknown outcome left behind.

Exactly one remote object per record, without idempotency keys:
- customers get a customer number we choose (`H<id>`), so a retried create hits "number in use"
  (2000637) and is adopted when its `ExternalReference` is ours;
- invoices carry our reference in `ExternalInvoiceReference1`, quotes in `YourReferenceNumber`;
  Fortnox's search matches substrings, so results are compared exactly;
- projects and employees are numbered by us (our project number, our employee number);
- time entries and salary rows have no free reference field: they are matched on every value
  they carry, skipping rows already linked to another record.

A record an export needs (an invoice's customer and project, a time entry's employee) is sent
first, in the same job, when it has no Link yet.
"""

from django.urls import reverse
from django.utils import timezone

from integrations.admin_links import mapping_fix_url
from integrations.errors import (
    ActionBlocked,
    AmbiguousError,
    PermanentError,
    ValidationProblem,
)
from integrations.models import Link, PayTypeMapping
from integrations.providers.base import OperationResult
from integrations.providers.fortnox import mappers
from integrations.providers.fortnox.client import FortnoxClient

KEY = "fortnox"
DEFAULT_TIME_CAUSE_CODE = "ARB"  # Fortnox attendance cause code for worked time
TIME_ENTRY_PAY_TYPE = "time_entry"  # a PayTypeMapping with this pay type overrides it
ACCOUNT_CODES = {"2001304", "2004167"}
VAT_CODES = {"2004052", "2001265", "2002462"}


# -- local records and links --------------------------------------------------------------------
def _local(model_or_queryset, organization, local_id, label):
    queryset = (model_or_queryset.objects.all() if isinstance(model_or_queryset, type)
                else model_or_queryset)
    obj = queryset.for_org(organization).filter(pk=local_id).first()
    if obj is None:
        raise PermanentError(f"The {label} {local_id} no longer exists here; nothing was sent.")
    return obj


def _link(connection, record_type, local_id):
    return Link.objects.filter(connection=connection, record_type=record_type,
                               local_id=str(local_id)).first()


def _reference(record_type, obj):
    from integrations.engine.jobs import external_reference

    return external_reference(record_type, obj.pk, organization=obj.organization)


def store_link(connection, record_type, local_id, result):
    """Link a record sent in passing (e.g. an invoice's customer), with its sync snapshot."""
    Link.objects.update_or_create(
        connection=connection, record_type=record_type, local_id=str(local_id),
        defaults={"organization_id": connection.organization_id,
                  "remote_id": str(result.remote_id),
                  "remote_number": result.remote_number, "synced_at": timezone.now(),
                  "remote_modified_at": timezone.now(),
                  "data": result.data.get("link_data") or {}})


def save_link_data(provider, job, result):
    """on_success: keep what both sides agreed on (for conflicts) or the rows we own."""
    Link.objects.filter(connection=job.connection, record_type=job.record_type,
                        local_id=job.local_id).update(
        data=result.data.get("link_data") or {}, remote_modified_at=timezone.now())


def _rebuilt(exc, message):
    return PermanentError(message, status_code=exc.status_code, code=exc.code, raw=exc.raw,
                          raw_text=exc.raw_text)


def _blocked(problems):
    """Problems found before sending, as one permanent failure that lists them all."""
    text = " ".join(f"{p.message}{f' Fix: {p.fix_url}' if p.fix_url else ''}" for p in problems)
    return PermanentError(text)


# -- mappings -----------------------------------------------------------------------------------
def line_mappings(organization, categories):
    """({category: (vat code, account)}, [problems]) for Fortnox."""
    from integrations.models import AccountMapping, VatMapping

    vat = dict(VatMapping.objects.for_org(organization).filter(provider=KEY)
               .values_list("category", "vat_code"))
    accounts = dict(AccountMapping.objects.for_org(organization).filter(provider=KEY)
                    .values_list("category", "account_number"))
    found, problems = {}, []
    for category in sorted(set(categories)):
        if not vat.get(category):
            problems.append(ValidationProblem(
                f"Fortnox needs a VAT code for the line category '{category}'.",
                fix_url=mapping_fix_url(organization=organization, provider=KEY,
                                        category=category, kind="vat"), field="vat"))
        account = str(accounts.get(category) or "")
        if not (account.isdigit() and len(account) == 4):
            problems.append(ValidationProblem(
                f"Fortnox needs a four-digit sales account for the line category '{category}'"
                + (f" (now '{account}')." if account else "."),
                fix_url=mapping_fix_url(organization=organization, provider=KEY,
                                        category=category, kind="account"), field="account"))
        if vat.get(category) and account.isdigit() and len(account) == 4:
            found[category] = (vat[category], account)
    return found, problems


def category_for_account(organization):
    """Sales account -> our line category (the first category mapped to it)."""
    from integrations.models import AccountMapping

    result = {}
    for category, account in (AccountMapping.objects.for_org(organization).filter(provider=KEY)
                              .order_by("category").values_list("category", "account_number")):
        result.setdefault(str(account), category)
    return result


def pay_type_fix_url(pay_type):
    url = reverse("admin:integrations_paytypemapping_add")
    return f"{url}?provider={KEY}&pay_type={pay_type}"


def salary_codes(organization, pay_types):
    codes = dict(PayTypeMapping.objects.for_org(organization).filter(provider=KEY)
                 .values_list("pay_type", "salary_code"))
    problems = [ValidationProblem(f"Fortnox needs a salary code for the pay type '{p}'.",
                                  fix_url=pay_type_fix_url(p), field="pay_type")
                for p in sorted(set(pay_types)) if not codes.get(p)]
    return codes, problems


def time_cause_code(organization):
    mapped = (PayTypeMapping.objects.for_org(organization)
              .filter(provider=KEY, pay_type=TIME_ENTRY_PAY_TYPE)
              .values_list("salary_code", flat=True).first())
    return mapped or DEFAULT_TIME_CAUSE_CODE


# -- validation before anything is sent ---------------------------------------------------------
def problems_for(record_type, obj):
    """Everything that blocks sending `obj`, each with where to fix it."""
    problems = []
    if record_type == "customer":
        if not obj.name:
            problems.append(ValidationProblem("The customer needs a name.", field="name"))
    elif record_type in ("invoice", "quote"):
        lines = list(obj.lines.all())
        if not lines:
            problems.append(ValidationProblem(f"The {record_type} has no lines.", field="lines"))
        problems += problems_for("customer", obj.customer)
        problems += line_mappings(obj.organization, [line.category for line in lines])[1]
        if obj.project_id:
            problems += problems_for("project", obj.project)
    elif record_type == "project":
        if not obj.number or len(obj.number) > 20:
            problems.append(ValidationProblem(
                "Fortnox needs a project number of at most 20 characters.", field="number"))
        if not obj.name:
            problems.append(ValidationProblem("The project needs a name.", field="name"))
    elif record_type == "employee":
        if not obj.employee_number or len(obj.employee_number) > 15:
            problems.append(ValidationProblem(
                "Fortnox needs an employee number of at most 15 characters.",
                field="employee_number"))
        if not (obj.first_name and obj.last_name and obj.email):
            problems.append(ValidationProblem(
                "Fortnox needs the employee's first name, last name and e-mail.", field="email"))
    elif record_type == "time_entry":
        problems += problems_for("employee", obj.employee)
        if obj.project_id:
            problems += problems_for("project", obj.project)
        if not obj.hours or obj.hours <= 0:
            problems.append(ValidationProblem("The time entry has no hours.", field="hours"))
    elif record_type == "payslip":
        lines = list(obj.lines.all())
        if not lines:
            problems.append(ValidationProblem("The payslip has no lines.", field="lines"))
        problems += problems_for("employee", obj.employee)
        problems += salary_codes(obj.organization, [line.pay_type for line in lines])[1]
    return problems


def _check(record_type, obj):
    problems = problems_for(record_type, obj)
    if problems:
        raise _blocked(problems)


# -- customers ----------------------------------------------------------------------------------
def _customer_result(body, customer, reference):
    remote = body.get("Customer") or {}
    number = str(remote.get("CustomerNumber") or mappers.customer_number(customer))
    synced = {"local": mappers.customer_values(customer),
              "remote": mappers.customer_values_from_remote(remote)}
    return OperationResult(remote_id=number, remote_number=number,
                           data={"link_data": synced, "reference": reference})


def upsert_customer(client, customer, *, reference, link):
    if link is not None:
        body = client.send("PUT", f"/3/customers/{link.remote_id}",
                           mappers.customer_payload(customer, number=link.remote_id,
                                                    reference=reference, update=True))
        return _customer_result(body, customer, reference)
    number = mappers.customer_number(customer)
    try:
        body = client.send("POST", "/3/customers",
                           mappers.customer_payload(customer, number=number,
                                                    reference=reference))
    except PermanentError as exc:
        if exc.code != "2000637":
            raise
        existing = (client.get_or_none(f"/3/customers/{number}") or {}).get("Customer")
        if existing and existing.get("ExternalReference") == reference:
            # An earlier attempt created it and we never heard back: adopt and update it.
            body = client.send("PUT", f"/3/customers/{number}",
                               mappers.customer_payload(customer, number=number,
                                                        reference=reference, update=True))
            return _customer_result(body, customer, reference)
        who = f" by '{existing.get('Name')}'" if existing else " (by a deleted customer)"
        raise _rebuilt(exc, f"Fortnox customer number {number}, which the hub uses for "
                            f"'{customer.name}', is already taken{who}. Numbers stay reserved "
                            "in Fortnox even after deletion: link the customer to the right "
                            "Fortnox customer in admin (Links), or renumber the one in "
                            "Fortnox.") from None
    return _customer_result(body, customer, reference)


def ensure_customer(client, connection, customer):
    """The Fortnox customer number for a local customer, sending it first if it is new."""
    link = _link(connection, "customer", customer.pk)
    if link is not None:
        return link.remote_id
    result = upsert_customer(client, customer, reference=_reference("customer", customer),
                             link=None)
    store_link(connection, "customer", customer.pk, result)
    return result.remote_id


def export_customer(provider, job):
    from accounting.models import Customer

    customer = _local(Customer, job.organization, job.local_id, "customer")
    _check("customer", customer)
    link = _link(job.connection, "customer", customer.pk)
    return upsert_customer(FortnoxClient(provider), customer, reference=job.external_reference,
                           link=link)


def find_customer(provider, job):
    from accounting.models import Customer

    if _link(job.connection, "customer", job.local_id) is not None:
        return None  # an update: repeating the PUT is harmless
    customer = _local(Customer, job.organization, job.local_id, "customer")
    number = mappers.customer_number(customer)
    remote = (FortnoxClient(provider).get_or_none(f"/3/customers/{number}") or {}).get(
        "Customer")
    if remote and remote.get("ExternalReference") == job.external_reference:
        return _customer_result({"Customer": remote}, customer, job.external_reference)
    return None


# -- projects and employees (numbered by us) ----------------------------------------------------
def _numbered_upsert(client, *, path, wrapper, number, payload, exists):
    """Create, or update when it exists (known from a Link, or found by its number)."""
    if exists:
        return client.send("PUT", f"{path}/{number}", payload)[wrapper]
    try:
        return client.send("POST", path, payload)[wrapper]
    except PermanentError:
        # Its number may already be taken by an earlier attempt (or by the same project typed
        # in Fortnox): then it is ours to update; otherwise the error stands.
        if client.get_or_none(f"{path}/{number}") is None:
            raise
        return client.send("PUT", f"{path}/{number}", payload)[wrapper]


def upsert_project(client, connection, project):
    link = _link(connection, "project", project.pk)
    payload = mappers.project_payload(project, today=timezone.localdate())
    if link is not None:
        payload["Project"]["ProjectNumber"] = link.remote_id
    remote = _numbered_upsert(client, path="/3/projects", wrapper="Project",
                              number=link.remote_id if link else project.number,
                              payload=payload, exists=link is not None)
    number = str(remote.get("ProjectNumber") or project.number)
    return OperationResult(remote_id=number, remote_number=number)


def _ensure_linked(client, connection, record_type, obj, upsert):
    """The remote id of a record another one refers to: its link, else sent and linked now."""
    link = _link(connection, record_type, obj.pk)
    if link is not None:
        return link.remote_id
    result = upsert(client, connection, obj)
    store_link(connection, record_type, obj.pk, result)
    return result.remote_id


def ensure_project(client, connection, project):
    if project is None:
        return ""
    return _ensure_linked(client, connection, "project", project, upsert_project)


def export_project(provider, job):
    from accounting.models import Project

    project = _local(Project, job.organization, job.local_id, "project")
    _check("project", project)
    return upsert_project(FortnoxClient(provider), job.connection, project)


def find_project(provider, job):
    from accounting.models import Project

    if _link(job.connection, "project", job.local_id) is not None:
        return None
    project = _local(Project, job.organization, job.local_id, "project")
    remote = FortnoxClient(provider).get_or_none(f"/3/projects/{project.number}")
    if remote and str(remote.get("Project", {}).get("ProjectNumber")) == project.number:
        return OperationResult(remote_id=project.number, remote_number=project.number)
    return None


def upsert_employee(client, connection, employee):
    link = _link(connection, "employee", employee.pk)
    payload = mappers.employee_payload(employee)
    number = link.remote_id if link else employee.employee_number
    payload["Employee"]["EmployeeId"] = number
    remote = _numbered_upsert(client, path="/3/employees", wrapper="Employee",
                              number=number, payload=payload,
                              exists=link is not None)
    remote_id = str(remote.get("EmployeeId") or number)
    return OperationResult(remote_id=remote_id, remote_number=remote_id)


def ensure_employee(client, connection, employee):
    return _ensure_linked(client, connection, "employee", employee, upsert_employee)


def export_employee(provider, job):
    from accounting.models import Employee

    employee = _local(Employee, job.organization, job.local_id, "employee")
    _check("employee", employee)
    return upsert_employee(FortnoxClient(provider), job.connection, employee)


def find_employee(provider, job):
    from accounting.models import Employee

    if _link(job.connection, "employee", job.local_id) is not None:
        return None
    employee = _local(Employee, job.organization, job.local_id, "employee")
    remote = FortnoxClient(provider).get_or_none(f"/3/employees/{employee.employee_number}")
    if remote and str(remote.get("Employee", {}).get("EmployeeId")) == employee.employee_number:
        return OperationResult(remote_id=employee.employee_number,
                               remote_number=employee.employee_number)
    return None


# -- invoices and quotes ------------------------------------------------------------------------
def _rows(document, lines, quantity_field):
    mapping, problems = line_mappings(document.organization, [line.category for line in lines])
    if problems:
        raise _blocked(problems)
    return [mappers.document_row(line, vat_code=mapping[line.category][0],
                                 account=mapping[line.category][1],
                                 quantity_field=quantity_field) for line in lines]


def _with_row_ids(rows, remote_rows):
    """Keep Fortnox's RowIds for rows that stay; rows left out of a PUT with RowIds are
    deleted, rows without one are added."""
    for row, remote in zip(rows, remote_rows or [], strict=False):
        if remote.get("RowId") is not None:
            row["RowId"] = remote["RowId"]
    return rows


def explain(client, exc, document, lines, *, date_value, kind):
    """A Fortnox refusal of a document, said so a person can fix it: the mapping rows behind
    an unknown account or VAT code, or the locked period behind a date."""
    organization = document.organization
    categories = sorted({line.category for line in lines})
    if exc.code in ACCOUNT_CODES or exc.code in VAT_CODES:
        which = "account" if exc.code in ACCOUNT_CODES else "vat"
        urls = {c: mapping_fix_url(organization=organization, provider=KEY, category=c,
                                   kind=which) for c in categories}
        links = "; ".join(f"'{c}': {url}" for c, url in urls.items())
        return _rebuilt(exc, f"{exc.message} Check the {which} mapping of the line "
                             f"categories used on this {kind} ({links}).")
    if exc.status_code == 400 and date_value:
        try:
            locked = client.get_json("/3/settings/lockedperiod").get("LockedPeriod") or {}
        except Exception:  # the explanation is a courtesy; the original error stands
            return exc
        end = mappers.parse_date(locked.get("EndDate"))
        if end and date_value <= end:
            return _rebuilt(exc, f"The accounting period up to {end} is locked in Fortnox, so "
                                 f"a {kind} dated {date_value} cannot be stored. Change the "
                                 "date, or ask the accountant to unlock the period in Fortnox. "
                                 f"({exc.message})")
    return exc


def _invoice_result(remote, invoice, lines, reference, organization):
    number = str(remote.get("DocumentNumber") or "")
    synced = {"local": mappers.invoice_values(invoice, lines),
              "remote": mappers.invoice_values_from_remote(
                  remote, category_for_account=category_for_account(organization))}
    status = mappers.invoice_status(remote, today=timezone.localdate())
    return OperationResult(remote_id=number, remote_number=number, data={
        "link_data": synced, "reference": reference,
        "status": {k: str(v) if v is not None else None for k, v in status.items()}})


def export_invoice(provider, job):
    from accounting.models import Invoice

    invoice = _local(Invoice.objects.select_related("customer", "project"), job.organization,
                     job.local_id, "invoice")
    _check("invoice", invoice)
    lines = list(invoice.lines.all())
    client = FortnoxClient(provider)
    link = _link(job.connection, "invoice", invoice.pk)
    customer_number = ensure_customer(client, job.connection, invoice.customer)
    project_number = ensure_project(client, job.connection, invoice.project)
    rows = _rows(invoice, lines, "DeliveredQuantity")
    payload = mappers.invoice_payload(invoice, customer_number=customer_number,
                                      reference=job.external_reference, rows=rows,
                                      project_number=project_number, due_date=invoice.due_date)
    try:
        if link is None:
            remote = client.send("POST", "/3/invoices", payload)["Invoice"]
        else:
            remote = _update_invoice(client, link, invoice, payload)
    except PermanentError as exc:
        raise explain(client, exc, invoice, lines, date_value=invoice.issue_date,
                      kind="invoice") from None
    return _invoice_result(remote, invoice, lines, job.external_reference, job.organization)


def _update_invoice(client, link, invoice, payload):
    number = link.remote_id
    current = client.get_json(f"/3/invoices/{number}")["Invoice"]
    if current.get("Cancelled"):
        raise PermanentError(f"Invoice {number} is cancelled in Fortnox and cannot be changed; "
                             "create a new invoice here instead.")
    if invoice.status == "cancelled":
        if current.get("Booked"):
            raise PermanentError(f"Invoice {number} is booked in Fortnox, so it cannot be "
                                 "cancelled; credit it in Fortnox instead.")
        return client.send("PUT", f"/3/invoices/{number}/cancel", None)["Invoice"]
    if current.get("Booked"):
        raise PermanentError(f"Invoice {number} is booked in Fortnox, so it can no longer be "
                             "changed. Credit it in Fortnox and send a new invoice.")
    _with_row_ids(payload["Invoice"]["InvoiceRows"], current.get("InvoiceRows"))
    return client.send("PUT", f"/3/invoices/{number}", payload)["Invoice"]


def find_invoice(provider, job):
    from accounting.models import Invoice

    if _link(job.connection, "invoice", job.local_id) is not None:
        return None
    client = FortnoxClient(provider)
    matches = [row for row in client.iterate(
        "/3/invoices", "Invoices", {"externalinvoicereference1": job.external_reference})
        if row.get("ExternalInvoiceReference1") == job.external_reference]
    if not matches:
        return None
    # A cancelled twin is not the one to keep; of several, the first created.
    matches.sort(key=lambda row: (bool(row.get("Cancelled")), _number_key(row)))
    remote = client.get_json(f"/3/invoices/{matches[0]['DocumentNumber']}")["Invoice"]
    invoice = _local(Invoice, job.organization, job.local_id, "invoice")
    return _invoice_result(remote, invoice, list(invoice.lines.all()), job.external_reference,
                           job.organization)


def _number_key(row):
    number = str(row.get("DocumentNumber") or "")
    return (len(number), number)


def invoice_done(provider, job, result):
    """on_success: the snapshot, Fortnox's invoice number (if we had none) and its status."""
    from accounting.models import Invoice

    save_link_data(provider, job, result)
    invoices = Invoice.objects.for_org(job.organization).filter(pk=job.local_id)
    invoices.filter(number="").update(number=result.remote_number)
    status = result.data.get("status") or {}
    invoices.update(**{k: (v if k != "booked" else v == "True") for k, v in status.items()
                       if k in ("booked", "status", "remaining_amount", "paid_amount",
                                "due_date", "final_pay_date")})


def export_quote(provider, job):
    from accounting.models import Quote

    quote = _local(Quote.objects.select_related("customer", "project"), job.organization,
                   job.local_id, "quote")
    _check("quote", quote)
    lines = list(quote.lines.all())
    client = FortnoxClient(provider)
    link = _link(job.connection, "quote", quote.pk)
    customer_number = ensure_customer(client, job.connection, quote.customer)
    project_number = ensure_project(client, job.connection, quote.project)
    payload = mappers.offer_payload(quote, customer_number=customer_number,
                                    reference=job.external_reference,
                                    rows=_rows(quote, lines, "Quantity"),
                                    project_number=project_number)
    try:
        if link is None:
            remote = client.send("POST", "/3/offers", payload)["Offer"]
        else:
            current = client.get_json(f"/3/offers/{link.remote_id}")["Offer"]
            if current.get("Cancelled"):
                raise PermanentError(f"Quote {link.remote_id} is cancelled in Fortnox and "
                                     "cannot be changed; create a new quote here instead.")
            _with_row_ids(payload["Offer"]["OfferRows"], current.get("OfferRows"))
            remote = client.send("PUT", f"/3/offers/{link.remote_id}", payload)["Offer"]
    except PermanentError as exc:
        raise explain(client, exc, quote, lines, date_value=quote.issue_date,
                      kind="quote") from None
    number = str(remote.get("DocumentNumber") or "")
    return OperationResult(remote_id=number, remote_number=number)


def find_quote(provider, job):
    """Offers have no searchable hidden field: list the customer's offers of that date and
    compare `YourReferenceNumber` exactly on each."""
    from accounting.models import Quote

    if _link(job.connection, "quote", job.local_id) is not None:
        return None
    quote = _local(Quote, job.organization, job.local_id, "quote")
    customer_link = _link(job.connection, "customer", quote.customer_id)
    if customer_link is None:
        return None
    client = FortnoxClient(provider)
    day = mappers.iso(quote.issue_date)
    for row in client.iterate("/3/offers", "Offers", {
            "customernumber": customer_link.remote_id, "fromdate": day, "todate": day}):
        if str(row.get("CustomerNumber")) != customer_link.remote_id:
            continue
        offer = client.get_json(f"/3/offers/{row['DocumentNumber']}")["Offer"]
        if offer.get("YourReferenceNumber") == job.external_reference:
            number = str(offer["DocumentNumber"])
            return OperationResult(remote_id=number, remote_number=number)
    return None


# -- time entries (attendance transactions) -----------------------------------------------------
def _time_payload(client, connection, entry):
    employee_id = ensure_employee(client, connection, entry.employee)
    project_number = ensure_project(client, connection, entry.project)
    return mappers.attendance_payload(entry, employee_id=employee_id,
                                      cause_code=time_cause_code(entry.organization),
                                      project_number=project_number)


def _claimed(connection, record_type):
    return set(Link.objects.filter(connection=connection, record_type=record_type)
               .values_list("remote_id", flat=True))


def _find_attendance(client, connection, payload, *, exclude_local=None):
    body = payload["AttendanceTransaction"]
    claimed = _claimed(connection, "time_entry")
    if exclude_local is not None:
        own = _link(connection, "time_entry", exclude_local)
        claimed.discard(own.remote_id if own else None)
    for row in client.iterate("/3/attendancetransactions", "AttendanceTransactions",
                              {"employeeid": body["EmployeeId"], "date": body["Date"]}):
        remote_id = str(row.get("id") or row.get("Id") or "")
        if remote_id and remote_id not in claimed and mappers.attendance_matches(row, payload):
            return remote_id
    return None


def export_time_entry(provider, job):
    from accounting.models import TimeEntry

    entry = _local(TimeEntry.objects.select_related("employee", "project"), job.organization,
                   job.local_id, "time entry")
    _check("time_entry", entry)
    client = FortnoxClient(provider)
    payload = _time_payload(client, job.connection, entry)
    link = _link(job.connection, "time_entry", entry.pk)
    if link is not None:
        client.send("PUT", f"/3/attendancetransactions/{link.remote_id}", payload)
        return OperationResult(remote_id=link.remote_id, remote_number=link.remote_id)
    created = client.send("POST", "/3/attendancetransactions", payload).get(
        "AttendanceTransaction") or {}
    remote_id = str(created.get("id") or created.get("Id") or "")
    # Fortnox's answer to a create may not carry the id: look it up by its values.
    remote_id = remote_id or _find_attendance(client, job.connection, payload)
    if not remote_id:
        raise AmbiguousError("Fortnox stored the time entry but did not say under which id; "
                             "it will be found by its values on the next try.")
    return OperationResult(remote_id=remote_id, remote_number=remote_id)


def find_time_entry(provider, job):
    from accounting.models import TimeEntry

    if _link(job.connection, "time_entry", job.local_id) is not None:
        return None
    entry = _local(TimeEntry.objects.select_related("employee", "project"), job.organization,
                   job.local_id, "time entry")
    client = FortnoxClient(provider)
    remote_id = _find_attendance(client, job.connection,
                                 _time_payload(client, job.connection, entry))
    return OperationResult(remote_id=remote_id, remote_number=remote_id) if remote_id else None


# -- payslips (one salary transaction per line) -------------------------------------------------
def export_payslip(provider, job):
    """Reconciles every time, so a payslip half sent before a 429 or a lost answer is
    completed, never doubled: rows we already own are updated, matching rows nobody owns are
    adopted, the rest created, and rows a line no longer needs deleted."""
    from accounting.models import Payslip

    payslip = _local(Payslip.objects.select_related("employee"), job.organization, job.local_id,
                     "payslip")
    _check("payslip", payslip)
    lines = list(payslip.lines.all())
    client = FortnoxClient(provider)
    employee_id = ensure_employee(client, job.connection, payslip.employee)
    codes, _problems = salary_codes(job.organization, [line.pay_type for line in lines])
    payloads = mappers.salary_payloads(payslip, lines, employee_id=employee_id,
                                       salary_codes=codes)
    link = _link(job.connection, "payslip", payslip.pk)
    owned = list((link.data or {}).get("rows") or []) if link else []
    taken = set()
    for other in (Link.objects.filter(connection=job.connection, record_type="payslip")
                  .exclude(local_id=str(payslip.pk)).values_list("data", flat=True)):
        taken.update(str(row) for row in (other or {}).get("rows") or [])
    existing = [] if owned else [
        row for row in client.iterate("/3/salarytransactions", "SalaryTransactions",
                                      {"employeeid": employee_id,
                                       "date": mappers.iso(payslip.pay_date)})
        if str(row.get("SalaryRow")) not in taken]
    rows = []
    for index, payload in enumerate(payloads):
        if index < len(owned):
            client.send("PUT", f"/3/salarytransactions/{owned[index]}", payload)
            rows.append(str(owned[index]))
            continue
        match = next((r for r in existing if mappers.salary_matches(r, payload)), None)
        if match is not None:
            existing.remove(match)
            rows.append(str(match["SalaryRow"]))
            continue
        created = client.send("POST", "/3/salarytransactions", payload)["SalaryTransaction"]
        rows.append(str(created["SalaryRow"]))
    for stale in owned[len(payloads):]:
        client.request("DELETE", f"/3/salarytransactions/{stale}", expected=(200, 204, 404))
    return OperationResult(remote_id=rows[0], remote_number=f"{employee_id} {payslip.pay_date}",
                           data={"link_data": {"rows": rows}})


def validate(record_type, obj):
    """Raise ActionBlocked with every problem (for pages and the API, before enqueueing)."""
    problems = problems_for(record_type, obj)
    if problems:
        raise ActionBlocked(problems)
