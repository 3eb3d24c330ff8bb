"""`manage.py resync <provider> --org <slug> [--type] [--since]`: imports now, prints the counts,
runs the connection's due retries, and says clearly what is wrong otherwise."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.errors import AuthError
from integrations.models import Connection, SyncJob, SyncLogEntry
from tests.integrations.test_integrations_api_fake_provider import (
    Calls,
    make_connection,
)

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def conn(swedish_org, hubbooks):
    return make_connection(swedish_org)


def resync(*args):
    out = StringIO()
    call_command("resync", *args, stdout=out)
    return out.getvalue()


def test_prints_the_counts_per_type(conn):
    output = resync("hubbooks", "--org", "frost")
    assert "customer: 2" in output and "invoice: 2" in output
    (conn_id, types, since), = Calls.imports
    assert (conn_id, types, since) == (conn.pk, ("customer", "invoice"), None)
    assert SyncLogEntry.objects.filter(action="customer.import", status="ok").count() == 1


def test_type_and_since(conn):
    output = resync("hubbooks", "--org", "frost", "--type", "invoice", "--since", "2026-01-01")
    assert output.splitlines()[0] == "invoice: 2"
    (_, types, since), = Calls.imports
    assert types == ("invoice",) and since.date().isoformat() == "2026-01-01"


def test_runs_the_due_retries_of_that_connection_only(conn, norwegian_org):
    other = make_connection(norwegian_org)
    def job(connection, local_id, **kwargs):
        return SyncJob.objects.create(
            organization=connection.organization, connection=connection,
            operation="invoice.export", record_type="invoice", local_id=local_id,
            idempotency_key=f"{connection.pk}:invoice.export:{local_id}",
            external_reference=f"ref-{local_id}", **kwargs)
    due = job(conn, "1", status="queued", next_attempt_at=timezone.now())
    later = job(conn, "2", status="queued",
                next_attempt_at=timezone.now() + timezone.timedelta(hours=1))
    theirs = job(other, "3", status="queued", next_attempt_at=timezone.now())
    output = resync("hubbooks", "--org", "frost")
    assert "due jobs run: done 1" in output
    statuses = {j.pk: j.status for j in SyncJob.objects.all()}
    assert statuses == {due.pk: "done", later.pk: "queued", theirs.pk: "queued"}


def test_no_retries_flag(conn):
    SyncJob.objects.create(organization=conn.organization, connection=conn,
                           operation="invoice.export", record_type="invoice", local_id="1",
                           idempotency_key="k", external_reference="r")
    resync("hubbooks", "--org", "frost", "--no-retries")
    assert SyncJob.objects.get().status == "queued"


@pytest.mark.parametrize("args, message", [
    (("hubbooks", "--org", "nosuch"), "Unknown organization 'nosuch'. Known slugs: frost"),
    (("nosuch", "--org", "frost"), "Unknown provider 'nosuch'. Registered:"),
    (("hubbooks", "--org", "frost", "--type", "payslip"),
     "HubBooks cannot import payslip. It imports: customer, invoice."),
    (("hubbooks", "--org", "frost", "--since", "yesterday"), "is not a date"),
])
def test_clear_errors(conn, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        resync(*args)
    assert Calls.imports == []


def test_an_organization_without_the_connection(swedish_org, norwegian_org, hubbooks):
    with pytest.raises(CommandError, match="Nordbil AS has no HubBooks connection"):
        resync("hubbooks", "--org", "nordbil")


def test_a_connection_that_needs_reauth_says_so_and_why(conn):
    Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.NEEDS_REAUTH,
                                                 status_reason="invalid_grant")
    with pytest.raises(CommandError, match=r"needs re-authorization \(invalid_grant\)"):
        resync("hubbooks", "--org", "frost")


def test_a_provider_error_is_reported_and_logged(conn):
    Calls.fail_import_with = AuthError("HubBooks refused the token")
    with pytest.raises(CommandError, match="HubBooks refused the import: HubBooks refused the "
                                           "token"):
        resync("hubbooks", "--org", "frost")
    assert SyncLogEntry.objects.filter(action="invoice.import", status="failed").exists()
    conn.refresh_from_db()
    assert conn.status == Connection.Status.NEEDS_REAUTH
    assert conn.status_reason == "HubBooks refused the token"
