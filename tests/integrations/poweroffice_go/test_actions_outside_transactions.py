"""The contract's buttons ask PowerOffice Go before anything is recorded, and never from inside a
database transaction: on SQLite a transaction holds the whole database's write lock, so an HTTP
call inside one stalls every other writer (the sandbox's, when it shares the file) for the whole
round trip. The job itself is recorded in a short transaction of its own."""

from datetime import timedelta

import pytest
import responses
from django.db import connection as db
from django.utils import timezone

from integrations.models import Connection, SyncJob

# No test transaction around the test: whatever transaction is open during a request is the code's.
pytestmark = pytest.mark.django_db(transaction=True)

BASE = "https://goapi.test/Demo"


@pytest.fixture
def asked_in_a_transaction(settings):
    """For each request to Go: was a database transaction open when it was made?"""
    settings.POWEROFFICE_GO_BASE_URL = BASE
    settings.POWEROFFICE_GO_APPLICATION_KEY = "app-key"
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = "sub-key"
    seen = []

    def accounts(request):
        seen.append(db.in_atomic_block)
        return 200, {}, '[{"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "3"}]'

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", f"{BASE}/v2/GeneralLedgerAccounts", callback=accounts,
                          content_type="application/json")
        yield seen


@pytest.fixture
def connection(dealer):
    conn = Connection(organization=dealer, provider="poweroffice_go",
                      status=Connection.Status.CONNECTED, connected_at=timezone.now())
    conn.set_credentials({"client_key": "ck-1", "access_token": "tok-1"},
                         expires_at=timezone.now() + timedelta(minutes=20))
    conn.save()
    return conn


@pytest.fixture
def staff(dealer, make_user, client):
    client.force_login(make_user("selger", dealer, role="staff"))


@pytest.mark.parametrize("click", ["page", "api"])
def test_sending_asks_go_outside_any_transaction(client, staff, connection, mappings, contract,
                                                asked_in_a_transaction, click):
    if click == "page":
        response = client.post(f"/contracts/{contract.pk}/pogo/send/")
        assert response.status_code == 302
    else:
        response = client.post("/api/accounting/pogo/send-order", {"contractId": contract.pk},
                               content_type="application/json")
        assert response.status_code == 202, response.json()
    assert asked_in_a_transaction == [False]
    assert SyncJob.objects.filter(operation="order.create", local_id=str(contract.pk)).count() == 1

