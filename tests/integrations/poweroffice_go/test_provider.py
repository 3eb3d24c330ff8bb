"""PowerOffice Go's client, operations and poller against `responses` (the HTTP edge)."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine
from django.utils import timezone

from integrations.engine import enqueue_job, run_job
from integrations.models import Link, SyncCursor, SyncJob, SyncLogEntry
from tests.integrations.poweroffice_go.conftest import FAKE_BASE

BASE = FAKE_BASE
API = f"{BASE}/v2"
# Any instant: the code under test reads the clock, and the tests freeze it here.
SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pogo_at_fake_host")]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _run(job):
    run_job(job.pk)
    job.refresh_from_db()
    return job


def test_token_uses_both_keys_and_reads_expires_in(rsps, connection):
    from integrations.providers.poweroffice_go import auth

    rsps.post(f"{BASE}/OAuth/Token", json={"access_token": "tok-2", "token_type": "bearer",
                                           "expires_in": 600})
    with time_machine.travel(SOME_MOMENT, tick=False):
        token, expires_at = auth.fetch_token("client-key")
    request = rsps.calls[0].request
    assert request.headers["Ocp-Apim-Subscription-Key"] == "sub-key"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"app-key:client-key").decode()
    assert request.body == "grant_type=client_credentials"
    assert token == "tok-2"
    assert expires_at == SOME_MOMENT + timedelta(seconds=600)


def test_refused_client_key_is_an_auth_error_that_says_what_to_do(rsps):
    from integrations.errors import AuthError
    from integrations.providers.poweroffice_go import auth

    rsps.post(f"{BASE}/OAuth/Token", status=400, json={
        "error": "invalid_client", "error_description": "Client integration not found."})
    with pytest.raises(AuthError, match="invalid_client.*Connect again"):
        auth.fetch_token("wrong")


@pytest.mark.parametrize("path, call, body", [
    ("Onboarding/Initiate", "initiate_onboarding", {"Other": 1}),
    ("Onboarding/Finalize", "finalize_onboarding", ["not", "an", "object"]),
    ("OAuth/Token", "fetch_token", {"token_type": "bearer"}),
])
def test_a_200_without_what_we_need_is_the_providers_fault_not_a_crash(rsps, path, call, body):
    from integrations.errors import PermanentError
    from integrations.providers.poweroffice_go import auth

    url = f"{API}/{path}" if path.startswith("Onboarding") else f"{BASE}/{path}"
    rsps.post(url, json=body)
    args = {"initiate_onboarding": {"redirect_uri": "http://testserver/cb"},
            "finalize_onboarding": {"token": "t"}, "fetch_token": {}}[call]
    with pytest.raises(PermanentError, match="answered .* without") as caught:
        getattr(auth, call)(*(["key"] if call == "fetch_token" else []), **args)
    assert caught.value.raw_text == json.dumps(body)


def test_every_api_call_carries_the_subscription_key_and_204_is_an_empty_list(rsps, connection):
    from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    rsps.get(f"{API}/Customers", status=204)
    rows = PowerOfficeGoClient(PowerOfficeGo(connection)).list("/Customers")
    assert rows == []
    headers = rsps.calls[0].request.headers
    assert headers["Ocp-Apim-Subscription-Key"] == "sub-key"
    assert headers["Authorization"] == "Bearer tok-1"


def test_problem_details_are_read_case_insensitively(rsps, connection, mappings, contract):
    rsps.get(f"{API}/GeneralLedgerAccounts", json=[
        {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "3"}])
    rsps.get(f"{API}/Customers", status=204)
    rsps.post(f"{API}/Customers", status=201, json={"Id": 501, "Number": 10001})
    rsps.get(f"{API}/Products", status=204)
    rsps.post(f"{API}/Products", status=201, json={"Id": 11})
    rsps.post(f"{API}/SalesOrders/Complete", status=400, json={
        "title": "Validation failed", "status": 400, "detail": "Customer is archived"})
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk)
    job = _run(job)
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error == "Validation failed: Customer is archived"
    entry = SyncLogEntry.objects.filter(job=job, status="failed").get()
    assert json.loads(entry.raw_response)["detail"] == "Customer is archived"


def test_order_corrects_a_product_whose_account_differs_from_the_mapping(rsps, connection,
                                                                         mappings, contract):
    rsps.get(f"{API}/GeneralLedgerAccounts", json=[
        {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "3"}])
    rsps.get(f"{API}/Customers", status=204)
    rsps.post(f"{API}/Customers", status=201, json={"Id": 501, "Number": 10001})
    # The car's product exists in Go (made by hand) with another account: Go refuses a second
    # product with its code, so it is looked up and corrected.
    rsps.get(f"{API}/Products", json=[{"Id": 11, "Code": "YV1XZK9V1P2012345",
                                       "Name": "2024 Volvo EX30 (EL 12345)",
                                       "StandardSalesAccount": 3200}])
    rsps.patch(f"{API}/Products/11", json={"Id": 11})

    def create(request):
        if json.loads(request.body)["Code"] == "YV1XZK9V1P2012345":
            return 400, {}, json.dumps({"title": "One or more validation errors occurred.",
                                        "errors": {"Code": ["A product with Code "
                                                            "'YV1XZK9V1P2012345' already "
                                                            "exists."]}})
        return 201, {}, json.dumps({"Id": 12})

    rsps.add_callback("POST", f"{API}/Products", callback=create)
    rsps.post(f"{API}/SalesOrders/Complete", status=201, json={
        "Id": "6f0c0a4e-0000-4000-8000-000000000001", "SalesOrderNo": 1042})
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk)
    assert _run(job).status == SyncJob.Status.DONE
    patch = next(c.request for c in rsps.calls if c.request.method == "PATCH")
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    assert json.loads(patch.body) == [{"op": "replace", "path": "/StandardSalesAccount",
                                       "value": 3000}]
    order = json.loads(rsps.calls[-1].request.body)
    assert order["SalesOrderLines"][0]["ProductId"] == 11
    assert Link.objects.get(connection=connection, record_type="product",
                            local_id="YV1XZK9V1P2012345").remote_id == "11"
    contract.refresh_from_db()
    assert (contract.accounting_state, contract.order_number) == ("order", "1042")
    link = Link.objects.get(connection=connection, record_type="order")
    assert link.remote_url == "https://go.test/salesorders/6f0c0a4e-0000-4000-8000-000000000001"
    assert Link.objects.filter(connection=connection, record_type="customer",
                               remote_id="501").exists()


def test_order_is_not_sent_when_an_account_carries_another_vat_code(rsps, connection, mappings,
                                                                    contract):
    rsps.get(f"{API}/GeneralLedgerAccounts", json=[
        {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "5"}])
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk)
    job = _run(job)
    assert job.status == SyncJob.Status.FAILED
    assert "Account 3010" in job.last_error and "VAT code 5" in job.last_error
    assert "/admin/integrations/vatmapping/" in job.last_error
    assert not any(c.request.method == "POST" for c in rsps.calls)


def test_unknown_outcome_adopts_the_order_with_exactly_our_reference(rsps, connection, mappings,
                                                                     contract):
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk)
    SyncJob.objects.filter(pk=job.pk).update(outcome_uncertain=True)
    ours = job.external_reference
    rsps.get(f"{API}/SalesOrders", json=[
        {"Id": "a", "SalesOrderNo": 1, "ExternalImportReference": ours + "0"},  # a prefix match
        {"Id": "b", "SalesOrderNo": 2, "ExternalImportReference": ours}])
    job = _run(job)
    assert job.status == SyncJob.Status.DONE and job.remote_id == "b"
    assert not any(c.request.method == "POST" for c in rsps.calls)


def test_poll_with_nothing_changed_costs_one_request(rsps, connection):
    from integrations.providers.poweroffice_go import poller

    rsps.get(f"{API}/OutgoingInvoices", status=204)
    assert poller.poll_connection(connection) == {"changed": 0, "updated": 0}
    assert len(rsps.calls) == 1
    query = rsps.calls[0].request.params
    assert "balanceLastChangedDateTimeOffsetGreaterThan" in query


def test_poll_moves_the_badge_and_the_cursor(rsps, connection, contract):
    from integrations.providers.poweroffice_go import poller

    Link.objects.create(organization=contract.organization, connection=connection,
                        record_type="invoice", local_id=str(contract.pk), remote_id="inv-1")
    with time_machine.travel(SOME_MOMENT, tick=False) as clock:
        connection.connected_at = timezone.now()
        connection.set_credentials(connection.credentials,
                                   expires_at=timezone.now() + timedelta(days=30))
        connection.save()
        clock.shift(timedelta(days=3))
        paid_at = timezone.now() - timedelta(hours=2)
        other_at = paid_at + timedelta(minutes=30)
        rsps.get(f"{API}/OutgoingInvoices", json=[
            {"Id": "inv-1", "InvoiceNo": 10005, "TotalAmount": 1000, "Balance": 250,
             "DueDate": "2099-01-01", "BalanceLastChangedDateTimeOffset": paid_at.isoformat()},
            {"Id": "not-ours", "InvoiceNo": 1, "TotalAmount": 5, "Balance": 0,
             "BalanceLastChangedDateTimeOffset": other_at.isoformat()}])
        assert poller.poll_connection(connection) == {"changed": 2, "updated": 1}
        # The first poll reads from a little before the connection was made.
        since = rsps.calls[0].request.params["balanceLastChangedDateTimeOffsetGreaterThan"]
        assert datetime.fromisoformat(since) == connection.connected_at - timedelta(minutes=5)
        contract.refresh_from_db()
        assert contract.accounting_state == "partly_paid"
        assert (contract.amount_paid, contract.amount_remaining) == (750, 250)
        cursor = SyncCursor.objects.get(connection=connection).value
        assert datetime.fromisoformat(cursor) == other_at
        synced = SyncLogEntry.objects.filter(action="payment.synced", local_id=str(contract.pk))
        assert synced.count() == 1

        # The next poll asks only for what changed after the newest change seen.
        clock.shift(timedelta(minutes=10))
        rsps.replace(responses.GET, f"{API}/OutgoingInvoices", status=204)
        assert poller.poll_connection(connection) == {"changed": 0, "updated": 0}
        since = rsps.calls[1].request.params["balanceLastChangedDateTimeOffsetGreaterThan"]
        assert datetime.fromisoformat(since) == other_at
        assert datetime.fromisoformat(SyncCursor.objects.get(connection=connection).value) == \
            other_at


def test_an_unpaid_invoice_past_its_due_date_becomes_overdue_without_a_request(rsps, connection,
                                                                             contract):
    import datetime

    from integrations.providers.poweroffice_go import poller

    contract.accounting_state = "partly_paid"
    contract.amount_remaining = 100
    contract.invoice_due_date = timezone.localdate() - datetime.timedelta(days=1)
    contract.save()
    rsps.get(f"{API}/OutgoingInvoices", status=204)
    poller.poll_connection(connection)
    contract.refresh_from_db()
    assert contract.accounting_state == "overdue"
    assert len(rsps.calls) == 1
