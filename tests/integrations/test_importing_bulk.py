"""The shared importer's first import: a page of new remote records is made here together
(`Importer.create_page`): what they refer to resolved once per page, the local records, their
lines, links and sync-log lines one insert each, so 25 new records cost the queries of 5. A
record linked meanwhile by another worker is never made twice. Counted, never timed."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounting import rls
from accounting.models import Customer, Invoice, InvoiceLine
from integrations import importing
from integrations.links import find_link_by_remote
from integrations.models import Connection, Link, SyncLogEntry
from integrations.providers import registry
from integrations.providers.base import Provider
from tests.integrations.test_engine_concurrency import in_threads


class Bulky(Provider):
    key = "bulky"
    name = "Bulky"


class InvoiceImporter(importing.Importer):
    """A provider whose list rows are whole invoices with their lines, all by one customer."""

    record_type = "invoice"
    fields = ("your_reference", "lines")
    snapshot_prefetch = ("lines",)

    def __init__(self, provider, remote, customer_id, *, meanwhile=None):
        super().__init__(provider)
        self.remote = remote  # remote id -> {"Number", "Ref", "Lines": [(text, quantity)]}
        self.customer_id = customer_id
        self.meanwhile = meanwhile  # what another worker does while this one reads the page

    def changed_rows(self, since):
        rows = list(self.remote.items())
        for start in range(0, len(rows), 100):
            yield rows[start:start + 100]

    def fetch(self, remote_id):
        return self.remote.get(remote_id)

    def local_model(self):
        return Invoice

    def local_values(self, local):
        return {"your_reference": local.your_reference,
                "lines": [[line.description, int(line.quantity)] for line in local.lines.all()]}

    def remote_values(self, remote):
        return {"your_reference": remote["Ref"],
                "lines": [[text, quantity] for text, quantity in remote["Lines"]]}

    def prepare_creates(self, remotes):
        if self.meanwhile is not None:
            self.meanwhile()
            self.meanwhile = None  # once
        customer = Customer.objects.for_org(self.organization).get(pk=self.customer_id)
        return [customer] * len(remotes)

    def prepare_create(self, remote):
        return self.prepare_creates([remote])[0]

    def new_local(self, remote, customer):
        return Invoice(organization=self.organization, customer=customer,
                       number=remote["Number"], issue_date=date(2026, 11, 5),
                       your_reference=remote["Ref"], status="invoiced")

    def new_children(self, invoice, remote):
        return [InvoiceLine(invoice=invoice, description=text, quantity=quantity,
                            position=n)
                for n, (text, quantity) in enumerate(remote["Lines"])]

    def create_local(self, remote, customer):
        invoice = self.new_local(remote, customer)
        invoice.save()
        InvoiceLine.objects.bulk_create(self.new_children(invoice, remote))
        return invoice

    def write_local(self, local, changes):
        Invoice.objects.filter(pk=local.pk).update(your_reference=changes.get(
            "your_reference", local.your_reference))


@pytest.fixture
def bulky(org):
    registry.register(Bulky)
    connection = Connection.objects.create(organization=org, provider=Bulky.key,
                                           status=Connection.Status.CONNECTED)
    yield Bulky(connection)
    registry.unregister(Bulky.key)


@pytest.fixture
def customer(org):
    return Customer.objects.create(organization=org, name="Brf Solrosen")


def _remote(count, first=900):
    return {str(first + n): {"Number": str(first + n), "Ref": "Eva",
                             "Lines": [("Altanbygge", 10), ("Material", 2)]}
            for n in range(count)}


def _queries_for_first_import(bulky, customer, count, first):
    importer = InvoiceImporter(bulky, _remote(count, first), customer.pk)
    with CaptureQueriesContext(db) as queries:
        assert importer.run(None)["created"] == count
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_a_first_import_of_25_costs_the_queries_of_5(bulky, customer):
    five = _queries_for_first_import(bulky, customer, 5, 1000)
    assert _queries_for_first_import(bulky, customer, 25, 2000) == five
    assert Invoice.objects.count() == 30 and InvoiceLine.objects.count() == 60


@pytest.mark.django_db
def test_new_records_come_with_their_lines_link_snapshot_and_log_line(bulky, customer):
    with translation.override("en"):
        counts = InvoiceImporter(bulky, _remote(3), customer.pk).run(None)
    assert counts == {"created": 3, "updated": 0, "conflicts": 0, "unchanged": 0}
    link = find_link_by_remote(bulky.connection, "invoice", "901")
    invoice = Invoice.objects.get(pk=link.local_id)
    assert (invoice.number, invoice.customer_id, invoice.status) == ("901", customer.pk,
                                                                     "invoiced")
    assert [(line.description, line.quantity) for line in invoice.lines.all()] == [
        ("Altanbygge", 10), ("Material", 2)]
    agreed = {"your_reference": "Eva", "lines": [["Altanbygge", 10], ["Material", 2]]}
    assert link.data == {"local": agreed, "remote": agreed}
    assert link.remote_number == "901" and link.organization_id == bulky.connection.organization_id
    entries = SyncLogEntry.objects.filter(connection=bulky.connection, action="invoice.import")
    assert sorted(e.local_id for e in entries) == sorted(
        Link.objects.filter(record_type="invoice").values_list("local_id", flat=True))
    assert {e.message for e in entries} == {f"Created from Bulky invoice {n}."
                                            for n in ("900", "901", "902")}
    # The next run finds them linked and agreed.
    again = InvoiceImporter(bulky, _remote(3), customer.pk).run(None)
    assert again == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 3}


@pytest.mark.django_db
def test_a_record_linked_meanwhile_is_not_made_twice(bulky, customer, org):
    # Another worker (a webhook's import) links 901 after this page's links were read: the
    # page's insert meets the unique constraint, is rolled back whole, and each record is
    # applied on its own.
    def other_worker():
        theirs = Invoice.objects.create(organization=org, customer=customer, number="901",
                                        issue_date=date(2026, 11, 5), your_reference="Eva")
        InvoiceLine.objects.create(invoice=theirs, description="Altanbygge", quantity=10)
        InvoiceLine.objects.create(invoice=theirs, description="Material", quantity=2,
                                   position=1)
        Link.objects.create(organization=org, connection=bulky.connection,
                            record_type="invoice", local_id=str(theirs.pk), remote_id="901",
                            data={"local": {}, "remote": {}})

    importer = InvoiceImporter(bulky, _remote(3), customer.pk, meanwhile=other_worker)
    counts = importer.run(None)
    assert counts["created"] == 2 and counts["created"] + counts["unchanged"] + counts[
        "updated"] == 3
    assert Invoice.objects.count() == 3 and InvoiceLine.objects.count() == 6
    assert Link.objects.filter(record_type="invoice").count() == 3
    assert SyncLogEntry.objects.filter(action="invoice.import", status="ok").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_importing_one_page_at_once_make_each_record_once(bulky, customer):
    remote = _remote(30)

    def run(_):
        provider = Bulky(Connection.objects.get(pk=bulky.connection.pk))
        return InvoiceImporter(provider, remote, customer.pk).run(None)

    results = in_threads(2, run)
    assert sum(r["created"] for r in results) == 30
    assert Invoice.objects.count() == 30 and InvoiceLine.objects.count() == 60
    assert Link.objects.filter(record_type="invoice").count() == 30
    assert SyncLogEntry.objects.filter(action="invoice.import").count() == 30


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.skipif(not getattr(settings, "DATABASE_RLS", True), reason="DATABASE_RLS=false")
def test_a_first_import_inside_its_organization_passes_row_level_security(bulky, customer,
                                                                          settings, org):
    settings.RLS_PROCESS_DEFAULT_BYPASS = ""  # nothing by default, as in production
    with rls.tenant_context(org):
        assert InvoiceImporter(bulky, _remote(5), customer.pk).run(None)["created"] == 5
        assert InvoiceLine.objects.count() == 10
        assert Link.objects.filter(record_type="invoice").count() == 5
        assert SyncLogEntry.objects.filter(action="invoice.import").count() == 5
    with rls.tenant_context(None):
        assert Invoice.objects.count() == 0  # and nothing of it outside the organization
