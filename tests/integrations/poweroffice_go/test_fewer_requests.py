"""A person's click costs as few PowerOffice Go requests as is safe: the accounts' VAT codes are
remembered per connection for POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS, and a linked customer whose
body has not changed since we last sent it is neither read nor patched. Requests are counted at
the HTTP edge (`responses`); the clock is moved with time-machine, never waited for."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine

from integrations.engine import enqueue_job, retry_job, run_job
from integrations.models import Link, SyncJob
from integrations.providers.poweroffice_go.operations import SENT_DIGEST
from tests.integrations.poweroffice_go.conftest import FAKE_BASE
from tests.integrations.poweroffice_go.test_order_query_cost import Products

API = f"{FAKE_BASE}/v2"
# Any instant: the code under test reads the clock, and the tests freeze it here.
SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pogo_at_fake_host")]


@pytest.fixture
def go():
    """Go before the first order: accounts with VAT 3, no customer, no products yet."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{API}/GeneralLedgerAccounts", json=[
            {"AccountNo": n, "VatCode": "3"} for n in (3000, 3010, 3020, 3100)])
        mock.get(f"{API}/Customers/501", json={
            "Id": 501, "Number": 10001, "Name": "Fjordtransport AS",
            "EmailAddress": "post@fjordtransport.example.no"})
        mock.patch(f"{API}/Customers/501", json={"Id": 501})
        mock.get(f"{API}/Customers", status=204)
        mock.post(f"{API}/Customers", status=201, json={"Id": 501, "Number": 10001})
        products = Products()  # created by the first order, found as created after it
        mock.add_callback("GET", f"{API}/Products", callback=products.get)
        mock.add_callback("POST", f"{API}/Products", callback=products.post)
        mock.post(f"{API}/SalesOrders/Complete", status=201, json={
            "Id": "6f0c0a4e-0000-4000-8000-000000000001", "SalesOrderNo": 1042})
        yield mock


def _order(connection, contract, go, variant):
    """Run one order job; returns (job, ["METHOD /path", ...] it sent)."""
    before = len(go.calls)
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk, variant=variant)
    run_job(job.pk)
    job.refresh_from_db()
    return job, _sent(go, before)


def _retried(job, go):
    """Retry a failed order job by hand and run it; returns (job, what it sent)."""
    before = len(go.calls)
    assert retry_job(job)
    run_job(job.pk)
    job.refresh_from_db()
    return job, _sent(go, before)


def _sent(go, before):
    return [f"{c.request.method} {c.request.path_url.split('?')[0].removeprefix('/Demo/v2')}"
            for c in go.calls[before:]]


def _customer_link(connection):
    return Link.objects.get(connection=connection, record_type="customer")


def test_a_second_order_for_the_same_customer_and_car_sends_only_the_order(
        go, connection, mappings, contract):
    first, sent = _order(connection, contract, go, "1")
    assert first.status == SyncJob.Status.DONE, first.last_error
    assert "GET /GeneralLedgerAccounts" in sent and "POST /Customers" in sent
    assert SENT_DIGEST in _customer_link(connection).data

    second, sent = _order(connection, contract, go, "2")
    assert second.status == SyncJob.Status.DONE, second.last_error
    assert sent == ["POST /SalesOrders/Complete"]
    assert json.loads(go.calls[-1].request.body)["CustomerId"] == 501


def test_a_changed_customer_is_read_and_patched_then_remembered_again(go, connection, mappings,
                                                                      contract):
    _order(connection, contract, go, "1")
    customer = contract.customer
    customer.email = "faktura@fjordtransport.example.no"
    customer.save()

    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent == ["GET /Customers/501", "PATCH /Customers/501", "POST /SalesOrders/Complete"]
    patch = next(c.request for c in go.calls if c.request.method == "PATCH")
    assert {"op": "replace", "path": "/EmailAddress",
            "value": "faktura@fjordtransport.example.no"} in json.loads(patch.body)

    job, sent = _order(connection, contract, go, "3")
    assert sent == ["POST /SalesOrders/Complete"]


def test_a_link_without_a_digest_is_read(go, connection, mappings, contract):
    _order(connection, contract, go, "1")
    Link.objects.filter(connection=connection, record_type="customer").update(data={})
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent[0] == "GET /Customers/501"
    assert SENT_DIGEST in _customer_link(connection).data


def test_a_customer_deleted_in_go_is_read_again_when_the_order_is_retried(go, connection,
                                                                          mappings, contract):
    _order(connection, contract, go, "1")
    # The accountant deleted customer 501 in Go; our link still remembers it.
    go.replace(responses.POST, f"{API}/SalesOrders/Complete", status=404,
               json={"title": "Not Found", "status": 404,
                     "detail": "Customer with id = 501 not found."})
    go.replace(responses.GET, f"{API}/Customers/501", status=404,
               json={"title": "Not Found", "status": 404,
                     "detail": "Customer with id = 501 not found."})
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.FAILED
    assert sent == ["POST /SalesOrders/Complete"]
    assert SENT_DIGEST not in _customer_link(connection).data

    go.replace(responses.POST, f"{API}/Customers", status=201, json={"Id": 502, "Number": 10002})
    go.replace(responses.POST, f"{API}/SalesOrders/Complete", status=201, json={
        "Id": "6f0c0a4e-0000-4000-8000-000000000002", "SalesOrderNo": 1043})
    job, sent = _retried(job, go)
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent[0] == "GET /Customers/501" and "POST /Customers" in sent
    assert json.loads(go.calls[-1].request.body)["CustomerId"] == 502
    assert _customer_link(connection).remote_id == "502"


def test_an_account_vat_changed_in_go_is_caught_once_the_remembered_codes_expire(
        go, connection, mappings, contract, settings):
    settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS = 600
    # The connection's token is old at SOME_MOMENT: it is renewed once, for an hour.
    go.post(f"{FAKE_BASE}/OAuth/Token", json={"access_token": "tok-2", "token_type": "bearer",
                                              "expires_in": 3600})
    # The clock ticks (the rate limiter needs time to pass); the shifts are far from the edge.
    with time_machine.travel(SOME_MOMENT) as clock:
        assert _order(connection, contract, go, "1")[0].status == SyncJob.Status.DONE
        go.replace(responses.GET, f"{API}/GeneralLedgerAccounts", json=[
            {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "5"}])

        clock.shift(timedelta(seconds=590))  # the staleness accepted: inside the window
        job, sent = _order(connection, contract, go, "2")
        assert job.status == SyncJob.Status.DONE and "GET /GeneralLedgerAccounts" not in sent

        clock.shift(timedelta(seconds=20))
        job, sent = _order(connection, contract, go, "3")
        assert job.status == SyncJob.Status.FAILED
        assert "Account 3010" in job.last_error and "VAT code 5" in job.last_error
        assert "POST /SalesOrders/Complete" not in sent

        # A mismatch is never remembered: fixed in Go, the next order reads it and goes.
        go.replace(responses.GET, f"{API}/GeneralLedgerAccounts", json=[
            {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "3"}])
        job, sent = _order(connection, contract, go, "4")
        assert job.status == SyncJob.Status.DONE and "GET /GeneralLedgerAccounts" in sent


def test_remembered_codes_that_disagree_with_a_changed_mapping_are_read_again(
        go, connection, mappings, contract):
    from integrations.models import VatMapping

    _order(connection, contract, go, "1")
    # The VAT code changed both in Go and in our mapping: the remembered 3 is not trusted.
    VatMapping.objects.filter(category="addon").update(vat_code="5")
    go.replace(responses.GET, f"{API}/GeneralLedgerAccounts", json=[
        {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "5"}])
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent[0] == "GET /GeneralLedgerAccounts"


def test_no_remembering_when_the_setting_is_zero(go, connection, mappings, contract, settings):
    settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS = 0
    _order(connection, contract, go, "1")
    job, sent = _order(connection, contract, go, "2")
    assert sent[0] == "GET /GeneralLedgerAccounts"
