"""`/v2/customers`: list (paged, `$filter` on the change stamp and the fields a client matches
on), create, read, replace (PUT replaces the whole object: PATCH is not available in
production [visma-eaccounting.md 10.5]) and delete.

Rules [visma-eaccounting.md 6.1, SPEC23 CustomerApi]: Name, InvoicePostalCode, InvoiceCity,
IsActive, IsPrivatePerson and an existing TermsOfPaymentId are required; CustomerNumber is
unique (a taken one answers 4000, also when two requests race for it) and assigned from the
company's series when left out; VatNumber is checked on every
write (4025; the real API asks VIES, here its format: two letters and 8-12 digits, as the spec
describes it); ReverseChargeOnConstructionServices needs a VatNumber. `ChangedUtc` moves on
every write. `UnpaidInvoicesAmount` and `LastInvoiceDate` are read from the customer's
invoices. ASSUMED: a CustomerNumber in use answers 400 ErrorCode 4000 (Conflict); a customer
with invoices cannot be deleted (4001) and should be made inactive instead.
"""

import re
from decimal import Decimal

from django.db import transaction

from sandbox.visma_eaccounting import errors, fields, odata, store, webhooks
from sandbox.visma_eaccounting.api import body, endpoint

KIND = "customer"
VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9]{8,12}$")
FILTERABLE = {
    "Id": odata.GUID, "CustomerNumber": odata.STRING, "Name": odata.STRING,
    "CorporateIdentityNumber": odata.STRING, "EmailAddress": odata.STRING,
    "Telephone": odata.STRING, "MobilePhone": odata.STRING, "VatNumber": odata.STRING,
    "IsActive": odata.BOOLEAN, "IsPrivatePerson": odata.BOOLEAN,
    "InvoiceCity": odata.STRING, "InvoicePostalCode": odata.STRING,
    "ChangedUtc": odata.DATETIME, "LastInvoiceDate": odata.DATETIME,
}
DEFAULTS = {"InvoiceCountryCode": "SE", "CurrencyCode": "SEK", "IsNorthernIreland": False,
            "ReverseChargeOnConstructionServices": False, "ForceBookkeepVat": False,
            "DeliveryBasedVat": False, "CustomerLabels": [], "EmailAddresses": []}


def invoice_facts(tenant):
    """{customer id: (unpaid amount, last invoice date)} from the company's invoices."""
    facts = {}
    for record in store.records(tenant, "customerinvoice"):
        data = record.data
        unpaid, last = facts.get(data["CustomerId"], (Decimal("0"), None))
        unpaid += Decimal(str(data.get("RemainingAmount") or 0))
        date = data.get("InvoiceDate")
        facts[data["CustomerId"]] = (unpaid, max(filter(None, [last, date]), default=None))
    return facts


def present(data, facts):
    unpaid, last = facts.get(data["Id"], (Decimal("0"), None))
    return {**data, "UnpaidInvoicesAmount": store.number(unpaid), "LastInvoiceDate": last}


def _check(tenant, data):
    """Complete a written customer, or answer with Visma's error."""
    data = fields.CUSTOMER.writable(data)
    terms = store.find(tenant, "termsofpayment", str(data["TermsOfPaymentId"]).lower())
    if terms is None:
        errors.unknown_reference("TermsOfPaymentId", "TermsOfPayment")
    vat_number = data.get("VatNumber")
    if vat_number and not VAT_NUMBER.match(vat_number):
        errors.fail(400, 4025, f"InvalidVatNumber - The VAT number {vat_number} is not valid.",
                    errors=[errors.field_error("VatNumber", "The VAT number is not valid.", 4025,
                                               "InvalidVatNumber")])
    if data.get("ReverseChargeOnConstructionServices") and not vat_number:
        errors.invalid(("VatNumber", "A VAT number is required for reverse charge on "
                                     "construction services."))
    if not data.get("CustomerNumber"):
        data["CustomerNumber"] = str(store.next_number(
            tenant, KIND, taken=lambda value: store.number_taken(tenant, KIND, value)))
    return {**DEFAULTS, **{key: value for key, value in data.items() if value is not None},
            "TermsOfPaymentId": terms.remote_id, "TermsOfPayment": terms.data,
            "IsFutureInvoiceDateAllowed": False, "ChangedUtc": store.stamp()}


@endpoint(methods=("GET", "POST"))
def customers(request, tenant):
    if request.method == "POST":
        with transaction.atomic():
            data = _check(tenant, body(request, fields.CUSTOMER))
            store.claim_number(tenant, KIND, data["CustomerNumber"], "CustomerNumber")
            record = store.create(tenant, KIND, data)
        webhooks.notify(tenant, KIND, "Created", record.data)
        return store.one(present(record.data, {}), status=201)
    facts = invoice_facts(tenant)
    items = [present(record.data, facts)
             for record in store.records(tenant, KIND).order_by("id")]
    return store.page(request, items, filterable=FILTERABLE,
                      sortable=("CustomerNumber", "Name", "ChangedUtc"))


@endpoint(methods=("GET", "PUT", "DELETE"))
def customer(request, tenant, customer_id):
    record = store.get(tenant, KIND, customer_id, "Customer")
    if request.method == "GET":
        return store.one(present(record.data, invoice_facts(tenant)))
    if request.method == "DELETE":
        if any(invoice.data["CustomerId"] == record.remote_id
               for invoice in store.records(tenant, "customerinvoice")):
            errors.fail(400, errors.CANNOT_BE_DELETED, "CanNotBeDeleted - The customer has "
                                                       "invoices; set IsActive to false instead.")
        record.delete()
        store.release_number(tenant, KIND, record.data["CustomerNumber"])
        webhooks.notify(tenant, KIND, "Deleted", {**record.data, "ChangedUtc": store.stamp()})
        return store.one({})
    with transaction.atomic():
        data = _check(tenant, body(request, fields.CUSTOMER))
        if data["CustomerNumber"] != record.data["CustomerNumber"]:
            store.claim_number(tenant, KIND, data["CustomerNumber"], "CustomerNumber")
            store.release_number(tenant, KIND, record.data["CustomerNumber"])
        store.save(record, {"Id": record.remote_id, **data})
    webhooks.notify(tenant, KIND, "Changed", record.data)
    return store.one(present(record.data, invoice_facts(tenant)))
