"""Customers and the articles invoice rows need, out to Visma eAccounting; what every export
shares. Invoices are in invoices.py.

Exactly one remote object per record, without idempotency keys (Visma has none):
- a customer gets our customer number (`H<id>`, Visma's `CustomerNumber` is unique), but first
  we look for it: by that number (an earlier attempt whose answer was lost), then by
  organization number, e-mail or phone (the customer already kept in Visma by hand), compared
  exactly after normalizing; only then is it created. A taken number is explained.
- an article per line category (`HUB-<CATEGORY>`, `Number` unique), looked up before creating.
"""

from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from integrations.errors import PermanentError
from integrations.links import find_link, local_record, store_link
from integrations.models import AccountingSettings, Link
from integrations.providers.base import OperationResult
from integrations.providers.visma_eaccounting import checks, mappers
from integrations.providers.visma_eaccounting.client import VismaClient, envelope

KEY = "visma_eaccounting"
REFERENCE_TTL = 300  # seconds reference lists (terms, units, codings, VAT codes) are cached
CONFLICT = "4000"
RECORDS = {"customer": ("Customer", ()), "invoice": ("Invoice", ("customer",))}


# -- shared by every export -------------------------------------------------------------------
def job_record(job, *, validate_with=None):
    model_name, related = RECORDS[job.record_type]
    model = apps.get_model("accounting", model_name)
    record = local_record(model.objects.select_related(*related), job.organization,
                          job.local_id, label=job.record_type)
    if validate_with is not None:
        checks.check(validate_with, job.record_type, record)
    return record


def linked(job):
    return find_link(job.connection, job.record_type, job.local_id) is not None


def rebuilt(exc, message):
    return PermanentError(message, status_code=exc.status_code, code=exc.code, raw=exc.raw,
                          raw_text=exc.raw_text)


def save_link_data(provider, job, result):
    """on_success: the values both sides agreed on, for conflicts next time."""
    Link.objects.filter(connection=job.connection, record_type=job.record_type,
                        local_id=job.local_id).update(
        data=result.data.get("link_data") or {}, remote_modified_at=timezone.now())


def reference_list(client, path):
    """A small reference list of the company (all rows), cached for five minutes."""
    key = f"visma-ref:{client.connection.pk}:{client.connection.remote_tenant_id}:{path}"
    rows = cache.get(key)
    if rows is None:
        rows = list(client.iterate(path))
        cache.set(key, rows, REFERENCE_TTL)
    return rows


def odata_eq(field, value):
    return f"{field} eq {mappers.odata_string(value)}"


# -- customers ----------------------------------------------------------------------------------
def terms_of_payment_id(client, organization):
    """The company's sales terms with the organization's number of days (else the nearest)."""
    days = (AccountingSettings.objects.for_org(organization).filter(provider=KEY)
            .values_list("payment_terms_days", flat=True).first()) or 30
    terms = [t for t in reference_list(client, "/v2/termsofpayments")
             if t.get("AvailableForSales", True) and t.get("TermsOfPaymentTypeId", 0) == 0]
    if not terms:
        raise PermanentError("The Visma eAccounting company has no terms of payment for sales; "
                             "add one in Visma eAccounting (Settings -> Terms of payment).")
    return min(terms, key=lambda t: abs(int(t.get("NumberOfDays") or 0) - days))["Id"]


def _customer_result(remote, customer):
    synced = {"local": mappers.customer_values(customer),
              "remote": mappers.customer_values_from_remote(remote)}
    return OperationResult(remote_id=str(remote["Id"]),
                           remote_number=str(remote.get("CustomerNumber") or ""),
                           data={"link_data": synced})


def _first(client, expression, wanted):
    for row in client.iterate("/v2/customers", {"$filter": expression}):
        if wanted(row):
            return row
    return None


def _ours(customer, row):
    """Whether a Visma customer carrying our number is ours (an earlier attempt's), not one a
    person numbered so by hand: the same name, organization number, e-mail or phone."""
    return (row.get("Name") or "").strip().lower() == mappers.cut(
        customer.name, mappers.LIMITS["name"]).strip().lower() or mappers.same_customer(
        customer, row)


def _by_number(client, customer):
    number = mappers.customer_number(customer)
    return _first(client, odata_eq("CustomerNumber", number),
                  lambda row: row.get("CustomerNumber") == number)


def find_customer_remote(client, customer):
    """Visma's copy of this customer: our number first (compared exactly: Visma's filter
    ignores case), then the same organization number, e-mail or phone. A customer holding our
    number that is somebody else is refused with what to do."""
    found = _by_number(client, customer)
    if found is not None:
        if not _ours(customer, found):
            raise PermanentError(
                f"Visma eAccounting customer number {found.get('CustomerNumber')}, which the hub "
                f"uses for '{customer.name}', is taken by '{found.get('Name')}'. Link the "
                "customer to the right Visma customer in admin (Links), or renumber the one in "
                "Visma eAccounting.")
        return found
    terms = []
    if customer.org_number:
        terms.append(odata_eq("CorporateIdentityNumber", customer.org_number))
    if customer.email:
        terms.append(odata_eq("EmailAddress", customer.email))
    if customer.phone:
        terms.append(odata_eq("Telephone", customer.phone))
    if not terms:
        return None
    return _first(client, " or ".join(terms), lambda row: mappers.same_customer(customer, row))


def _put_customer(client, remote_id, customer, current, organization):
    payload = mappers.customer_payload(
        customer, number=current.get("CustomerNumber") or mappers.customer_number(customer),
        terms_of_payment_id=terms_of_payment_id(client, organization), current=current)
    return client.send("PUT", f"/v2/customers/{remote_id}", payload)


def upsert_customer(client, customer, *, link):
    organization = customer.organization
    if link is not None:
        current = client.get_or_none(f"/v2/customers/{link.remote_id}")
        if current is None:
            raise PermanentError(
                f"The customer '{customer.name}' was deleted in Visma eAccounting. Remove its "
                "link in admin (Links) to create it again.")
        return _customer_result(_put_customer(client, link.remote_id, customer, current,
                                              organization), customer)
    existing = find_customer_remote(client, customer)
    if existing is not None:
        return _customer_result(_put_customer(client, existing["Id"], customer, existing,
                                              organization), customer)
    number = mappers.customer_number(customer)
    payload = mappers.customer_payload(
        customer, number=number, terms_of_payment_id=terms_of_payment_id(client, organization))
    try:
        remote = client.send("POST", "/v2/customers", payload)
    except PermanentError as exc:
        if exc.code != CONFLICT:
            raise explain_customer(exc, customer) from None
        raise rebuilt(exc, f"Visma eAccounting customer number {number}, which the hub uses for "
                           f"'{customer.name}', is taken by another customer. Link the customer "
                           "to the right Visma customer in admin (Links), or renumber the one "
                           "in Visma eAccounting.") from None
    return _customer_result(remote, customer)


# Visma's field -> ours, for a refusal that names a customer field.
CUSTOMER_FIELDS = {"name": "name", "invoicepostalcode": "postal code", "invoicecity": "city",
                   "corporateidentitynumber": "organization number", "vatnumber": "VAT number",
                   "emailaddress": "e-mail", "telephone": "phone", "invoiceaddress1": "address"}


def explain_customer(exc, customer):
    """A refusal that names one of the customer's fields: say which, and link its page."""
    _code, _message, _id, errors = envelope(exc.raw)
    fields = sorted({CUSTOMER_FIELDS[f] for f in
                     (str(e.get("Field") or "").lower().split(".")[-1] for e in errors)
                     if f in CUSTOMER_FIELDS})
    if not fields and exc.code != "4025":
        return exc
    fields = fields or ["VAT number"]
    url = checks.customer_url(customer)
    return rebuilt(exc, f"{exc.message} Fix the customer's {', '.join(fields)} here"
                        f"{': ' + url if url else ''} and send again.")


def export_customer(provider, job):
    customer = job_record(job, validate_with=provider)
    client = VismaClient(provider)
    return upsert_customer(client, customer, link=find_link(job.connection, "customer",
                                                            customer.pk))


def find_customer(provider, job):
    """An earlier attempt's customer: only by our own number (a match by organization number
    is the export's own step, which runs next)."""
    if linked(job):
        return None
    customer = job_record(job)
    found = _by_number(VismaClient(provider), customer)
    return _customer_result(found, customer) if found and _ours(customer, found) else None


def ensure_customer(client, connection, customer):
    """The Visma id of an invoice's customer: its link, else sent and linked now."""
    link = find_link(connection, "customer", customer.pk)
    if link is not None:
        return link.remote_id
    result = upsert_customer(client, customer, link=None)
    store_link(connection, "customer", customer.pk, result.remote_id,
               remote_number=result.remote_number, data=result.data.get("link_data") or {},
               remote_modified_at=timezone.now())
    return result.remote_id


# -- articles -----------------------------------------------------------------------------------
def vat_rates(client):
    """{VAT code: rate in percent} of the company."""
    return {str(v.get("Code")): mappers.rate_percent(v.get("VatRate"))
            for v in reference_list(client, "/v2/vatcodes")}


def _unit_id(client, category):
    units = reference_list(client, "/v2/units")
    wanted = ("tim", "h") if category in ("service", "labor", "labour", "work") else ("st",)
    for unit in units:
        if str(unit.get("Code") or "").lower() in wanted:
            return unit["Id"]
    if not units:
        raise PermanentError("The Visma eAccounting company has no units; add one in Visma "
                             "eAccounting (Settings -> Units).")
    return units[0]["Id"]


def ensure_article(client, category, *, vat_code, account, rate, fix_urls):
    """The id of our article for a line category, created with the coding (sales category)
    that books on the mapped account at the mapped VAT rate."""
    number = mappers.article_number(category)
    key = (f"visma-article:{client.connection.pk}:{client.connection.remote_tenant_id}:"
           f"{number}:{account}:{vat_code}")
    found = cache.get(key)
    if found is None:
        found = _create_article(client, category, number, vat_code=vat_code, account=account,
                                rate=rate, fix_urls=fix_urls)
        cache.set(key, found, REFERENCE_TTL)
    return found


def _create_article(client, category, number, *, vat_code, account, rate, fix_urls):
    for row in client.iterate("/v2/articles", {"$filter": odata_eq("Number", number)}):
        if row.get("Number") == number:
            return row["Id"]
    codings = [c for c in reference_list(client, "/v2/articleaccountcodings")
               if c.get("IsActive", True)
               and mappers.coding_matches(c, account=account, rate=rate)]
    if not codings:
        raise PermanentError(
            f"Visma eAccounting has no sales category (article account coding) that books on "
            f"account {account} with VAT {rate} % (VAT code {vat_code}) for the line category "
            f"'{category}'. Change the mapping ({fix_urls['account']}, {fix_urls['vat']}) or "
            "add the sales category in Visma eAccounting.")
    try:
        created = client.send("POST", "/v2/articles", mappers.article_payload(
            category, label=category.capitalize(), coding_id=codings[0]["Id"],
            unit_id=_unit_id(client, category)))
    except PermanentError as exc:
        if exc.code != CONFLICT:  # else another job created it a moment ago: use that one
            raise
        for row in client.iterate("/v2/articles", {"$filter": odata_eq("Number", number)}):
            if row.get("Number") == number:
                return row["Id"]
        raise
    return created["Id"]
