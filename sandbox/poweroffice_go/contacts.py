"""Customers and products: list with Go's filters, create (201 with the object and its Id), read,
JSON-Patch, delete.

The rules Go states in its spec are enforced, because a client that breaks them in production
gets a 400: a company needs a Name and a person a FirstName and LastName; ExternalImportReference
is at most 50 characters and unique among customers (compared case-insensitively, like Go's
database); a customer Number must lie in the client's customer number series (10000-19999
here) and is assigned from it when left empty; PdfByEmail needs an e-mail address, EHF an
organisation number, and AvtaleGiro/Efaktura cannot be set through the API; a product's sales
accounts must exist. References to things a new demo client has none of (contact groups,
employees, branding themes, delivery terms, product groups) are refused as not found.
"""

import re

from django.db import transaction
from django.http import HttpResponse

from sandbox.poweroffice_go import fields, jsonpatch, store
from sandbox.poweroffice_go.simulator import json_body, simulator
from sandbox.poweroffice_go.store import (
    CUSTOMER,
    PRODUCT,
    invalid,
    missing,
    not_found,
    public,
)

EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
CUSTOMER_READ_ONLY = ("Id", "ContactCreatedDateTimeOffset", "CustomerCreatedDateTimeOffset",
                      "CreatedFromImportJournalId", "IsActive", "LastChangedDateTimeOffset",
                      "SubledgerAccountId")
PRODUCT_READ_ONLY = ("Id", "CreatedDateTimeOffset", "CreatedFromImportJournalId",
                     "LastChangedDateTimeOffset", "StockAvailable",
                     "StockOnHandLastChangedDatetimeOffset")


def _writable(dto, spec, id_fields=()):
    """The Post-DTO view of a stored object: what a PATCH may change. For each (id field,
    number or code field) pair the id is dropped, so that a patch of the number or code is not
    overruled by the old id (an id in the patch still wins, as in a POST)."""
    result = {}
    for name, kind in spec.items():
        value = dto.get(name)
        if isinstance(kind, dict) and isinstance(value, dict):
            value = {key: value.get(key) for key in kind}
        result[name] = value
    for id_field, other in id_fields:
        if result.get(other) is not None:
            result[id_field] = None
    return result


# -- shared lookups -------------------------------------------------------------------------------

def department(request, tenant, department_id, code, *, allow_none_marker=False):
    """(Id, Code) of a department given by id (which wins) or code; (None, None) for none."""
    if allow_none_marker and department_id == -1:
        return None, None
    if department_id is not None:
        record = store.find(tenant, store.DEPARTMENT, department_id)
        if record is None:
            missing(request, f"Department with id = {department_id} not found.")
        return record.data["Id"], record.data["Code"]
    if code:
        record = store.find_by(tenant, store.DEPARTMENT, Code=code)
        if record is None:
            missing(request, f"Department with code '{code}' not found.")
        return record.data["Id"], record.data["Code"]
    return None, None


def project(request, tenant, project_id, code, *, allow_none_marker=False):
    if allow_none_marker and project_id == -1:
        return None, None
    if project_id is not None:
        record = store.find(tenant, store.PROJECT, project_id)
        if record is None:
            missing(request, f"Project with id = {project_id} not found.")
        return record.data["Id"], record.data["Code"]
    if code:
        record = store.find_by(tenant, store.PROJECT, Code=code)
        if record is None:
            missing(request, f"Project with code '{code}' not found.")
        return record.data["Id"], record.data["Code"]
    return None, None


def payment_term(request, tenant, term_id, days):
    """(PaymentTermId, days): the id wins; days alone are kept (and matched to a term with
    those CreditDays when the client has one)."""
    if term_id is not None:
        record = store.find(tenant, store.PAYMENT_TERM, term_id)
        if record is None:
            missing(request, f"Payment term with id = {term_id} not found.")
        return record.data["Id"], record.data["CreditDays"]
    if days is not None:
        if days < 0:
            invalid(request, "PaymentTerm", "PaymentTerm (days) cannot be negative.")
        record = store.find_by(tenant, store.PAYMENT_TERM, CreditDays=days)
        return (record.data["Id"] if record else None), days
    return None, None


def account(request, tenant, account_id, number, field):
    """The GL account given by id (which wins) or number, or None when neither is set."""
    if account_id is not None:
        record = store.find(tenant, store.ACCOUNT, account_id)
        if record is None:
            missing(request, f"{field}: general ledger account with id = {account_id} not "
                             f"found.")
        return record.data
    if number is not None:
        record = store.find_by(tenant, store.ACCOUNT, AccountNo=number)
        if record is None:
            missing(request, f"{field}: general ledger account {number} not found.")
        return record.data
    return None


def _refuse_unknown_references(request, data, references):
    for name, what in references:
        value = data.get(name)
        if value not in (None, "", []):
            missing(request, f"{what} '{value}' not found." if isinstance(value, str)
                    else f"{what} with id = {value} not found.")


# -- customers ------------------------------------------------------------------------------------

def _customer_number(request, tenant, wanted, own_id, scanned):
    low, high = tenant.data.get("CustomerNumberSeries", [10000, 19999])
    taken = {row["Number"] for row in scanned if row["Id"] != own_id}
    if wanted is None:
        number = low
        while number in taken:
            number += 1
        if number > high:
            invalid(request, "Number", "The customer number series is full.")
        return number
    if not low <= wanted <= high:
        invalid(request, "Number", f"The customer number {wanted} is outside the client's "
                                   f"customer ledger number series ({low}-{high}).")
    if wanted in taken:
        invalid(request, "Number", f"A customer with number {wanted} already exists.")
    return wanted


def _check_unique(request, tenant, kind, field, value, own_id, label, scanned=None):
    """`scanned`: the kind's records as dicts of `field` and Id, read once for several checks
    (a customer create makes three, on every request of an import)."""
    if value in (None, ""):
        return
    if scanned is None:
        clash = store.find_by(tenant, kind, **{field: value})
        clash_id = clash.data["Id"] if clash is not None else None
    else:
        clash_id = next((row["Id"] for row in scanned if store.same(row[field], value)), None)
    if clash_id is not None and clash_id != own_id:
        invalid(request, field, f"A {label} with {field} '{value}' already exists.")


_CUSTOMER_UNIQUE = ("ExternalImportReference", "ExternalNumber", "Number", "Id")


def _scan_customers(tenant):
    return [dict(zip(_CUSTOMER_UNIQUE, values, strict=True)) for _, *values
            in store.field_values(tenant, CUSTOMER, *_CUSTOMER_UNIQUE)]


def _check_emails(request, data):
    for name in ("EmailAddress", "InvoiceEmailAddress", "PaymentReminderEmailAddress"):
        value = data.get(name)
        if value and not EMAIL.match(value.strip()):
            invalid(request, name, f"'{value}' is not a valid e-mail address.")
    cc = data.get("InvoiceEmailAddressCC")
    if cc:
        addresses = [item.strip() for item in cc.split(";") if item.strip()]
        if len(addresses) > 10:
            invalid(request, "InvoiceEmailAddressCC", "At most 10 CC addresses, separated by ';'.")
        for address in addresses:
            if not EMAIL.match(address):
                invalid(request, "InvoiceEmailAddressCC", f"'{address}' is not a valid e-mail "
                                                          f"address.")


def _check_delivery_type(request, data):
    kind = data.get("InvoiceDeliveryType")
    if kind == "PdfByEmail" and not (data.get("EmailAddress") or data.get("InvoiceEmailAddress")):
        invalid(request, "InvoiceDeliveryType", "InvoiceDeliveryType PdfByEmail needs an "
                                                "EmailAddress or InvoiceEmailAddress.")
    if kind == "EHF" and not data.get("OrganizationNumber"):
        invalid(request, "InvoiceDeliveryType", "InvoiceDeliveryType EHF needs the customer's "
                                                "OrganizationNumber (registered in ELMA).")
    if kind in ("AvtaleGiro", "Efaktura"):
        invalid(request, "InvoiceDeliveryType", f"InvoiceDeliveryType {kind} cannot be set; "
                                                f"the end customer sets it outside Go.")
    if kind in ("External", "Factoring"):
        invalid(request, "InvoiceDeliveryType", f"InvoiceDeliveryType {kind} needs an active "
                                                f"{kind.lower()} integration on the client.")


def _mail_address(request, tenant, given, existing):
    address = dict.fromkeys(fields.CONTACT_ADDRESS_POST)
    if given and any(value not in (None, "") for value in given.values()):
        for name in ("City", "ZipCode"):
            if not (given.get(name) or "").strip():
                invalid(request, f"MailAddress.{name}", f"The {name} field is required.")
        for name, limit in (("AddressLine1", 200), ("AddressLine2", 200), ("City", 100),
                            ("ZipCode", 50), ("ExternalCode", 50)):
            if len(given.get(name) or "") > limit:
                invalid(request, f"MailAddress.{name}", f"The field {name} must be a string "
                                                        f"with a maximum length of {limit}.")
        address.update(given)
    address_id = (existing or {}).get("Id") or store.next_id(tenant, store.ADDRESS)
    changed = existing is None or any(existing.get(k) != v for k, v in address.items())
    return {"Id": address_id, **address,
            "LastChangedDateTimeOffset": store.stamp() if changed
            else existing["LastChangedDateTimeOffset"]}


def build_customer(request, tenant, writable, existing=None):
    """The CustomerDto for Post-DTO values `writable`, checked as Go checks them."""
    own_id = existing["Id"] if existing else None
    if writable.get("IsPerson"):
        for name in ("FirstName", "LastName"):
            if not (writable.get(name) or "").strip():
                invalid(request, name, f"The {name} field is required when IsPerson is true.")
    elif not (writable.get("Name") or "").strip():
        invalid(request, "Name", "The Name field is required when the customer is a company "
                                 "(IsPerson is false).")
    reference = writable.get("ExternalImportReference")
    if reference is not None and len(reference) > 50:
        invalid(request, "ExternalImportReference", "The field ExternalImportReference must be "
                                                    "a string with a maximum length of 50.")
    scanned = _scan_customers(tenant)
    _check_unique(request, tenant, CUSTOMER, "ExternalImportReference", reference, own_id,
                  "customer", scanned)
    _check_unique(request, tenant, CUSTOMER, "ExternalNumber", writable.get("ExternalNumber"),
                  own_id, "customer", scanned)
    _check_emails(request, writable)
    _check_delivery_type(request, writable)
    allowance = writable.get("Allowance")
    if allowance is not None and not -1000 <= allowance <= 100:
        invalid(request, "Allowance", "Allowance must be between -1000 and 100.")
    currency = writable.get("CurrencyCode")
    if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", currency):
        invalid(request, "CurrencyCode", f"'{currency}' is not a valid currency code.")
    _refuse_unknown_references(request, writable, (
        ("ContactGroupIds", "Contact group"), ("SalesPersonEmployeeId", "Employee"),
        ("SalesPersonEmployeeNumber", "Employee"), ("InvoiceBrandingThemeId", "Branding theme"),
        ("InvoiceBrandingThemeCode", "Branding theme"), ("DeliveryTermId", "Delivery term"),
        ("DeliveryTerm", "Delivery term"), ("SubLedgerNumberSeriesId", "Sub-ledger series")))
    department_id, department_code = department(request, tenant, writable.get("DepartmentId"),
                                                writable.get("DepartmentCode"))
    term_id, term_days = payment_term(request, tenant, writable.get("PaymentTermId"),
                                      writable.get("PaymentTerm"))
    now = store.stamp()
    dto = dict(existing or {})
    dto.update(writable)
    name = writable.get("Name")
    if writable.get("IsPerson") and not (name or "").strip():
        name = f"{writable['FirstName'].strip()} {writable['LastName'].strip()}"
    dto.update({
        "Name": name,
        "Number": _customer_number(request, tenant, writable.get("Number"), own_id, scanned),
        "CurrencyCode": currency.upper() if currency else None,
        "IsPerson": bool(writable.get("IsPerson")),
        "IsVatFree": bool(writable.get("IsVatFree")),
        "IsArchived": bool(writable.get("IsArchived")),
        "IsActive": not writable.get("IsArchived"),
        "DepartmentId": department_id, "DepartmentCode": department_code,
        "PaymentTermId": term_id, "PaymentTerm": term_days,
        "MailAddress": _mail_address(request, tenant, writable.get("MailAddress"),
                                     (existing or {}).get("MailAddress")),
        "Id": own_id or store.next_id(tenant, CUSTOMER),
        "SubledgerAccountId": (existing or {}).get("SubledgerAccountId")
        or store.next_id(tenant, store.SUBLEDGER_ACCOUNT),
        "ContactCreatedDateTimeOffset": (existing or {}).get("ContactCreatedDateTimeOffset", now),
        "CustomerCreatedDateTimeOffset": (existing or {}).get("CustomerCreatedDateTimeOffset",
                                                              now),
        "CreatedFromImportJournalId": None,
        "LastChangedDateTimeOffset": now,
    })
    return dto


@simulator.endpoint(methods=("GET", "POST"))
def customers(request):
    tenant = request.sandbox_tenant
    if request.method == "POST":
        store.require_privilege(request, "Customer_Full")
        data = json_body(request, fields.CUSTOMER_POST)
        with transaction.atomic():
            store.lock_company(tenant)
            dto = build_customer(request, tenant, store.post_values(fields.CUSTOMER_POST, data))
            store.create(tenant, CUSTOMER, dto["Id"], dto)
        return store.created(request, public(dto, request))
    query = store.params(request)
    reference = (query.get("externalimportreference") or "").strip()
    if reference:  # the one filter a customer import uses on every job: read only the match
        rows = store.data_where(tenant, CUSTOMER, "ExternalImportReference",
                                lambda value: (value or "").casefold() == reference.casefold())
    else:
        rows = store.all_data(tenant, CUSTOMER)
    for parameter, field in (("customerNos", "Number"), ("externalNos", "ExternalNumber")):
        accepts = store.number_filter(request, parameter, query.get(parameter.lower()))
        if accepts is not None:
            rows = [row for row in rows if accepts(row.get(field))]
    if reference:
        rows = [row for row in rows
                if (row.get("ExternalImportReference") or "").casefold() == reference.casefold()]
    groups = store.number_filter(request, "contactGroupIds", query.get("contactgroupids"))
    if groups is not None:
        rows = [row for row in rows if any(groups(g) for g in row.get("ContactGroupIds") or [])]
    rows = store.changed_after(rows, store.stamp_param(
        request, "lastChangedDateTimeOffsetGreaterThan",
        query.get("lastchangeddatetimeoffsetgreaterthan")))
    rows = store.changed_after(rows, store.stamp_param(
        request, "customerCreatedDateTimeOffsetGreaterThan",
        query.get("customercreateddatetimeoffsetgreaterthan")),
        field="CustomerCreatedDateTimeOffset")
    return store.listing(request, [public(row, request) for row in rows])


def _customer_in_use(tenant, customer_id):
    return any(row.get("CustomerId") == customer_id
               for kind in (store.SALES_ORDER, store.INVOICE)
               for row in store.all_data(tenant, kind))


@simulator.endpoint(methods=("GET", "PATCH", "DELETE"))
def customer(request, customer_id):
    tenant = request.sandbox_tenant
    with transaction.atomic():
        if request.method != "GET":
            store.require_privilege(request, "Customer_Full")
            store.lock_company(tenant)
        record = store.find(tenant, CUSTOMER, customer_id)
        if record is None:
            not_found(request, f"Customer with id = {customer_id} not found.")
        if request.method == "DELETE":
            if _customer_in_use(tenant, record.data["Id"]):
                store.fail(request, 409, "Conflict", f"Customer {record.data['Number']} is in "
                                                     f"use and cannot be deleted.")
            record.delete()
            return HttpResponse(status=200)
        if request.method == "PATCH":
            writable = _writable(record.data, fields.CUSTOMER_POST, (
                ("DepartmentId", "DepartmentCode"), ("PaymentTermId", "PaymentTerm")))
            writable = jsonpatch.apply(request, writable, fields.CUSTOMER_POST)
            record.data = build_customer(request, tenant, writable, record.data)
            record.save()
    return store.one(request, public(record.data, request))


# -- products -------------------------------------------------------------------------------------

def build_product(request, tenant, writable, existing=None):
    own_id = existing["Id"] if existing else None
    name = writable.get("Name")
    if not (name or "").strip():
        invalid(request, "Name", "The Name field is required.")
    if len(name) > 400:
        invalid(request, "Name", "The field Name must be a string with a maximum length of 400.")
    code = writable.get("Code")
    if code is not None and len(code) > 100:
        invalid(request, "Code", "The field Code must be a string with a maximum length of 100.")
    _check_unique(request, tenant, PRODUCT, "Code", code, own_id, "product")
    _refuse_unknown_references(request, writable, (("ProductGroupId", "Product group"),
                                                   ("ProductGroupCode", "Product group")))
    standard = account(request, tenant, writable.get("StandardSalesAccountId"),
                       writable.get("StandardSalesAccount"), "StandardSalesAccount")
    optional = account(request, tenant, writable.get("OptionalSalesAccountId"),
                       writable.get("OptionalSalesAccount"), "OptionalSalesAccount")
    now = store.stamp()
    stock = writable.get("StockOnHand")
    old_stock = (existing or {}).get("StockOnHand")
    dto = dict(existing or {})
    dto.update(writable)
    dto.update({
        "Id": own_id or store.next_id(tenant, PRODUCT),
        "ProductType": writable.get("ProductType") or "Product",
        "IsArchived": bool(writable.get("IsArchived")),
        "IsStockItem": bool(writable.get("IsStockItem")),
        "StandardSalesAccountId": standard["Id"] if standard else None,
        "StandardSalesAccount": standard["AccountNo"] if standard else None,
        "OptionalSalesAccountId": optional["Id"] if optional else None,
        "OptionalSalesAccount": optional["AccountNo"] if optional else None,
        "ProductGroupId": None, "ProductGroupCode": None,
        "StockAvailable": stock,
        "StockOnHandLastChangedDatetimeOffset": now if stock != old_stock else
        (existing or {}).get("StockOnHandLastChangedDatetimeOffset"),
        "CreatedDateTimeOffset": (existing or {}).get("CreatedDateTimeOffset", now),
        "CreatedFromImportJournalId": None,
        "LastChangedDateTimeOffset": now,
    })
    return dto


@simulator.endpoint(methods=("GET", "POST"))
def products(request):
    tenant = request.sandbox_tenant
    if request.method == "POST":
        store.require_privilege(request, "Product_Full")
        data = json_body(request, fields.PRODUCT_POST)
        with transaction.atomic():
            store.lock_company(tenant)
            dto = build_product(request, tenant, store.post_values(fields.PRODUCT_POST, data))
            store.create(tenant, PRODUCT, dto["Id"], dto)
        return store.created(request, public(dto, request))
    query = store.params(request)
    rows = store.all_data(tenant, PRODUCT)
    for parameter, field in (("codes", "Code"), ("names", "Name"),
                             ("productGroupCodes", "ProductGroupCode")):
        wanted = {value.casefold() for value in store.text_list(query.get(parameter.lower()))}
        if wanted:
            rows = [row for row in rows if (row.get(field) or "").casefold() in wanted]
    kind = (query.get("type") or "").strip()
    if kind:
        if kind not in fields.PRODUCT_TYPES:
            invalid(request, "type", f"The value '{kind}' is not valid.")
        rows = [row for row in rows if row.get("ProductType") == kind]
    archived = store.bool_param(request, "isArchived", query.get("isarchived"))
    if archived is not None:
        rows = [row for row in rows if bool(row.get("IsArchived")) == archived]
    for parameter, field in (
            ("lastChangedDateTimeOffsetGreaterThan", "LastChangedDateTimeOffset"),
            ("createdDateTimeOffsetGreaterThan", "CreatedDateTimeOffset"),
            ("stockOnHandLastChangedDatetimeOffsetGreaterThan",
             "StockOnHandLastChangedDatetimeOffset")):
        moment = store.stamp_param(request, parameter, query.get(parameter.lower()))
        rows = store.changed_after(rows, moment, field=field)
    return store.listing(request, [public(row, request) for row in rows])


@simulator.endpoint(methods=("GET", "PATCH", "DELETE"))
def product(request, product_id):
    tenant = request.sandbox_tenant
    with transaction.atomic():
        if request.method != "GET":
            store.require_privilege(request, "Product_Full")
            store.lock_company(tenant)
        record = store.find(tenant, PRODUCT, product_id)
        if record is None:
            not_found(request, f"Product with id = {product_id} not found.")
        if request.method == "DELETE":
            in_use = any(line.get("ProductId") == record.data["Id"]
                         for order in store.all_data(tenant, store.SALES_ORDER)
                         for line in order.get("SalesOrderLines") or [])
            if in_use:
                store.fail(request, 409, "Conflict", f"Product '{record.data.get('Code')}' is "
                                                     f"in use and cannot be deleted.")
            record.delete()
            return HttpResponse(status=200)
        if request.method == "PATCH":
            writable = _writable(record.data, fields.PRODUCT_POST, (
                ("StandardSalesAccountId", "StandardSalesAccount"),
                ("OptionalSalesAccountId", "OptionalSalesAccount")))
            writable = jsonpatch.apply(request, writable, fields.PRODUCT_POST)
            record.data = build_product(request, tenant, writable, record.data)
            record.save()
    return store.one(request, public(record.data, request))
