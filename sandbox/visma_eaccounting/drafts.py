"""`/v2/customerinvoicedrafts`: drafts a person (or a client) can still change, and `convert`,
which bookkeeps one as a customer invoice [visma-eaccounting.md 6.2].

- A draft needs CustomerId, EuThirdParty and RotReducedInvoicingType; each row IsTextRow and
  ReversedConstructionServicesVatFree, and an ArticleId unless it is a text row. Totals are the
  server's (documents.py). `ElectronicReference` only for customers that are not private
  persons. Drafts carry `CreatedUtc` only: there is no change stamp to poll on.
- PUT replaces the draft (rows get new ids); DELETE removes it.
- `POST /{id}/convert` (`CustomerInvoiceDraftValidationApi`, optional): every expected total
  the client sends (`TotalAmountInvoiceCurrency`, `TotalVatAmountInvoiceCurrency`,
  `TotalRoundingsInvoiceCurrency`, per row `TotalAmountNoVatInvoiceCurrency` /
  `TotalAmountIncVatInvoiceCurrency` by `LineNumber`) must equal the server's to the öre, else
  400 and nothing is converted: the guard against VAT and rounding drift. ASSUMED: that 400
  has ErrorCode 2000 with one `Errors[]` entry per total that differs, saying both values.
  The invoice date is today unless `keepOriginalDraftDate=true`, or the company keeps draft
  dates (`KeepOriginalDraftDate`) and `overrideCompanyKeepOriginalDraftDate` is not true; a
  draft dated in the future cannot be converted. 201 with the invoice; the draft is gone.
"""

from django.db import transaction

from sandbox.visma_eaccounting import documents, errors, fields, odata, store, webhooks
from sandbox.visma_eaccounting.api import body, endpoint, optional_body
from sandbox.visma_eaccounting.invoices import create_invoice, present

KIND = "customerinvoicedraft"
FILTERABLE = {"Id": odata.GUID, "CustomerId": odata.GUID, "CustomerNumber": odata.STRING,
              "OurReference": odata.STRING, "YourReference": odata.STRING,
              "InvoiceDate": odata.DATETIME, "CreatedUtc": odata.DATETIME}
EXPECTED_TOTALS = {"TotalAmountInvoiceCurrency": "total", "TotalVatAmountInvoiceCurrency": "vat",
                   "TotalRoundingsInvoiceCurrency": "roundings"}


def _draft(tenant, data, *, created=None):
    customer = documents.customer_of(tenant, data)
    head, terms = documents.header(tenant, data, customer)
    if data.get("ElectronicReference") and head["CustomerIsPrivatePerson"]:
        errors.invalid(("ElectronicReference", "Only for customers that are not private "
                                               "persons."))
    currency = customer.data.get("CurrencyCode", "SEK")
    rows, priced = documents.build_rows(
        tenant, data.get("Rows") or [], customer=customer, draft=True,
        replace_zero=bool(data.get("ReplaceUnitPriceWhenZero")))
    sums = documents.totals(tenant, priced, gross=head["IncludesVat"], currency=currency)
    invoice_date = (store.parse_day(data["InvoiceDate"], "InvoiceDate")
                    if data.get("InvoiceDate") else None)
    due = (store.parse_day(data["DueDate"], "DueDate") if data.get("DueDate")
           else invoice_date and documents.due_date(invoice_date, terms))
    written = {key: value for key, value in fields.DRAFT.writable(data).items()
               if value is not None and key != "Rows"}
    return {**written, **head, "Rows": rows, "InvoiceCurrencyCode": currency,
            "InvoiceDate": store.day(invoice_date), "DueDate": store.day(due),
            "TotalAmount": float(sums["total"]), "TotalVatAmount": float(sums["vat"]),
            "TotalRoundings": float(sums["roundings"]),
            "TotalAmountBaseCurrency": float(sums["total"]),
            "TotalVatAmountBaseCurrency": float(sums["vat"]),
            "CreatedUtc": created or store.stamp()}


@endpoint(methods=("GET", "POST"))
def customerinvoicedrafts(request, tenant):
    if request.method == "POST":
        record = store.create(tenant, KIND, _draft(tenant, body(request, fields.DRAFT)))
        webhooks.notify(tenant, KIND, "Created", record.data)
        return store.one(record.data, status=201)
    items = [record.data for record in store.records(tenant, KIND).order_by("id")]
    return store.page(request, items, filterable=FILTERABLE, sortable=("CreatedUtc",))


@endpoint(methods=("GET", "PUT", "DELETE"))
def customerinvoicedraft(request, tenant, draft_id):
    record = store.get(tenant, KIND, draft_id, "CustomerInvoiceDraft")
    if request.method == "DELETE":
        record.delete()
        webhooks.notify(tenant, KIND, "Deleted", record.data)
        return store.one({})
    if request.method == "PUT":
        data = _draft(tenant, body(request, fields.DRAFT), created=record.data["CreatedUtc"])
        store.save(record, {"Id": record.remote_id, **data})
        webhooks.notify(tenant, KIND, "Changed", record.data)
    return store.one(record.data)


def _differences(expected, sums):
    """Errors[] entries for each expected total that is not the server's."""
    problems = []
    for field, key in EXPECTED_TOTALS.items():
        if expected.get(field) is not None and store.money(expected[field]) != sums[key]:
            problems.append((field, f"Expected {store.money(expected[field])}, the invoice "
                                    f"totals {sums[key]}."))
    for index, row in enumerate(expected.get("Rows") or []):
        line = row.get("LineNumber")
        if line not in sums["rows"]:
            problems.append((f"Rows[{index}].LineNumber", f"No row with line number {line}."))
            continue
        net, gross = sums["rows"][line]
        for field, value in (("TotalAmountNoVatInvoiceCurrency", net),
                             ("TotalAmountIncVatInvoiceCurrency", gross)):
            if row.get(field) is not None and store.money(row[field]) != value:
                problems.append((f"Rows[{index}].{field}", f"Expected "
                                 f"{store.money(row[field])}, the row totals {value}."))
    return problems


def _keep_draft_date(request, tenant):
    if request.GET.get("keepOriginalDraftDate", "").lower() == "true":
        return True
    if request.GET.get("overrideCompanyKeepOriginalDraftDate", "").lower() == "true":
        return False
    return bool(documents.company(tenant).get("KeepOriginalDraftDate"))


def _invoice_rows(rows):
    """Draft rows as the invoice's request rows (text rows lose their article)."""
    converted = []
    for row in rows:
        if row.get("IsTextRow"):
            converted.append({"Text": row["Text"]})
            continue
        converted.append({
            "ArticleId": row["ArticleId"], "Text": row.get("Text"),
            "Quantity": row.get("Quantity"), "UnitPrice": row.get("UnitPrice"),
            "DiscountPercentage": row.get("DiscountPercentage"),
            "ProjectId": row.get("ProjectId"), "WorkHours": row.get("WorkHours"),
            "WorkCostType": row.get("WorkCostType"),
            "IsVatFree": bool(row.get("ReversedConstructionServicesVatFree"))
            and bool(row.get("_ReverseCharge"))})
    return converted


@endpoint(methods=("POST",))
def convert(request, tenant, draft_id):
    expected = optional_body(request, fields.VALIDATION)
    with transaction.atomic():
        draft = store.get(tenant, KIND, draft_id, "CustomerInvoiceDraft", lock=True)
        data = draft.data
        draft_date = data.get("InvoiceDate") and store.parse_day(data["InvoiceDate"],
                                                                   "InvoiceDate")
        if draft_date:
            documents.check_not_future(draft_date)
        invoice_date = draft_date if draft_date and _keep_draft_date(request, tenant) \
            else store.today()
        reverse_charge = data.get("ReverseChargeOnConstructionServices")
        rows = _invoice_rows([{**row, "_ReverseCharge": reverse_charge}
                              for row in data.get("Rows", [])])
        customer = documents.customer_of(tenant, data)
        _built, priced = documents.build_rows(tenant, rows, customer=customer, draft=False)
        sums = documents.totals(tenant, priced, gross=bool(data.get("IncludesVat")),
                                currency=data.get("InvoiceCurrencyCode", "SEK"))
        problems = _differences(expected, sums)
        if problems:
            errors.invalid(*problems)
        source = {key: data.get(key) for key in (
            "CustomerId", "EuThirdParty", "RotReducedInvoicingType", "YourReference",
            "OurReference", "BuyersOrderReference", "ElectronicReference", "InvoiceAddress1",
            "InvoiceAddress2", "DeliveryAddress1", "DeliveryAddress2", "DeliveryCity",
            "DeliveryPostalCode", "DeliveryCountryCode", "DeliveryCustomerName",
            "IsCreditInvoice")}
        if data.get("DueDate") and invoice_date == draft_date:
            source["DueDate"] = data["DueDate"]
        record = create_invoice(tenant, {**source, "Rows": rows,
                                         "CreatedFromDraftId": draft.remote_id},
                                invoice_date=invoice_date)
        draft.delete()
        webhooks.notify(tenant, KIND, "Deleted", data)
    return store.one(present(record.data), status=201)

