"""Customer invoices out to Visma eAccounting: a draft, then converted with its totals guard.

Why drafts and not `POST /customerinvoices`: Visma takes no VAT code on a row (VAT comes from
the row's article and the customer), so what Visma computes can drift from what we mean (a
changed article, another rate, its rounding). Converting a draft accepts the totals we expect
(`CustomerInvoiceDraftValidationApi`: each row without VAT, the invoice's VAT) and refuses when
Visma's own differ, so a wrong VAT never reaches the books; the direct create would book it at
once, and a booked invoice can only be credited. The price is a second request per invoice,
on another endpoint (its own 600 per minute).

Our reference `hub-<org>-invoice-<id>` goes in `OurReference` of the draft and so of the
invoice. After an unknown outcome (`find_invoice`), and on any attempt after a failed one, we
look before creating: the invoices modified since just before the job was made
(`modifiedSinceUtc`), then the drafts, both compared exactly. A draft found is converted; a
draft whose conversion was refused is deleted, so a fixed mapping and "Retry" start clean.
"""

from contextlib import suppress
from datetime import timedelta

from django.utils import timezone

from integrations.admin_links import mapping_fix_url
from integrations.errors import PermanentError, ProviderError
from integrations.links import find_link
from integrations.mappings import blocked_error
from integrations.models import SyncJob
from integrations.providers.base import OperationResult
from integrations.providers.visma_eaccounting import checks, mappers
from integrations.providers.visma_eaccounting.client import VismaClient
from integrations.providers.visma_eaccounting.exports import (
    KEY,
    ensure_article,
    ensure_customer,
    job_record,
    linked,
    rebuilt,
    save_link_data,
    vat_rates,
)

DRAFTS, INVOICES = "/v2/customerinvoicedrafts", "/v2/customerinvoices"
LOCKED_CODES = {"4013", "4026", "4038", "3001"}
ACCOUNT_CODES = {"3002"}
LOOKBACK = timedelta(hours=1)  # clock skew between us and Visma, with room
KEEP_DATE = {"keepOriginalDraftDate": "true", "overrideCompanyKeepOriginalDraftDate": "true"}


def _fix_urls(organization, category):
    return {kind: mapping_fix_url(organization=organization, provider=KEY, category=category,
                                  kind=kind) for kind in ("vat", "account")}


class Prepared:
    """What a draft needs, read and sent first: the customer, the articles, the rows and the
    totals we expect."""

    def __init__(self, provider, job):
        self.job = job
        self.invoice = job_record(job, validate_with=provider)
        self.lines = list(self.invoice.lines.all())
        self.client = VismaClient(provider)
        organization = self.invoice.organization
        mapping, problems = checks.line_mappings(organization,
                                                 [line.category for line in self.lines])
        if problems:
            raise blocked_error(problems)
        known = vat_rates(self.client)
        self.rates, articles = {}, {}
        for category, (vat_code, account) in sorted(mapping.items()):
            urls = _fix_urls(organization, category)
            if vat_code not in known:
                raise PermanentError(
                    f"The VAT code '{vat_code}' mapped for the line category '{category}' is not "
                    f"one of the Visma eAccounting company's VAT codes. Pick one: {urls['vat']}")
            self.rates[category] = known[vat_code]
            articles[category] = ensure_article(self.client, category, vat_code=vat_code,
                                                account=account, rate=known[vat_code],
                                                fix_urls=urls)
        customer_id = ensure_customer(self.client, job.connection, self.invoice.customer)
        rows = [mappers.draft_row(line, number=n, article_id=articles[line.category])
                for n, line in enumerate(self.lines, start=1)]
        self.payload = mappers.draft_payload(self.invoice, customer_id=customer_id,
                                             reference=job.external_reference, rows=rows)
        self.guard = mappers.expected_totals(self.lines, self.rates)

    def explain(self, exc, *, converting=False):
        """A refusal said so a person can fix it: the mappings behind an account or VAT
        mismatch, the locked period behind a date."""
        organization = self.invoice.organization
        categories = sorted({line.category for line in self.lines})
        if converting or exc.code in ACCOUNT_CODES:
            which = "account" if exc.code in ACCOUNT_CODES else "vat"
            links = "; ".join(f"'{c}': {_fix_urls(organization, c)[which]}" for c in categories)
            what = ("Visma eAccounting computed other totals than the hub (the articles' VAT "
                    "or rounding differ from the mapping), so the invoice was not booked."
                    if converting and which == "vat" else exc.message)
            return rebuilt(exc, f"{what} Check the {which} mapping of the line categories on "
                                f"this invoice ({links}). Visma: {exc.message}")
        if exc.code in LOCKED_CODES:
            return rebuilt(exc, f"{exc.message} The invoice is dated "
                                f"{self.invoice.issue_date}: change the date, or ask the "
                                "accountant to open the period or add the fiscal year in Visma "
                                "eAccounting.")
        return exc

    def convert(self, draft_id):
        try:
            # Our invoice date, not the day of conversion (Visma's default).
            return self.client.send("POST", f"{DRAFTS}/{draft_id}/convert", self.guard,
                                    params=KEEP_DATE)
        except PermanentError as exc:
            # Refused for good: remove the draft, so the next attempt does not find it.
            with suppress(ProviderError):
                self.client.request("DELETE", f"{DRAFTS}/{draft_id}")
            raise self.explain(exc, converting=True) from None


def result_of(remote, invoice, lines):
    number = str(remote.get("InvoiceNumber") or "")
    synced = {"local": mappers.invoice_values(invoice, lines),
              "remote": mappers.invoice_values_from_remote(remote)}
    status = mappers.invoice_status(remote, today=timezone.localdate())
    return OperationResult(remote_id=str(remote["Id"]), remote_number=number, data={
        "link_data": synced,
        "status": {k: str(v) if v is not None else None for k, v in status.items()}})


def invoice_by_reference(client, reference, *, since):
    for row in client.iterate(INVOICES, {"modifiedSinceUtc": mappers.query_time(since)}):
        if row.get("OurReference") == reference:
            return row
    return None


def draft_by_reference(client, reference):
    for row in client.iterate(DRAFTS):
        if row.get("OurReference") == reference:
            return row
    return None


def _earlier(prepared_or_client, job):
    """What an earlier attempt left: (invoice, None) or (None, draft) or (None, None)."""
    client = prepared_or_client
    since = job.created_at - LOOKBACK
    invoice = invoice_by_reference(client, job.external_reference, since=since)
    if invoice is not None:
        return invoice, None
    return None, draft_by_reference(client, job.external_reference)


def _tried_before(job):
    row = SyncJob.objects.filter(pk=job.pk).values("attempts", "last_error").first() or {}
    return (row.get("attempts") or 0) > 1 or bool(row.get("last_error"))


def export_invoice(provider, job):
    if linked(job):
        return _linked_invoice(provider, job)
    prepared = Prepared(provider, job)
    if _tried_before(job):
        invoice, draft = _earlier(prepared.client, job)
        if invoice is not None:
            return result_of(invoice, prepared.invoice, prepared.lines)
        if draft is not None:
            remote = prepared.convert(draft["Id"])
            return result_of(remote, prepared.invoice, prepared.lines)
    try:
        draft = prepared.client.send("POST", DRAFTS, prepared.payload)
    except PermanentError as exc:
        raise prepared.explain(exc) from None
    remote = prepared.convert(draft["Id"])
    return result_of(remote, prepared.invoice, prepared.lines)


def find_invoice(provider, job):
    """After an unknown outcome: the invoice (adopted), or the draft (converted now)."""
    if linked(job):
        return None
    client = VismaClient(provider)
    invoice, draft = _earlier(client, job)
    if invoice is not None:
        record = job_record(job)
        return result_of(invoice, record, list(record.lines.all()))
    if draft is not None:
        prepared = Prepared(provider, job)
        return result_of(prepared.convert(draft["Id"]), prepared.invoice, prepared.lines)
    return None


def _linked_invoice(provider, job):
    """A Visma invoice is booked when it is made: it can be read again, never changed."""
    invoice = job_record(job)
    lines = list(invoice.lines.all())
    link = find_link(job.connection, "invoice", invoice.pk)
    client = VismaClient(provider)
    remote = client.get_or_none(f"{INVOICES}/{link.remote_id}")
    if remote is None:
        raise PermanentError(f"Invoice {link.remote_number or link.remote_id} no longer exists "
                             "in Visma eAccounting.")
    agreed = ((link.data or {}).get("local") or {})
    if agreed and agreed != mappers.invoice_values(invoice, lines):
        raise PermanentError(
            f"Invoice {link.remote_number} is booked in Visma eAccounting, so it can no longer "
            "be changed. Credit it in Visma eAccounting and send a new invoice.")
    return result_of(remote, invoice, lines)


def invoice_done(provider, job, result):
    """on_success: the snapshot, Visma's invoice number (if we had none) and its status."""
    from accounting.models import Invoice

    save_link_data(provider, job, result)
    invoices = Invoice.objects.for_org(job.organization).filter(pk=job.local_id)
    if result.remote_number:
        invoices.filter(number="").update(number=result.remote_number)
    status = result.data.get("status") or {}
    values = {k: (v == "True" if k == "booked" else v) for k, v in status.items()
              if k in ("booked", "status", "remaining_amount", "paid_amount", "due_date",
                       "final_pay_date")}
    invoices.update(**values)
