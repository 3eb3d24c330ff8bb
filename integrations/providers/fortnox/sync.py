"""Customers and invoices back from Fortnox: a `lastmodified` poll (hourly, `import_all`) and one
record at a time (`import_record`, for webhooks).

What changed where. Each Link keeps a snapshot of the values both sides agreed on at the last
sync, per field, in our terms: `local` as we had them, `remote` as Fortnox gave them back. A field
changed on Fortnox's side only is copied here; one changed here only is left for the export to
send (an export job is queued); one changed on both sides to different values is a conflict.

Last write wins. Fortnox's records carry no modification time, but its `lastmodified` filter
does (to the minute, Stockholm time): a conflict asks Fortnox whether the record was modified
at or after our record's `updated_at`. If so Fortnox's version wins, else ours; a tie within the
same minute goes to Fortnox. The sync log keeps the values that lost. Our own writes from an
import go through `QuerySet.update`, so `updated_at` stays the time a person last changed the
record.

Payment status (balance, final pay date, booked, cancelled, due date, partly paid, overdue) is
Fortnox's alone: it is copied on every import, never a conflict. Payments are also listed by
their own `lastmodified`, so a payment reaches the invoice even if Fortnox did not touch the
invoice's modification time, and an invoice that merely passed its due date turns overdue here.
"""

import hashlib
import json
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.credentials import mark_needs_reauth
from integrations.errors import AuthError, ProviderError
from integrations.models import Connection, Link, SyncCursor
from integrations.providers import registry
from integrations.providers.fortnox import mappers
from integrations.providers.fortnox.client import FortnoxClient, fortnox_time
from integrations.providers.fortnox.exports import category_for_account
from integrations.synclog import log_event

logger = logging.getLogger("integrations.fortnox")

KEY = "fortnox"
CREATED, UPDATED, CONFLICT, UNCHANGED = "created", "updated", "conflicts", "unchanged"
REMOTE, LOCAL = "fortnox", "local"


def _counts():
    return {CREATED: 0, UPDATED: 0, CONFLICT: 0, UNCHANGED: 0}


def _digest(values):
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Importer:
    record_type = ""
    list_path = ""
    collection = ""
    wrapper = ""
    id_field = ""
    search_param = ""
    fields = ()

    def __init__(self, provider, client):
        self.provider = provider
        self.connection = provider.connection
        self.organization = self.connection.organization
        self.client = client

    # -- hooks ------------------------------------------------------------------------------
    def local_values(self, local):
        raise NotImplementedError

    def remote_values(self, remote):
        raise NotImplementedError

    def prepare_create(self, remote):
        """HTTP a create needs (e.g. an invoice's customer), done before the transaction."""
        return None

    def create_local(self, remote, prepared):
        raise NotImplementedError

    def write_local(self, local, changes):
        raise NotImplementedError

    def local_model(self):
        raise NotImplementedError

    def reference_of(self, remote):
        return ""

    def write_status(self, local, remote):
        """Fortnox-owned fields; True when something changed."""
        return False

    # -- the run ----------------------------------------------------------------------------
    def run(self, since):
        counts = _counts()
        params = {"lastmodified": fortnox_time(since)} if since else {}
        self.seen = set()
        for row in self.client.iterate(self.list_path, self.collection, params):
            remote_id = str(row.get(self.id_field) or "")
            if remote_id and remote_id not in self.seen:
                self.seen.add(remote_id)
                counts[self.import_one(remote_id)] += 1
        self.after_run(since, counts)
        return counts

    def after_run(self, since, counts):
        pass

    def fetch(self, remote_id):
        body = self.client.get_or_none(f"{self.list_path}/{remote_id}")
        return (body or {}).get(self.wrapper)

    def import_one(self, remote_id):
        remote = self.fetch(remote_id)
        if remote is None:
            return UNCHANGED
        link = Link.objects.filter(connection=self.connection, record_type=self.record_type,
                                   remote_id=remote_id).first()
        if link is None:
            return self.link_or_create(remote_id, remote)
        local = self._local(link.local_id)
        if local is None:  # deleted here: not brought back
            return UNCHANGED
        return self.reconcile(link, local, remote)

    def _local(self, local_id):
        return self.local_model().objects.for_org(self.organization).filter(pk=local_id).first()

    def link_or_create(self, remote_id, remote):
        """A remote record without a Link: our own export whose job has not stored its Link yet
        (adopted by our reference), or a record made in Fortnox (created here)."""
        local = self._adoptable(remote)
        prepared = self.prepare_create(remote) if local is None else None
        outcome = UNCHANGED
        with transaction.atomic():
            if local is None:
                local = self.create_local(remote, prepared)
                outcome = CREATED
            snapshot = {"local": self.local_values(local), "remote": self.remote_values(remote)}
            try:
                with transaction.atomic():
                    Link.objects.create(
                        organization_id=self.organization.pk, connection=self.connection,
                        record_type=self.record_type, local_id=str(local.pk),
                        remote_id=remote_id, remote_number=remote_id, data=snapshot,
                        remote_modified_at=timezone.now())
            except IntegrityError:
                # The export's job linked it meanwhile: nothing to add.
                if outcome == CREATED:
                    raise
            self.write_status(local, remote)
        if outcome == CREATED:
            self._log(local.pk, "ok", f"Created from Fortnox {self.record_type} {remote_id}.")
        return outcome

    def _adoptable(self, remote):
        parsed = mappers.parse_reference(self.reference_of(remote))
        if parsed is None or parsed[0] != self.organization.pk or parsed[1] != self.record_type:
            return None
        if Link.objects.filter(connection=self.connection, record_type=self.record_type,
                               local_id=parsed[2]).exists():
            return None
        return self._local(parsed[2])

    def reconcile(self, link, local, remote):
        local_now = self.local_values(local)
        remote_now = self.remote_values(remote)
        snapshot = link.data or {}
        synced_local = dict(snapshot.get("local") or {})
        synced_remote = snapshot.get("remote") or {}
        missing = object()
        remote_changed = {f for f in self.fields if remote_now[f] != synced_remote.get(f, missing)}
        local_changed = {f for f in self.fields
                         if f in synced_local and local_now[f] != synced_local[f]}
        conflict = {f for f in remote_changed & local_changed if local_now[f] != remote_now[f]}
        apply = {f for f in remote_changed - local_changed if local_now[f] != remote_now[f]}
        winner = self.winner(link.remote_id, local) if conflict else None
        if winner == REMOTE:
            apply |= conflict
        for f in self.fields:
            if f in apply or local_now[f] == remote_now[f]:
                synced_local[f] = remote_now[f]
        with transaction.atomic():
            if apply:
                self.write_local(local, {f: remote_now[f] for f in apply})
            status_changed = self.write_status(local, remote)
            Link.objects.filter(pk=link.pk).update(
                data={"local": synced_local, "remote": remote_now}, synced_at=timezone.now(),
                **({"remote_modified_at": timezone.now()} if remote_changed else {}))
            if conflict:
                self._log_conflict(local, link, conflict, winner, local_now, remote_now)
        pending = {f for f in self.fields if synced_local.get(f) != local_now[f] and f not in apply}
        if pending:
            self._queue_export(local, local_now)
        if conflict:
            return CONFLICT
        return UPDATED if apply or status_changed else UNCHANGED

    def winner(self, remote_id, local):
        """Fortnox's version wins if Fortnox modified the record at or after our last change."""
        params = {self.search_param: remote_id, "lastmodified": fortnox_time(local.updated_at)}
        for row in self.client.iterate(self.list_path, self.collection, params):
            if str(row.get(self.id_field)) == remote_id:
                return REMOTE
        return LOCAL

    def _log_conflict(self, local, link, fields, winner, local_now, remote_now):
        kept, lost = (remote_now, local_now) if winner == REMOTE else (local_now, remote_now)
        where = "in Fortnox" if winner == REMOTE else "here"
        self._log(local.pk, "conflict",
                  f"{self.record_type.capitalize()} {link.remote_id} was changed both here and "
                  f"in Fortnox since the last sync ({', '.join(sorted(fields))}); the later "
                  f"change, made {where}, was kept. The values that lost are in the details.",
                  details={"winner": winner, "fields": sorted(fields),
                           "kept": {f: kept[f] for f in sorted(fields)},
                           "lost": {f: lost[f] for f in sorted(fields)},
                           "remote_id": link.remote_id})

    def _queue_export(self, local, local_now):
        """Our side has changes Fortnox has not got: send them (once per state)."""
        from integrations.engine import enqueue_job

        enqueue_job(connection=self.connection, operation=f"{self.record_type}.export",
                    record_type=self.record_type, local_id=local.pk,
                    variant=f"sync-{_digest(local_now)}")

    def _log(self, local_id, status, message, details=None):
        log_event(organization_id=self.organization.pk, provider=KEY, entity=self.record_type,
                  action=f"{self.record_type}.import", status=status, message=message,
                  local_id=local_id, connection=self.connection, details=details)


class CustomerImporter(Importer):
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

    def write_local(self, local, changes):
        self.local_model().objects.for_org(self.organization).filter(pk=local.pk).update(
            **changes)


class InvoiceImporter(Importer):
    record_type = "invoice"
    list_path = "/3/invoices"
    collection = "Invoices"
    wrapper = "Invoice"
    id_field = "DocumentNumber"
    search_param = "documentnumber"
    fields = mappers.INVOICE_FIELDS

    def __init__(self, provider, client):
        super().__init__(provider, client)
        self.categories = category_for_account(self.organization)
        self.today = timezone.localdate()

    def local_model(self):
        from accounting.models import Invoice

        return Invoice

    def local_values(self, local):
        return mappers.invoice_values(local)

    def remote_values(self, remote):
        return mappers.invoice_values_from_remote(remote, category_for_account=self.categories)

    def reference_of(self, remote):
        return remote.get("ExternalInvoiceReference1") or ""

    def prepare_create(self, remote):
        return self._customer(str(remote.get("CustomerNumber") or ""))

    def create_local(self, remote, customer):
        from accounting.models import Currency

        project = self._linked("project", remote.get("Project"))
        currency = remote.get("Currency") if remote.get("Currency") in Currency.values else (
            self.organization.currency)
        values = self.remote_values(remote)
        invoice = self.local_model().objects.create(
            organization=self.organization, customer=customer, project=project,
            number=str(remote.get("DocumentNumber") or ""), currency=currency,
            issue_date=mappers.parse_date(remote.get("InvoiceDate")) or self.today,
            our_reference=values["our_reference"], your_reference=values["your_reference"])
        self._replace_lines(invoice, values["lines"])
        return invoice

    def _linked(self, record_type, remote_id):
        from accounting.models import Project

        if not remote_id:
            return None
        link = Link.objects.filter(connection=self.connection, record_type=record_type,
                                   remote_id=str(remote_id)).first()
        return Project.objects.for_org(self.organization).filter(
            pk=link.local_id).first() if link else None

    def _customer(self, number):
        from accounting.models import Customer

        if not Link.objects.filter(connection=self.connection, record_type="customer",
                                   remote_id=number).exists():
            CustomerImporter(self.provider, self.client).import_one(number)
        link = Link.objects.filter(connection=self.connection, record_type="customer",
                                   remote_id=number).first()
        customer = link and Customer.objects.for_org(self.organization).filter(
            pk=link.local_id).first()
        if customer is None:
            raise ProviderError(f"Fortnox invoice refers to customer {number}, which could not "
                                "be imported.")
        return customer

    def _replace_lines(self, invoice, lines):
        from accounting.models import InvoiceLine

        InvoiceLine.objects.filter(invoice=invoice).delete()
        InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=invoice, description=desc[:200], quantity=mappers.decimal(qty),
                        unit_price=mappers.decimal(price),
                        discount_percent=mappers.decimal(discount), category=category,
                        position=index)
            for index, (desc, qty, price, discount, category) in enumerate(lines)])

    def write_local(self, local, changes):
        header = {k: v for k, v in changes.items() if k != "lines"}
        if "issue_date" in header:
            header["issue_date"] = mappers.parse_date(header["issue_date"]) or local.issue_date
        if header:
            self.local_model().objects.for_org(self.organization).filter(pk=local.pk).update(
                **header)
        if "lines" in changes:
            self._replace_lines(local, changes["lines"])

    def write_status(self, local, remote):
        status = mappers.invoice_status(remote, today=self.today)
        changed = {k: v for k, v in status.items() if getattr(local, k) != v}
        if changed:
            self.local_model().objects.for_org(self.organization).filter(pk=local.pk).update(
                **changed)
        return bool(changed)

    def after_run(self, since, counts):
        """Payments listed on their own, then invoices that passed their due date."""
        from accounting.models import InvoicePayment

        params = {"lastmodified": fortnox_time(since)} if since else {}
        touched = set()
        for payment in self.client.iterate("/3/invoicepayments", "InvoicePayments", params):
            number = str(payment.get("InvoiceNumber") or "")
            link = Link.objects.filter(connection=self.connection, record_type="invoice",
                                       remote_id=number).first()
            invoice = link and self._local(link.local_id)
            if invoice is None:
                continue
            reference = f"Fortnox payment {payment.get('Number')}"
            InvoicePayment.objects.get_or_create(
                organization=self.organization, invoice=invoice, reference=reference,
                defaults={"amount": mappers.decimal(payment.get("Amount")),
                          "currency": payment.get("Currency") or invoice.currency,
                          "paid_on": mappers.parse_date(payment.get("PaymentDate"))
                          or self.today})
            if number not in self.seen:
                touched.add(number)
        for number in sorted(touched):
            self.seen.add(number)
            counts[self.import_one(number)] += 1
        mark_overdue(self.connection, today=self.today)


def mark_overdue(connection, *, today):
    """Invoices still owing after their due date turn overdue without Fortnox touching them."""
    from accounting.models import Invoice

    linked = Link.objects.filter(connection=connection, record_type="invoice").values_list(
        "local_id", flat=True)
    return (Invoice.objects.for_org(connection.organization)
            .filter(pk__in=[int(pk) for pk in linked if str(pk).isdigit()],
                    remaining_amount__gt=0, due_date__lt=today,
                    status__in=["invoiced", "sent", "partly_paid"])
            .update(status="overdue"))


IMPORTERS = {"customer": CustomerImporter, "invoice": InvoiceImporter}


def _importer(connection, record_type, client=None):
    try:
        importer_class = IMPORTERS[record_type]
    except KeyError as exc:
        raise ValueError(f"Fortnox imports {sorted(IMPORTERS)}, not {record_type!r}") from exc
    provider = registry.for_connection(connection)
    return importer_class(provider, client or FortnoxClient(provider, patient=True))


def _cursor_time(value):
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment


def import_changes(connection, *, record_types=("customer", "invoice"), since=None) -> dict:
    """Import what changed in Fortnox since the cursor (or `since`), type by type, paging to
    the end. Returns {record type: {created, updated, conflicts, unchanged}}."""
    results = {}
    for record_type in record_types:
        importer = _importer(connection, record_type)
        cursor, _ = SyncCursor.objects.get_or_create(
            connection=connection, record_type=record_type,
            defaults={"organization_id": connection.organization_id})
        started = timezone.now()
        results[record_type] = importer.run(since or _cursor_time(cursor.value))
        SyncCursor.objects.filter(pk=cursor.pk).update(value=started.isoformat(),
                                                       updated_at=timezone.now())
    Connection.objects.filter(pk=connection.pk).update(last_sync_at=timezone.now())
    return results


def import_record(connection, record_type, remote_id):
    """Import one Fortnox record now (a webhook said it changed). Returns the outcome:
    "created", "updated", "conflicts" or "unchanged"."""
    importer = _importer(connection, record_type)
    importer.seen = {str(remote_id)}
    return importer.import_one(str(remote_id))


def import_all():
    """The schedule: import for every connected Fortnox connection, then re-dispatch due jobs.
    One connection's failure does not stop the others."""
    from integrations.engine import sweep

    summary = {}
    for connection in Connection.objects.filter(provider=KEY,
                                                status=Connection.Status.CONNECTED):
        try:
            summary[connection.pk] = import_changes(connection)
        except AuthError as exc:
            mark_needs_reauth(connection, reason=exc.message)
            summary[connection.pk] = {"error": exc.message}
        except ProviderError as exc:
            log_event(organization_id=connection.organization_id, provider=KEY,
                      entity="import", action="import", status="retry", connection=connection,
                      message=f"The Fortnox import stopped and will run again: {exc.message}",
                      response_code=exc.status_code,
                      details={"provider_response": exc.raw} if exc.raw is not None else None)
            summary[connection.pk] = {"error": exc.message}
    summary["dispatched"] = sweep()
    return summary
