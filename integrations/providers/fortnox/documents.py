"""Invoices and quotes (Fortnox "offers"): one flow for both. The customer and project go first
when they have no Link; rows carry the mapped VAT code and sales account; an update keeps
Fortnox's row ids; a refusal is explained with the mapping rows or the locked period behind it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from integrations.admin_links import mapping_fix_url
from integrations.errors import PermanentError
from integrations.links import find_link
from integrations.mappings import blocked_error, category_for_account
from integrations.providers.base import OperationResult
from integrations.providers.fortnox import mappers
from integrations.providers.fortnox.checks import line_mappings
from integrations.providers.fortnox.client import FortnoxClient
from integrations.providers.fortnox.exports import (
    ensure_customer,
    ensure_project,
    job_record,
    linked,
    rebuilt,
    save_link_data,
)

KEY = "fortnox"
ACCOUNT_CODES = {"2001304", "2004167"}
VAT_CODES = {"2004052", "2001265", "2002462"}


@dataclass(frozen=True)
class DocumentKind:
    record_type: str
    path: str
    wrapper: str
    rows_key: str
    quantity_field: str
    # (document, *, customer_number, reference, rows, project_number) -> payload
    payload: Callable


INVOICE = DocumentKind("invoice", "/3/invoices", "Invoice", "InvoiceRows", "DeliveredQuantity",
                       lambda invoice, **kw: mappers.invoice_payload(
                           invoice, due_date=invoice.due_date, **kw))
QUOTE = DocumentKind("quote", "/3/offers", "Offer", "OfferRows", "Quantity",
                     mappers.offer_payload)


def _rows(document, lines, quantity_field):
    mapping, problems = line_mappings(document.organization, [line.category for line in lines])
    if problems:
        raise blocked_error(problems)
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
        return rebuilt(exc, f"{exc.message} Check the {which} mapping of the line "
                            f"categories used on this {kind} ({links}).")
    if exc.status_code == 400 and date_value:
        try:
            locked = client.get_json("/3/settings/lockedperiod").get("LockedPeriod") or {}
        except Exception:  # the explanation is a courtesy; the original error stands
            return exc
        end = mappers.parse_date(locked.get("EndDate"))
        if end and date_value <= end:
            return rebuilt(exc, f"The accounting period up to {end} is locked in Fortnox, so "
                                f"a {kind} dated {date_value} cannot be stored. Change the "
                                "date, or ask the accountant to unlock the period in Fortnox. "
                                f"({exc.message})")
    return exc


def _send(provider, job, kind, update):
    """Create the document, or `update(client, number, document, payload, current)` it when
    linked. Returns (document, lines, Fortnox's document)."""
    document = job_record(job, validate_with=provider)
    lines = list(document.lines.all())
    client = FortnoxClient(provider)
    link = find_link(job.connection, kind.record_type, document.pk)
    payload = kind.payload(
        document, customer_number=ensure_customer(client, job.connection, document.customer),
        reference=job.external_reference, rows=_rows(document, lines, kind.quantity_field),
        project_number=ensure_project(client, job.connection, document.project))
    try:
        if link is None:
            remote = client.send("POST", kind.path, payload)[kind.wrapper]
        else:
            number = link.remote_id
            current = client.get_json(f"{kind.path}/{number}")[kind.wrapper]
            if current.get("Cancelled"):
                raise PermanentError(
                    f"{kind.record_type.capitalize()} {number} is cancelled in Fortnox and "
                    f"cannot be changed; create a new {kind.record_type} here instead.")
            remote = update(client, number, document, payload, current)
    except PermanentError as exc:
        raise explain(client, exc, document, lines, date_value=document.issue_date,
                      kind=kind.record_type) from None
    return document, lines, remote


def _put(kind):
    def update(client, number, document, payload, current):
        _with_row_ids(payload[kind.wrapper][kind.rows_key], current.get(kind.rows_key))
        return client.send("PUT", f"{kind.path}/{number}", payload)[kind.wrapper]

    return update


# -- invoices -----------------------------------------------------------------------------------
def _invoice_result(remote, invoice, lines, reference):
    number = str(remote.get("DocumentNumber") or "")
    synced = {"local": mappers.invoice_values(invoice, lines),
              "remote": mappers.invoice_values_from_remote(
                  remote, category_for_account=category_for_account(invoice.organization, KEY))}
    status = mappers.invoice_status(remote, today=timezone.localdate())
    return OperationResult(remote_id=number, remote_number=number, data={
        "link_data": synced, "reference": reference,
        "status": {k: str(v) if v is not None else None for k, v in status.items()}})


def _update_invoice(client, number, invoice, payload, current):
    if invoice.status == "cancelled":
        if current.get("Booked"):
            raise PermanentError(f"Invoice {number} is booked in Fortnox, so it cannot be "
                                 "cancelled; credit it in Fortnox instead.")
        return client.send("PUT", f"/3/invoices/{number}/cancel", None)["Invoice"]
    if current.get("Booked"):
        raise PermanentError(f"Invoice {number} is booked in Fortnox, so it can no longer be "
                             "changed. Credit it in Fortnox and send a new invoice.")
    return _put(INVOICE)(client, number, invoice, payload, current)


def export_invoice(provider, job):
    invoice, lines, remote = _send(provider, job, INVOICE, _update_invoice)
    return _invoice_result(remote, invoice, lines, job.external_reference)


def _number_key(row):
    number = str(row.get("DocumentNumber") or "")
    return (len(number), number)


def find_invoice(provider, job):
    if linked(job):
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
    invoice = job_record(job)
    return _invoice_result(remote, invoice, list(invoice.lines.all()), job.external_reference)


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


# -- quotes -------------------------------------------------------------------------------------
def export_quote(provider, job):
    _quote, _lines, remote = _send(provider, job, QUOTE, _put(QUOTE))
    number = str(remote.get("DocumentNumber") or "")
    return OperationResult(remote_id=number, remote_number=number)


def find_quote(provider, job):
    """Offers have no searchable hidden field: list the customer's offers of that date and
    compare `YourReferenceNumber` exactly on each."""
    if linked(job):
        return None
    quote = job_record(job)
    customer_link = find_link(job.connection, "customer", quote.customer_id)
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
