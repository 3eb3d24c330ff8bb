"""Customers and invoices back from Fortnox: the hooks of the shared importer
(`integrations.importing`, last write wins with the losing values kept), run by a `lastmodified`
poll (`Fortnox.poll`, scheduled by the core poll loop) and one record at a time
(`Fortnox.import_record`, for webhooks).

Last write wins, Fortnox's way: its records carry no modification time, but its `lastmodified`
filter does (to the minute, Stockholm time), so a conflict asks Fortnox whether the record was
modified at or after our record's `updated_at`. A tie within the same minute goes to Fortnox.

Payment status (balance, final pay date, booked, cancelled, due date, partly paid, overdue) is
Fortnox's alone: it is copied on every import, never a conflict. Payments are also listed by
their own `lastmodified`, so a payment reaches the invoice even if Fortnox did not touch the
invoice's modification time, and an invoice that merely passed its due date turns overdue here.

What a poll costs. The `lastmodified` lists are read page by page (500 rows); a page's links and
local records are one query each. Fortnox's list rows are summaries (fact sheet §5, the spec's
`*ListItem` schemas), so some fields force a GET of the one record:
- customers: `Type` and `CountryCode` (our kind and country) are not in a list row, so a
  changed customer is always read in full;
- invoices: `InvoiceRows`, `OurReference` and `YourReference` are not in a list row, so a new
  invoice, and a changed one that is not booked, is read in full. A booked (or cancelled)
  invoice cannot be edited in Fortnox, only paid, credited or sent, so when its list row
  differs from the one we kept only in the fields payment and sending move
  (`STATUS_LIST_FIELDS`), the row is applied as it is; and when it does not differ at all it
  is the same change listed again (`lastmodified` is to the minute and inclusive), so nothing
  is read. An unbooked invoice listed again unchanged is still read: an edit of its rows in
  the same minute after our last read would look the same in the list.
So a poll where nothing changed is three requests (customers, invoices, payments), and paid
invoices cost no request beyond those lists.

New invoices (and customers) are made a page at a time (`importing.Importer.create_page`):
their customers and projects are resolved once per page, and the page's invoices, their lines,
links and sync-log lines are one insert each. Each new invoice still costs its GET (its rows).
"""

from django.utils import timezone

from integrations import importing
from integrations.links import links_by_remote, local_records
from integrations.mappings import category_for_account
from integrations.providers.fortnox import mappers
from integrations.providers.fortnox.client import FortnoxClient, fortnox_time

KEY = "fortnox"
IMPORT_TYPES = ("customer", "invoice")
# The invoice list row's fields (the spec's fortnox_InvoiceListItem, less @url) ...
INVOICE_LIST_FIELDS = (
    "Balance", "Booked", "Cancelled", "CostCenter", "Currency", "CurrencyRate", "CurrencyUnit",
    "CustomerName", "CustomerNumber", "DocumentNumber", "DueDate", "ExternalInvoiceReference1",
    "ExternalInvoiceReference2", "FinalPayDate", "InvoiceDate", "InvoiceType", "NoxFinans", "OCR",
    "Project", "Sent", "TermsOfPayment", "Total", "VoucherNumber", "VoucherSeries",
    "VoucherYear", "WayOfDelivery")
# ... and those of them that payments, sending and bookkeeping move on an invoice that can no
# longer be edited. A change in any other list field (Total, dates, customer...) means the
# invoice itself was edited, and its rows and references are read too.
STATUS_LIST_FIELDS = frozenset({
    "Balance", "FinalPayDate", "Sent", "Cancelled", "DueDate", "NoxFinans", "VoucherNumber",
    "VoucherSeries", "VoucherYear", "WayOfDelivery"})


class FortnoxImporter(importing.Importer):
    list_path = ""
    collection = ""
    wrapper = ""
    id_field = ""
    search_param = ""

    def __init__(self, provider, client=None):
        super().__init__(provider)
        self.client = client or FortnoxClient(provider, patient=True)

    def changed_rows(self, since):
        params = {"lastmodified": fortnox_time(since)} if since else {}
        for rows in self.client.pages(self.list_path, self.collection, params):
            yield [(row.get(self.id_field), row) for row in rows]

    def fetch(self, remote_id):
        body = self.client.get_or_none(f"{self.list_path}/{remote_id}")
        return (body or {}).get(self.wrapper)

    def remote_wins(self, remote_id, remote, local):
        """Fortnox's version wins if Fortnox modified the record at or after our last change
        (its `lastmodified` filter is the only modification time it gives, to the minute)."""
        params = {self.search_param: remote_id, "lastmodified": fortnox_time(local.updated_at)}
        return any(str(row.get(self.id_field)) == remote_id
                   for row in self.client.iterate(self.list_path, self.collection, params))

    def write_fields(self, local, values):
        self.local_model().objects.for_org(self.organization).filter(pk=local.pk).update(
            **values)


class CustomerImporter(FortnoxImporter):
    record_type = "customer"
    list_path = "/3/customers"
    collection = "Customers"
    wrapper = "Customer"
    id_field = "CustomerNumber"
    search_param = "customernumber"
    fields = mappers.CUSTOMER_FIELDS

    def local_model(self):
        from accounting.models import Customer

        return Customer

    def local_values(self, local):
        return mappers.customer_values(local)

    def remote_values(self, remote):
        return mappers.customer_values_from_remote(remote)

    def reference_of(self, remote):
        return remote.get("ExternalReference") or ""

    def create_local(self, remote, prepared):
        return self.local_model().objects.create(organization=self.organization,
                                                 **self.remote_values(remote))

    def new_local(self, remote, prepared):
        return self.local_model()(organization=self.organization, **self.remote_values(remote))

    def write_local(self, local, changes):
        self.write_fields(local, changes)


class InvoiceImporter(importing.InvoicesWithLines, FortnoxImporter):
    record_type = "invoice"
    list_path = "/3/invoices"
    collection = "Invoices"
    wrapper = "Invoice"
    id_field = "DocumentNumber"
    search_param = "documentnumber"
    fields = mappers.INVOICE_FIELDS
    customer_importer = CustomerImporter

    def __init__(self, provider, client=None):
        super().__init__(provider, client)
        self.categories = category_for_account(self.organization, KEY)
        self.today = timezone.localdate()
        self.projects = {}  # project number -> local project or None, for the run

    def invoice_status(self, remote):
        return mappers.invoice_status(remote, today=self.today)

    def customer_of(self, remote):
        return str(remote.get("CustomerNumber") or "")

    def local_values(self, local):
        return mappers.invoice_values(local)

    def remote_values(self, remote):
        return mappers.invoice_values_from_remote(remote, category_for_account=self.categories)

    def reference_of(self, remote):
        return remote.get("ExternalInvoiceReference1") or ""

    def seen_data(self, row):
        """Digests of the list row (whole, and without the status fields) and whether it was
        booked or cancelled; from a whole record, the same fields of it."""
        values = {name: row.get(name) for name in INVOICE_LIST_FIELDS}
        fixed = {k: v for k, v in values.items() if k not in STATUS_LIST_FIELDS}
        return {"row": importing.digest(values), "fixed": importing.digest(fixed),
                "locked": bool(row.get("Booked") or row.get("Cancelled"))}

    def row_decision(self, link, row):
        kept = (link.data or {}).get("seen") or {}
        now = self.seen_data(row)
        if not kept.get("locked") or not now["locked"]:
            return importing.FETCH
        if kept.get("row") == now["row"]:
            return importing.SKIP
        if kept.get("fixed") == now["fixed"]:
            return importing.FROM_LIST
        return importing.FETCH

    def prepare_create(self, remote):
        return self.prepare_creates([remote])[0]

    def prepare_creates(self, remotes):
        """(customer, project) of each new invoice, resolved once per page: the links and
        records in bulk, a customer not imported yet read from Fortnox (before the
        transaction)."""
        customers = self.resolve_customers([self.customer_of(remote) for remote in remotes])
        self._resolve_projects([str(remote.get("Project") or "") for remote in remotes])
        return [(customers[self.customer_of(remote)],
                 self.projects.get(str(remote.get("Project") or ""))) for remote in remotes]

    def _resolve_projects(self, numbers):
        from accounting.models import Project

        missing = sorted({n for n in numbers if n and n not in self.projects})
        if missing:
            found = importing.linked_locals(self.connection, "project", Project, missing)
            self.projects.update({n: found.get(n) for n in missing})

    def new_local(self, remote, prepared):
        """The invoice with its payment status (no per-row logic needs a save)."""
        from accounting.models import Currency

        customer, project = prepared
        currency = remote.get("Currency") if remote.get("Currency") in Currency.values else (
            self.organization.currency)
        values = self.remote_values(remote)
        return self.local_model()(
            organization=self.organization, customer=customer, project=project,
            number=str(remote.get("DocumentNumber") or ""), currency=currency,
            issue_date=mappers.parse_date(remote.get("InvoiceDate")) or self.today,
            our_reference=values["our_reference"], your_reference=values["your_reference"],
            **self.invoice_status(remote))

    def after_run(self, since, counts):
        """Payments listed on their own, then invoices that passed their due date."""
        from accounting.models import InvoicePayment

        params = {"lastmodified": fortnox_time(since)} if since else {}
        payments = list(self.client.iterate("/3/invoicepayments", "InvoicePayments", params))
        links = links_by_remote(self.connection, "invoice",
                                [payment.get("InvoiceNumber") for payment in payments])
        invoices = local_records(self.local_model(), self.organization,
                                 [link.local_id for link in links.values()])
        references = {f"Fortnox payment {payment.get('Number')}" for payment in payments}
        known = set(InvoicePayment.objects.filter(organization=self.organization,
                                                  reference__in=references)
                    .values_list("invoice_id", "reference")) if references else set()
        new, touched = [], set()
        for payment in payments:
            number = str(payment.get("InvoiceNumber") or "")
            link = links.get(number)
            invoice = link and invoices.get(link.local_id)
            if invoice is None:
                continue
            reference = f"Fortnox payment {payment.get('Number')}"
            if (invoice.pk, reference) not in known:
                known.add((invoice.pk, reference))
                new.append(InvoicePayment(
                    organization=self.organization, invoice=invoice, reference=reference,
                    amount=mappers.decimal(payment.get("Amount")),
                    currency=payment.get("Currency") or invoice.currency,
                    paid_on=mappers.parse_date(payment.get("PaymentDate")) or self.today))
            if number not in self.seen:
                touched.add(number)
        InvoicePayment.objects.bulk_create(new)
        for number in sorted(touched):
            self.import_one(number, counts)
        importing.mark_overdue(self.connection, today=self.today)



IMPORTERS = {"customer": CustomerImporter, "invoice": InvoiceImporter}


def importer(provider, record_type):
    try:
        return IMPORTERS[record_type](provider)
    except KeyError as exc:
        raise ValueError(f"Fortnox imports {sorted(IMPORTERS)}, not {record_type!r}") from exc


def poll(provider, *, record_types=None, since=None) -> dict:
    """Import what changed in Fortnox since each type's cursor (or `since`), paging to the end.
    Returns {record type: {created, updated, conflicts, unchanged}}."""
    types = tuple(record_types or IMPORT_TYPES)
    return importing.import_changes({t: importer(provider, t) for t in types}, types,
                                    since=since)


def import_one(provider, record_type, remote_id):
    """Import one Fortnox record now; returns "created", "updated", "conflicts" or
    "unchanged"."""
    return importer(provider, record_type).import_one(str(remote_id))


# By connection, as the tests and the acceptance run call them.
def import_changes(connection, *, record_types=IMPORT_TYPES, since=None) -> dict:
    from integrations.providers import registry

    return poll(registry.for_connection(connection), record_types=record_types, since=since)


def import_record(connection, record_type, remote_id):
    from integrations.providers import registry

    return import_one(registry.for_connection(connection), record_type, remote_id)
