"""Customers and invoices back from Visma eAccounting: the hooks of the shared importer
(`integrations.importing`, last write wins with the losing values kept in the sync log).

- Customers changed since the cursor: `GET /v2/customers?$filter=ChangedUtc gt <cursor>`;
  invoices: `GET /v2/customerinvoices?modifiedSinceUtc=<cursor>` (fact sheet §5.1). Every page
  to the last (`Meta.TotalNumberOfPages`, 1,000 rows a page).
- The next cursor is Visma's clock (`Meta.ServerTimeUtc` of the first page) less two minutes:
  a record stamped just before Visma answered may still have been in writing, and our clock
  may be off. What the overlap lists again is skipped when its change stamp (and, for invoices,
  its payment fields) is the one we applied.
- List rows are whole records (`CustomerApi`, `CustomerInvoiceApi` with its rows), so no field
  forces a request of one record: `fetch` answers from the page just read. A row listed again
  at the stamp we applied is skipped; a row whose compared fields (customer fields; invoice
  date, your reference, rows) are the ones agreed at the last sync changed only in what Visma
  alone owns (payment fields), and a page of those is written in one bulk update; only a row
  changed in the compared fields is reconciled on its own (`importing.rows_are_records`).
- Last write wins by Visma's own stamps (`ChangedUtc`, `ModifiedUtc`, to the millisecond)
  against our `updated_at`; a tie goes to Visma.
- Payment status (`PaymentStatus`, `RemainingAmount`, `PaymentDate`) is Visma's alone: copied
  on every import, never a conflict. An invoice whose due date passed with money left turns
  overdue here too (Visma's status may not move its `ModifiedUtc`).
- New customers and invoices are made a page at a time (`importing.Importer.create_page`):
  the invoices' customers are resolved once per page, and the page's invoices, their rows,
  links and sync-log lines are one insert each, so a first import costs queries per page.
"""

from datetime import timedelta

from django.utils import timezone

from integrations import importing
from integrations.providers.visma_eaccounting import mappers
from integrations.providers.visma_eaccounting.client import VismaClient

KEY = "visma_eaccounting"
IMPORT_TYPES = ("customer", "invoice")
OVERLAP = timedelta(minutes=2)


class VismaImporter(importing.Importer):
    path = ""
    stamp = ""  # the list rows' change stamp
    rows_are_records = True  # SKIP / FROM_LIST / reconcile from the row (importing)

    def __init__(self, provider, client=None):
        super().__init__(provider)
        self.client = client or VismaClient(provider, patient=True)
        self.rows = {}
        self.server_time = None

    def list_params(self, since):
        raise NotImplementedError

    def changed_rows(self, since):
        meta = {}
        for rows in self.client.pages(self.path, self.list_params(since) if since else {},
                                      meta=meta):
            if self.server_time is None:
                self.server_time = mappers.parse_utc(meta.get("ServerTimeUtc"))
            self.rows = {str(row.get("Id")): row for row in rows}
            yield [(row.get("Id"), row) for row in rows]

    def next_cursor(self, started):
        return (self.server_time - OVERLAP) if self.server_time else started - OVERLAP

    def fetch(self, remote_id):
        row = self.rows.get(str(remote_id))
        if row is not None:
            return row
        return self.client.get_or_none(f"{self.path}/{remote_id}")

    def remote_modified_at(self, remote):
        return mappers.parse_utc(remote.get(self.stamp))

    def seen_data(self, row):
        return {"stamp": row.get(self.stamp)}

    def write_fields(self, local, values):
        self.local_model().objects.for_org(self.organization).filter(pk=local.pk).update(
            **values)


class CustomerImporter(VismaImporter):
    record_type = "customer"
    path = "/v2/customers"
    stamp = "ChangedUtc"
    fields = mappers.CUSTOMER_FIELDS

    def list_params(self, since):
        return {"$filter": f"ChangedUtc gt {mappers.odata_time(since)}"}

    def local_model(self):
        from accounting.models import Customer

        return Customer

    def local_values(self, local):
        return mappers.customer_values(local)

    def remote_values(self, remote):
        return mappers.customer_values_from_remote(remote)

    def reference_of(self, remote):
        # Our own customers carry our number `H<id>`: the form the importer adopts.
        number = str(remote.get("CustomerNumber") or "")
        prefix = mappers.CUSTOMER_NUMBER_PREFIX
        if number.startswith(prefix) and number[len(prefix):].isdigit():
            return f"hub-{self.organization.pk}-customer-{number[len(prefix):]}"
        return ""

    def create_local(self, remote, prepared):
        return self.local_model().objects.create(organization=self.organization,
                                                 **self.remote_values(remote))

    def new_local(self, remote, prepared):
        return self.local_model()(organization=self.organization, **self.remote_values(remote))

    def write_local(self, local, changes):
        self.write_fields(local, changes)


class InvoiceImporter(importing.InvoicesWithLines, VismaImporter):
    record_type = "invoice"
    path = "/v2/customerinvoices"
    stamp = "ModifiedUtc"
    fields = mappers.INVOICE_FIELDS
    customer_importer = CustomerImporter

    def __init__(self, provider, client=None):
        super().__init__(provider, client)
        self.today = timezone.localdate()

    def invoice_status(self, remote):
        return mappers.invoice_status(remote, today=self.today)

    def customer_of(self, remote):
        return str(remote.get("CustomerId") or "")

    def list_params(self, since):
        return {"modifiedSinceUtc": mappers.query_time(since)}

    def local_values(self, local):
        return mappers.invoice_values(local)

    def remote_values(self, remote):
        return mappers.invoice_values_from_remote(remote)

    def reference_of(self, remote):
        return remote.get("OurReference") or ""

    def seen_data(self, row):
        return {"stamp": row.get(self.stamp), "paid": [
            row.get(k) for k in ("PaymentStatus", "RemainingAmountInvoiceCurrency",
                                 "RemainingAmount", "PaymentDate")]}

    def prepare_create(self, remote):
        return self.prepare_creates([remote])[0]

    def prepare_creates(self, remotes):
        """The customer of each new invoice, resolved once per page (before the transaction)."""
        customers = self.resolve_customers([self.customer_of(remote) for remote in remotes])
        return [customers[self.customer_of(remote)] for remote in remotes]

    def new_local(self, remote, customer):
        """The invoice with its payment status (no per-row logic needs a save)."""
        from accounting.models import Currency

        currency = remote.get("CurrencyCode")
        values = self.remote_values(remote)
        return self.local_model()(
            organization=self.organization, customer=customer,
            number=str(remote.get("InvoiceNumber") or ""),
            currency=currency if currency in Currency.values else self.organization.currency,
            issue_date=mappers.parse_date(remote.get("InvoiceDate")) or self.today,
            our_reference=mappers.cut(remote.get("OurReference"), 100),
            your_reference=values["your_reference"],
            **self.invoice_status(remote))

    def after_run(self, since, counts):
        importing.mark_overdue(self.connection, today=self.today)


IMPORTERS = {"customer": CustomerImporter, "invoice": InvoiceImporter}


def importer(provider, record_type):
    try:
        return IMPORTERS[record_type](provider)
    except KeyError as exc:
        raise ValueError(f"Visma eAccounting imports {sorted(IMPORTERS)}, not {record_type!r}"
                         ) from exc


def poll(provider, *, record_types=None, since=None) -> dict:
    types = tuple(record_types or IMPORT_TYPES)
    return importing.import_changes({t: importer(provider, t) for t in types}, types,
                                    since=since)


def import_one(provider, record_type, remote_id):
    return importer(provider, record_type).import_one(str(remote_id))
