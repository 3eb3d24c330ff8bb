"""store_link under real concurrency: threads with their own database connections, on SQLite
and PostgreSQL alike."""

import pytest

from integrations.links import LinkConflict, store_link
from integrations.models import Connection, Link
from tests.integrations.test_engine_concurrency import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_workers_storing_one_link_at_once_leave_one_row(connection):
    def store(i):
        store_link(Connection.objects.get(pk=connection.pk), "customer", 42, "R-42",
                   remote_number=str(i))
        return True

    assert in_threads(10, store) == [True] * 10
    assert Link.objects.filter(connection=connection, record_type="customer").count() == 1


def test_two_records_claiming_one_remote_object_at_once_one_wins(connection):
    def store(i):
        try:
            store_link(Connection.objects.get(pk=connection.pk), "customer", i, "R-1")
        except LinkConflict:
            return "conflict"
        return "stored"

    assert sorted(in_threads(2, store)) == ["conflict", "stored"]
    assert Link.objects.filter(connection=connection, remote_id="R-1").count() == 1
