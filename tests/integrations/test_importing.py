"""The shared importer, with a minimal provider importer defined here: records made at the
provider are created here, a change on one side goes to the other, a change on both sides is
decided by the later write and the losing values are kept in the sync log, and the cursor moves
only after a run went through."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from integrations import importing
from integrations.errors import ProviderError
from integrations.inbound import move_cursor
from integrations.links import find_link, find_link_by_remote
from integrations.models import Connection, SyncCursor, SyncJob, SyncLogEntry
from integrations.providers import registry
from integrations.providers.base import BOTH, Capabilities, Operation, Provider

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def at(minute):
    return T0.replace(minute=minute)


class Booky(Provider):
    key = "booky"
    name = "Booky"
    # Customers go both ways, so a local change the import finds is queued as an export.
    capabilities = Capabilities(records={"customer": BOTH})
    operations = {"customer.export": Operation(record_type="customer", perform=None)}


class CustomerImporter(importing.Importer):
    """A provider's part: where the records are and how their fields read in our terms."""

    record_type = "customer"
    fields = ("name", "city")

    def __init__(self, provider, remote):
        super().__init__(provider)
        self.remote = remote  # remote id -> {"Name", "Town", "Ref", "Changed"}
        self.asked_since = []

    def changed_ids(self, since):
        self.asked_since.append(since)
        for remote_id, row in self.remote.items():
            if row.get("fail"):
                raise ProviderError("Booky answered 503.")
            if since is None or row["Changed"] >= since:
                yield remote_id

    def fetch(self, remote_id):
        return self.remote.get(remote_id)

    def local_model(self):
        from accounting.models import Customer

        return Customer

    def local_values(self, local):
        return {"name": local.name, "city": local.city}

    def remote_values(self, remote):
        return {"name": remote["Name"], "city": remote["Town"]}

    def reference_of(self, remote):
        return remote.get("Ref", "")

    def remote_modified_at(self, remote):
        return remote["Changed"]

    def create_local(self, remote, prepared):
        return self.local_model().objects.create(organization=self.organization,
                                                 **self.remote_values(remote))

    def write_local(self, local, changes):
        self.local_model().objects.filter(pk=local.pk).update(**changes)


@pytest.fixture
def booky(org):
    registry.register(Booky)
    connection = Connection.objects.create(organization=org, provider=Booky.key,
                                           status=Connection.Status.CONNECTED)
    yield Booky(connection)
    registry.unregister(Booky.key)


@pytest.fixture
def remote():
    return {"900": {"Name": "Villa Ek", "Town": "Täby", "Changed": at(0)}}


def _imported(booky, remote):
    from accounting.models import Customer

    with time_machine.travel(at(1), tick=False):
        counts = CustomerImporter(booky, remote).run(None)
    assert counts["created"] == 1
    return Customer.objects.get(pk=find_link_by_remote(booky.connection, "customer", "900")
                                .local_id)


def _change_here(customer, minute, **values):
    with time_machine.travel(at(minute), tick=False):
        for name, value in values.items():
            setattr(customer, name, value)
        customer.save()


def test_a_record_made_at_the_provider_is_created_linked_and_then_unchanged(booky, remote):
    customer = _imported(booky, remote)
    assert (customer.name, customer.city) == ("Villa Ek", "Täby")
    link = find_link(booky.connection, "customer", customer.pk)
    assert link.data == {"local": {"name": "Villa Ek", "city": "Täby"},
                         "remote": {"name": "Villa Ek", "city": "Täby"}}
    entry = SyncLogEntry.objects.get(action="customer.import")
    assert (entry.status, entry.provider, entry.local_id) == ("ok", "booky", str(customer.pk))
    again = CustomerImporter(booky, remote).run(None)
    assert again == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 1}


def test_a_change_on_one_side_goes_to_the_other(booky, remote):
    customer = _imported(booky, remote)
    remote["900"].update(Town="Solna", Changed=at(5))
    assert CustomerImporter(booky, remote).run(None)["updated"] == 1
    customer.refresh_from_db()
    assert customer.city == "Solna"
    assert customer.updated_at == at(1)  # our write is not a person's change
    assert not SyncJob.objects.exists()

    _change_here(customer, 10, name="Villa Ek AB")
    assert CustomerImporter(booky, remote).run(None)["unchanged"] == 1
    customer.refresh_from_db()
    assert customer.name == "Villa Ek AB"  # kept, and sent to the provider
    job = SyncJob.objects.get()
    assert (job.operation, job.local_id) == ("customer.export", str(customer.pk))


def test_conflict_the_later_provider_write_wins_and_ours_is_kept_in_the_log(booky, remote):
    customer = _imported(booky, remote)
    _change_here(customer, 10, city="Lidingö")
    remote["900"].update(Town="Solna", Changed=at(20))
    with translation.override("en"):
        assert CustomerImporter(booky, remote).run(None)["conflicts"] == 1
    customer.refresh_from_db()
    assert customer.city == "Solna"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "booky"
    assert entry.details["kept"] == {"city": "Solna"}
    assert entry.details["lost"] == {"city": "Lidingö"}
    assert entry.message == (
        "Customer 900 was changed both here and in Booky since the last sync (city); the "
        "later change, made in Booky, was kept. The values that lost are in the details.")
    assert not SyncJob.objects.exists()
    # agreed now: the next run has nothing to do
    assert CustomerImporter(booky, remote).run(None)["unchanged"] == 1


def test_conflict_our_later_write_wins_is_sent_and_theirs_is_kept_in_the_log(booky, remote):
    customer = _imported(booky, remote)
    remote["900"].update(Town="Solna", Changed=at(10))
    _change_here(customer, 20, city="Lidingö")
    assert CustomerImporter(booky, remote).run(None)["conflicts"] == 1
    customer.refresh_from_db()
    assert customer.city == "Lidingö"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "local"
    assert entry.details["lost"] == {"city": "Solna"}
    assert SyncJob.objects.get().operation == "customer.export"


def test_our_own_export_is_adopted_by_its_reference_not_created_again(booky, remote, org):
    from accounting.models import Customer

    ours = Customer.objects.create(organization=org, name="Villa Ek", city="Täby")
    remote["900"]["Ref"] = f"hub-{org.pk}-customer-{ours.pk}"
    counts = CustomerImporter(booky, remote).run(None)
    assert counts == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 1}
    assert find_link(booky.connection, "customer", ours.pk).remote_id == "900"
    assert Customer.objects.count() == 1


def test_the_cursor_moves_only_after_a_run_went_through(booky, remote):
    importer = CustomerImporter(booky, remote)
    with time_machine.travel(at(30), tick=False):
        importing.import_changes({"customer": importer}, ["customer"])
    cursor = SyncCursor.objects.get(connection=booky.connection, record_type="customer")
    assert cursor.value == at(30).isoformat()
    remote["901"] = {"fail": True}
    with time_machine.travel(at(40), tick=False), pytest.raises(ProviderError):
        importing.import_changes({"customer": importer}, ["customer"])
    cursor.refresh_from_db()
    assert cursor.value == at(30).isoformat()
    assert importer.asked_since == [None, at(30)]


def test_an_explicit_since_wins_over_the_cursor(booky, remote):
    move_cursor(booky.connection, "customer", at(50).isoformat())
    importer = CustomerImporter(booky, remote)
    importing.import_changes({"customer": importer}, ["customer"], since=at(0))
    assert importer.asked_since == [at(0)]


def test_a_since_later_than_the_cursor_leaves_the_cursor_where_it_was(booky, remote):
    """Asked "since the 20th" while the cursor is at the 1st: what changed in between has not
    been read yet, so the next scheduled poll must still start from the 1st."""
    move_cursor(booky.connection, "customer", at(1).isoformat())
    importer = CustomerImporter(booky, remote)
    with time_machine.travel(at(59), tick=False):
        importing.import_changes({"customer": importer}, ["customer"], since=at(20))
        importing.import_changes({"customer": importer}, ["customer"])
    assert importer.asked_since == [at(20), at(1)]
    cursor = SyncCursor.objects.get(connection=booky.connection, record_type="customer")
    assert cursor.value == at(59).isoformat()


def test_parse_reference():
    assert importing.parse_reference("hub-4-time_entry-12") == (4, "time_entry", "12")
    assert importing.parse_reference("hub-4-invoice-12x") == (4, "invoice", "12x")
    assert importing.parse_reference("Olle Ek") is None


def test_a_local_change_is_not_queued_for_a_provider_that_does_not_send_the_type(
        booky, remote, monkeypatch):
    """Importing only (no "<type>.export"): our winning change stays here; no job is queued
    that could only fail."""
    monkeypatch.setattr(Booky, "operations", {})
    customer = _imported(booky, remote)
    remote["900"].update(Town="Solna", Changed=at(10))
    _change_here(customer, 20, city="Lidingö")
    assert CustomerImporter(booky, remote).run(None)["conflicts"] == 1
    customer.refresh_from_db()
    assert customer.city == "Lidingö"
    assert not SyncJob.objects.exists()
