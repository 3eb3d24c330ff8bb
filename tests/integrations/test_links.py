"""One link upsert for the engine and every provider: create, update, keep what was not given,
and a remote object claimed by another record said in words, not a crash."""

import pytest
from django.db import IntegrityError
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from integrations.errors import PermanentError
from integrations.links import (
    LinkConflict,
    find_link,
    find_link_by_remote,
    linked_remote_ids,
    local_record,
    store_link,
)
from integrations.models import Connection, Link

pytestmark = pytest.mark.django_db


def test_store_link_creates_then_updates_the_same_row(connection):
    first = store_link(connection, "customer", 7, "R-1", remote_number="1001",
                       data={"local": {"name": "A"}})
    assert (first.local_id, first.remote_id, first.remote_number) == ("7", "R-1", "1001")
    assert first.organization_id == connection.organization_id
    again = store_link(connection, "customer", "7", "R-1", remote_url="https://x.test/R-1")
    assert again.pk == first.pk and Link.objects.count() == 1
    again.refresh_from_db()
    assert again.remote_url == "https://x.test/R-1"
    assert again.data == {"local": {"name": "A"}}  # not given the second time: kept
    assert find_link(connection, "customer", 7).pk == first.pk
    assert find_link_by_remote(connection, "customer", "R-1").pk == first.pk
    assert linked_remote_ids(connection, "customer") == {"R-1"}


def test_storing_a_link_is_one_statement_whether_it_exists_or_not(connection):
    for remote_id in ("R-1", "R-2"):  # created, then updated
        with CaptureQueriesContext(db) as queries:
            store_link(connection, "customer", 7, remote_id)
        statements = [q["sql"] for q in queries.captured_queries
                      if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 1, statements
    assert find_link(connection, "customer", 7).remote_id == "R-2"


def test_a_link_moves_to_a_new_remote_object(connection):
    store_link(connection, "customer", 7, "R-1")
    store_link(connection, "customer", 7, "R-2")
    assert find_link(connection, "customer", 7).remote_id == "R-2"
    assert find_link_by_remote(connection, "customer", "R-1") is None


def test_a_remote_object_linked_to_another_record_is_a_clear_permanent_error(connection):
    store_link(connection, "customer", 7, "R-1")
    with pytest.raises(LinkConflict) as caught, translation.override("en"):
        store_link(connection, "customer", 8, "R-1")
    # the engine rolls its outcome back on an IntegrityError; a job fails with the words
    assert isinstance(caught.value, IntegrityError)
    assert isinstance(caught.value, PermanentError)
    assert "R-1 is already linked to another local record (7)" in caught.value.message
    assert find_link(connection, "customer", 8) is None


def test_links_are_per_connection_and_record_type(connection, make_org):
    other = Connection.objects.create(organization=make_org("other"), provider="fakebooks")
    store_link(connection, "customer", 7, "R-1")
    store_link(connection, "invoice", 7, "R-1")
    store_link(other, "customer", 7, "R-1")
    assert Link.objects.count() == 3


def test_local_record_is_read_inside_the_organization(org, make_org):
    from accounting.models import Customer

    mine = Customer.objects.create(organization=org, name="Ola")
    theirs = Customer.objects.create(organization=make_org("other"), name="Kari")
    assert local_record(Customer, org, mine.pk, label="customer") == mine
    with pytest.raises(PermanentError, match=f"customer {theirs.pk} no longer exists here"), \
            translation.override("en"):  # the message is translated (nb and sv catalogs)
        local_record(Customer.objects.all(), org, theirs.pk, label="customer")
