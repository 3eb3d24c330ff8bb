"""The shared importer page by page: a page's links and local records are read in one query
each, and a provider's `row_decision` says which list rows are read in full (FETCH), already
applied (SKIP) or applied as they are (FROM_LIST, together). Counted, never timed."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations import importing
from integrations.links import find_link_by_remote, links_by_remote, local_records
from integrations.models import Connection, Link
from integrations.providers import registry
from integrations.providers.base import Provider

pytestmark = pytest.mark.django_db


class Listy(Provider):
    key = "listy"
    name = "Listy"


class CustomerImporter(importing.Importer):
    """A provider whose list rows carry the city (owned by the provider, like a payment status)
    and a version; the name needs a read of the record."""

    record_type = "customer"
    fields = ("name",)

    def __init__(self, provider, remote):
        super().__init__(provider)
        self.remote = remote  # remote id -> {"Name", "City", "Version"}
        self.reads = []

    def changed_rows(self, since):
        rows = [(remote_id, {"City": r["City"], "Version": r["Version"]})
                for remote_id, r in self.remote.items()]
        for start in range(0, len(rows), 100):
            yield rows[start:start + 100]

    def fetch(self, remote_id):
        self.reads.append(remote_id)
        return self.remote.get(remote_id)

    def seen_data(self, row):
        return {"city": row.get("City"), "version": row.get("Version")}

    def row_decision(self, link, row):
        kept = (link.data or {}).get("seen") or {}
        if kept.get("version") != row["Version"]:
            return importing.FETCH
        return importing.SKIP if kept.get("city") == row["City"] else importing.FROM_LIST

    def local_model(self):
        from accounting.models import Customer

        return Customer

    def local_values(self, local):
        return {"name": local.name}

    def remote_values(self, remote):
        return {"name": remote["Name"]}

    def create_local(self, remote, prepared):
        return self.local_model().objects.create(organization=self.organization,
                                                 name=remote["Name"], city=remote["City"])

    def write_local(self, local, changes):
        self.local_model().objects.filter(pk=local.pk).update(**changes)

    def write_status(self, local, remote):
        if local.city == remote["City"]:
            return False
        self.local_model().objects.filter(pk=local.pk).update(city=remote["City"])
        return True


@pytest.fixture
def listy(org):
    registry.register(Listy)
    connection = Connection.objects.create(organization=org, provider=Listy.key,
                                           status=Connection.Status.CONNECTED)
    yield Listy(connection)
    registry.unregister(Listy.key)


def _remote(count):
    return {str(900 + n): {"Name": f"Kund {n}", "City": "Täby", "Version": 1}
            for n in range(count)}


def test_rows_already_seen_are_not_read_again(listy):
    remote = _remote(3)
    first = CustomerImporter(listy, remote)
    assert first.run(None)["created"] == 3
    assert find_link_by_remote(listy.connection, "customer", "900").data["seen"] == {
        "city": "Täby", "version": 1}
    again = CustomerImporter(listy, remote)
    assert again.run(None) == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 3}
    assert again.reads == []


def test_a_row_that_answers_by_itself_is_applied_without_a_read(listy):
    from accounting.models import Customer

    remote = _remote(3)
    CustomerImporter(listy, remote).run(None)
    remote["901"]["City"] = "Solna"
    remote["902"].update(Version=2, Name="Kund två")
    importer = CustomerImporter(listy, remote)
    assert importer.run(None)["updated"] == 2
    assert importer.reads == ["902"]  # only the row whose version moved
    local = Customer.objects.get(pk=find_link_by_remote(listy.connection, "customer", "901")
                                 .local_id)
    assert local.city == "Solna"
    assert find_link_by_remote(listy.connection, "customer", "901").data["seen"]["city"] == (
        "Solna")


def test_a_record_deleted_here_is_neither_read_nor_brought_back(listy):
    from accounting.models import Customer

    remote = _remote(1)
    CustomerImporter(listy, remote).run(None)
    Customer.objects.all().delete()
    remote["900"]["Version"] = 2
    importer = CustomerImporter(listy, remote)
    assert importer.run(None)["unchanged"] == 1
    assert importer.reads == [] and not Customer.objects.exists()


def _queries_for_page(listy, count):
    remote = _remote(count)
    CustomerImporter(listy, remote).run(None)
    for row in remote.values():
        row["City"] = "Solna"
    with CaptureQueriesContext(db) as queries:
        assert CustomerImporter(listy, remote).run(None)["updated"] == count
    return len(queries.captured_queries) - count  # one status write per changed row


def test_a_page_costs_the_same_queries_whatever_its_size(listy):
    few = _queries_for_page(listy, 3)
    Link.objects.all().delete()
    assert _queries_for_page(listy, 100) == few


def test_bulk_link_and_record_reads(listy, org):
    from accounting.models import Customer

    customers = [Customer.objects.create(organization=org, name=f"K{n}") for n in range(3)]
    for n, customer in enumerate(customers):
        Link.objects.create(organization=org, connection=listy.connection,
                            record_type="invoice" if n == 2 else "customer",
                            local_id=str(customer.pk), remote_id=f"r{n}")
    Link.objects.create(organization=org, connection=listy.connection, record_type="order",
                        local_id="77", remote_id="r2")
    with CaptureQueriesContext(db) as queries:
        links = links_by_remote(listy.connection, ("invoice", "order", "customer"),
                                ["r0", "r1", "r2", "missing", None])
        records = local_records(Customer, org, [link.local_id for link in links.values()])
    assert len(queries.captured_queries) == 2
    assert links["r2"].record_type == "invoice"  # the first type listed wins
    assert sorted(records) == sorted(str(c.pk) for c in customers)
