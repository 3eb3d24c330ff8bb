"""What needs attention, for the home page (`{% home_attention %}`): connections that must be
authorized again, sends that failed, contracts waiting to be invoiced, overdue payments. Each
item links to where it is dealt with; a section is shown only when the organization has that
kind of work at all (a builder has no contracts), so the page follows what it does."""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounting.models import Invoice
from accounting.recordpages import url_for
from contracts.models import AccountingState, Contract
from integrations.models import Connection, SyncJob
from integrations.providers import registry
from integrations.views.records import label_for, model_for
from integrations.views.recordsync import job_view

LIMIT = 10
OPEN_INVOICE = (Invoice.Status.SENT, Invoice.Status.INVOICED, Invoice.Status.PARTLY_PAID,
                Invoice.Status.OVERDUE)
RECORD_SINGULAR = {
    "customer": gettext_lazy("Customer"), "project": gettext_lazy("Project"),
    "employee": gettext_lazy("Employee"), "time_entry": gettext_lazy("Time entry"),
    "quote": gettext_lazy("Quote"), "invoice": gettext_lazy("Invoice"),
    "payslip": gettext_lazy("Payslip"), "contract": gettext_lazy("Contract"),
    "order": gettext_lazy("Order"), "product": gettext_lazy("Product"),
}


def _settings_url(connection):
    try:
        cls = registry.get(connection.provider)
        if cls.settings_url_name:
            return reverse(cls.settings_url_name)
    except (LookupError, NoReverseMatch):
        pass
    return reverse("integrations:page")


def reauthorize(organization):
    rows = (Connection.objects.for_org(organization)
            .filter(status=Connection.Status.NEEDS_REAUTH).order_by("provider"))
    return [{"text": _("%(name)s must be connected again.") % {"name": c.provider_name},
             "url": _settings_url(c), "link_text": _("Connect again")} for c in rows]


def _record_url(organization, record_type, local_id):
    model = model_for(record_type)
    if model is None or not str(local_id).isdigit():
        return ""
    record = model.objects.for_org(organization).filter(pk=int(local_id)).first()
    return url_for(record) if record is not None else ""


def failed_sends(organization, request):
    jobs = (SyncJob.objects.for_org(organization).select_related("connection")
            .filter(status__in=SyncJob.RETRYABLE_BY_HAND).order_by("-updated_at", "-pk"))
    items = []
    for job in jobs[:LIMIT]:
        what = RECORD_SINGULAR.get(job.record_type) or label_for(job.record_type)
        items.append({
            "text": _("%(what)s %(id)s to %(name)s") % {
                "what": what, "id": job.local_id, "name": job.connection.provider_name},
            "url": _record_url(organization, job.record_type, job.local_id),
            "link_text": _("Open"), "job": job_view(job, request),
        })
    return items


def contracts_to_invoice(organization):
    """Signed contracts not sent yet, and orders not invoiced yet."""
    ordered = (Contract.objects.for_org(organization)
               .filter(accounting_state=AccountingState.ORDER).order_by("-updated_at"))
    signed = (Contract.objects.for_org(organization)
              .filter(status=Contract.Status.SIGNED, accounting_state=AccountingState.DRAFT)
              .order_by("-signed_on", "-pk"))
    items = [{"text": _("%(contract)s: the order is in the accounting system, not invoiced "
                        "yet.") % {"contract": c}, "url": url_for(c)} for c in ordered[:LIMIT]]
    items += [{"text": _("%(contract)s: signed, not sent to the accounting system yet.")
               % {"contract": c}, "url": url_for(c)} for c in signed[:LIMIT]]
    return items


def overdue(organization):
    today = timezone.localdate()
    items = []
    contracts = Contract.objects.for_org(organization).filter(
        accounting_state__in=[AccountingState.OVERDUE, AccountingState.SENT,
                              AccountingState.INVOICED, AccountingState.PARTLY_PAID],
        invoice_due_date__lt=today, amount_remaining__gt=0).order_by("invoice_due_date")
    for c in contracts[:LIMIT]:
        due = date_format(c.invoice_due_date, "SHORT_DATE_FORMAT")
        items.append({"text": _("%(record)s: due %(date)s") % {"record": c, "date": due},
                      "url": url_for(c), "link_text": _("Open"), "due": c.invoice_due_date})
    invoices = Invoice.objects.for_org(organization).filter(
        status__in=OPEN_INVOICE, due_date__lt=today, remaining_amount__gt=0,
    ).order_by("due_date")
    for invoice in invoices[:LIMIT]:
        items.append({"text": _("Invoice %(number)s: due %(date)s") % {
            "number": invoice.number,
            "date": date_format(invoice.due_date, "SHORT_DATE_FORMAT")}, "url": url_for(invoice),
            "link_text": _("Open"), "due": invoice.due_date})
    return items


def sections(request):
    """[{"key", "title", "items", "empty"}]: the home page's sections for this organization."""
    organization = request.organization
    has_contracts = Contract.objects.for_org(organization).exists()
    has_invoices = has_contracts or Invoice.objects.for_org(organization).exists()
    result = [
        {"key": "reauth", "title": _("Connections to authorize again"),
         "items": reauthorize(organization), "empty": ""},
        {"key": "failed", "title": _("Failed sends"), "items": failed_sends(organization,
                                                                            request),
         "empty": _("Nothing failed.")},
    ]
    if has_contracts:
        result.append({"key": "to-invoice", "title": _("Contracts waiting to be invoiced"),
                       "items": contracts_to_invoice(organization),
                       "empty": _("No contract is waiting.")})
    if has_invoices:
        result.append({"key": "overdue", "title": _("Overdue payments"),
                       "items": overdue(organization), "empty": _("Nothing is overdue.")})
    return [s for s in result if s["items"] or s["empty"]]
