"""The dealer's flow on Tripletex through the shared pages and the engine, Tripletex played with
`responses` (`fake.py`): connect by pasting the employee token, send, invoice now, a webhook
making it "Betalt", search-before-create after a lost response, the error envelope, the
rate-limit headers."""

import json
import time
from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.utils import timezone

from contracts.dealerflow.acceptance import drain, drain_webhooks
from integrations.errors import LocalRateLimitWait, PermanentError
from integrations.models import Connection, Link, SyncJob, WebhookEvent
from integrations.providers.tripletex import mappers
from integrations.providers.tripletex.client import TripletexClient
from integrations.providers.tripletex.provider import Tripletex
from tests.integrations.tripletex.fake import TripletexEdge, envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def edge(tx_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield TripletexEdge(rsps)


@pytest.fixture
def admin(dealer, make_user):
    client = Client()
    client.force_login(make_user("sjef", dealer, role="admin"))
    return client


def _connect(admin, edge):
    response = admin.post("/settings/accounting/tripletex/token/",
                          {"employee_token": "test-employee-5ecret"}, follow=True)
    assert response.status_code == 200
    return response


def test_pasting_the_employee_token_connects_and_subscribes_with_a_secret(admin, edge, dealer,
                                                                         mappings):
    page = _connect(admin, edge).content.decode()
    assert "Bil Vest Tripletex AS" in page, page[page.find("<main"):][:3000]
    assert "Test tilkobling" in page, page[page.find("<main"):][:1500]
    connection = Connection.objects.get(organization=dealer, provider="tripletex")
    assert connection.status == Connection.Status.CONNECTED
    assert connection.credentials["employee_token"] == "test-employee-5ecret"
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT encrypted_credentials FROM integrations_connection WHERE id = %s",
                       [connection.pk])
        stored = str(cursor.fetchone()[0])
    assert "test-employee-5ecret" not in stored and "session" not in stored  # encrypted
    events = sorted(s["event"] for s in edge.store["subscription"])
    assert events == sorted(mappers.PAYMENT_EVENTS)
    assert {s["targetUrl"] for s in edge.store["subscription"]} == {
        "https://hub.test/api/webhooks/tripletex"}
    secret = edge.store["subscription"][0]["hmacSharedSecret"]
    from integrations.webhooks import active_secrets

    assert active_secrets(connection) == [secret]
    assert Link.objects.filter(connection=connection, record_type="subscription").count() == 4
    # The settings page lists Tripletex's own VAT types and income accounts.
    assert "MVA-koder og kontoer i Tripletex" in page and "Utgående høy" in page


def test_a_refused_employee_token_stores_nothing(admin, edge, dealer):
    response = admin.post("/settings/accounting/tripletex/token/",
                          {"employee_token": "wrong"}, follow=True)
    assert "refused the employee token" in response.content.decode()
    assert not Connection.objects.filter(organization=dealer).exists()


def test_send_invoice_and_a_webhook_make_it_betalt(admin, edge, dealer, mappings, contract):
    _connect(admin, edge)
    connection = Connection.objects.get(organization=dealer, provider="tripletex")
    page = admin.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Send til Tripletex" in page and 'data-provider="tripletex"' in page
    admin.post(f"/contracts/{contract.pk}/accounting/send/")
    assert drain(timeout=20)
    (order,) = edge.store["order"]
    assert order["reference"] == f"hub-{dealer.pk}-order-{contract.pk}"
    products = {p["id"]: p for p in edge.store["product"]}
    accounts = {a["id"]: a["number"] for a in edge.accounts}
    assert [(accounts[products[line["product"]["id"]]["account"]["id"]], line["vatType"]["id"])
            for line in order["orderLines"]] == [(3010, 3), (3020, 3)]
    (customer,) = edge.store["customer"]
    assert customer["organizationNumber"] == "987654321"
    contract.refresh_from_db()
    assert contract.accounting_state == "order" and contract.order_number == order["number"]
    page = admin.get(f"/contracts/{contract.pk}/").content.decode()
    assert f"Ordre #{order['number']} opprettet i Tripletex" in page

    admin.post(f"/contracts/{contract.pk}/accounting/invoice/")
    assert drain(timeout=20)
    (invoice,) = edge.store["invoice"]
    link = Link.objects.get(connection=connection, record_type="invoice",
                            local_id=str(contract.pk))
    assert link.remote_id == str(invoice["id"])
    assert link.remote_url == f"https://tripletex.test/execute/invoice/{invoice['id']}"
    contract.refresh_from_db()
    assert contract.invoice_number == str(invoice["invoiceNumber"])
    assert contract.accounting_state == "sent"
    page = admin.get(f"/contracts/{contract.pk}/").content.decode()
    assert link.remote_url in page and f"#{invoice['invoiceNumber']}" in page

    invoice["amountOutstanding"] = 0  # the accountant registered the payment
    subscription = next(s for s in edge.store["subscription"]
                        if s["event"] == "closeGroup.create")
    raw = json.dumps({"subscriptionId": subscription["id"], "event": "closeGroup.create",
                      "id": 99, "value": None}).encode()
    signature = mappers.signature(subscription["hmacSharedSecret"], "delivery-1", raw)
    answer = Client().post("/api/webhooks/tripletex", raw, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="delivery-1", HTTP_X_REQUEST_SIGNATURE=signature)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    assert drain_webhooks() == 1
    contract.refresh_from_db()
    assert contract.accounting_state == "paid" and contract.amount_remaining == 0
    assert ">Betalt<" in admin.get(f"/contracts/{contract.pk}/").content.decode()
    status = admin.get(f"/api/accounting/contracts/{contract.pk}/status").json()
    assert status["state"] == "paid" and status["provider"] == "tripletex"


def test_a_lost_order_response_is_found_by_reference_and_not_sent_twice(admin, edge, dealer,
                                                                        mappings, contract):
    _connect(admin, edge)
    edge.lose_next_create()  # the customer is found again by org. number, the order is lost
    edge.store["customer"].append({"id": 1, "version": 0, "name": "Fjordtransport AS",
                                   "organizationNumber": "987654321",
                                   "email": "post@fjordtransport.example.no",
                                   "customerNumber": 10001})
    admin.post(f"/contracts/{contract.pk}/accounting/send/")
    job = SyncJob.objects.get(operation="order.create")
    from integrations.engine import run_job

    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.UNKNOWN and len(edge.store["order"]) == 1
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE and len(edge.store["order"]) == 1
    assert job.remote_id == str(edge.store["order"][0]["id"])
    assert len(edge.store["customer"]) == 1  # matched by organization number, not created


def test_an_invoiced_order_found_after_a_lost_invoice_response(admin, edge, dealer, mappings,
                                                              contract):
    _connect(admin, edge)
    admin.post(f"/contracts/{contract.pk}/accounting/send/")
    assert drain(timeout=20)
    edge.lose_next_create()
    admin.post(f"/contracts/{contract.pk}/accounting/invoice/")
    from integrations.engine import run_job

    job = SyncJob.objects.get(operation="invoice.create")
    run_job(job.pk)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE and len(edge.store["invoice"]) == 1
    assert job.remote_id == str(edge.store["invoice"][0]["id"])


def test_missing_mapping_blocks_with_the_deep_link(admin, edge, dealer, mappings, contract):
    from contracts.models import ContractLine

    _connect(admin, edge)
    ContractLine.objects.create(contract=contract, category="fee", description="Omreg.",
                                unit_price=1500)
    response = admin.post("/api/accounting/send-order", {"contractId": contract.pk},
                          content_type="application/json")
    assert response.status_code == 422
    vat = next(p for p in response.json()["problems"] if p["field"] == "mapping.vat.fee")
    assert vat["message"] == "Mangler MVA-mapping for 'Gebyr'. Gå til Regnskap -> Mapping."
    assert vat["fix_url"] == "/admin/integrations/vatmapping/add/?provider=tripletex&" \
                             "category=fee"
    assert not SyncJob.objects.exists()


def test_an_account_tripletex_does_not_have_blocks_before_sending(admin, edge, dealer,
                                                                  mappings, contract):
    from integrations.models import AccountMapping

    _connect(admin, edge)
    AccountMapping.objects.filter(category="addon").update(account_number="3999")
    response = admin.post("/api/accounting/send-order", {"contractId": contract.pk},
                          content_type="application/json")
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert "3999" in problem["message"] and problem["field"] == "mapping.account.addon"


def test_the_error_envelope_and_409_codes_become_words(connection, edge):
    client = TripletexClient(Tripletex(connection))
    edge.grant("test-employee-5ecret", "session-1")
    for code, words in ((7000, "already exists"), (8000, "changed in Tripletex by someone"),
                        (14000, "duplicate")):
        edge.fail_next = (409, envelope(409, code, "Konflikt",
                                        [("organizationNumber", "finnes fra før")]))
        with pytest.raises(PermanentError) as raised:
            client.post_value("/customer", {"name": "X"})
        assert words in raised.value.message and "organizationNumber: finnes fra før" in \
            raised.value.message
        assert raised.value.code == str(code) and raised.value.raw["code"] == code


def test_a_spent_budget_stops_every_request_until_the_reset(connection, edge, settings):
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 5
    edge.grant("test-employee-5ecret", "session-1")
    edge.remaining = 1  # this answer says 0 are left, reset in 30 s
    client = TripletexClient(Tripletex(connection))
    client.values("/ledger/vatType")
    calls = len(edge.rsps.calls)
    with pytest.raises(LocalRateLimitWait) as waited:
        client.values("/ledger/vatType")
    assert 25 < waited.value.wait_seconds <= 30
    assert len(edge.rsps.calls) == calls  # not sent: it would only have been a 429
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=True):
        client.values("/ledger/vatType")
    assert len(edge.rsps.calls) == calls + 1


def test_disconnect_deletes_the_session_at_tripletex_and_our_tokens(admin, edge, dealer):
    _connect(admin, edge)
    connection = Connection.objects.get(organization=dealer, provider="tripletex")
    session = connection.credentials["access_token"]
    admin.post("/settings/accounting/disconnect/")
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED and connection.credentials == {}
    assert session not in edge.sessions
    assert edge.store["subscription"] == []  # our webhooks unsubscribed first
    assert not Link.objects.filter(connection=connection, record_type="subscription").exists()


def test_a_bad_signature_is_refused_and_the_same_delivery_twice_processed_once(
        admin, edge, dealer, mappings):
    _connect(admin, edge)
    subscription = edge.store["subscription"][0]
    raw = json.dumps({"subscriptionId": subscription["id"], "event": "invoice.charged",
                      "id": 1, "value": {"id": 1}}).encode()
    bad = Client().post("/api/webhooks/tripletex", raw, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="d-1",
                        HTTP_X_REQUEST_SIGNATURE=mappers.signature("wrong", "d-1", raw))
    assert bad.status_code == 400
    assert drain_webhooks() == 0
    good = mappers.signature(subscription["hmacSharedSecret"], "d-2", raw)
    answers = [Client().post("/api/webhooks/tripletex", raw, content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY="d-2", HTTP_X_REQUEST_SIGNATURE=good).json()
               ["status"] for _ in range(2)]
    assert answers[0] == "accepted" and answers[1] != "accepted"
    assert drain_webhooks() == 1
    time.sleep(0)
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSED).count() == 1


def test_the_fake_checks_every_query_against_the_spec(connection, edge):
    """The query check the fake applies to everything above can fail."""
    edge.grant("test-employee-5ecret", "session-1")
    client = TripletexClient(Tripletex(connection))
    with pytest.raises(AssertionError, match="not in the spec"):
        client.values("/customer", {"colour": "red"})
    with pytest.raises(AssertionError, match="required"):
        client.values("/order", {"orderDateFrom": "2026-12-01"})


def test_the_customer_page_syncs_the_customer_with_tripletex(admin, edge, dealer, contract):
    _connect(admin, edge)
    customer = contract.customer
    page = admin.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="accounting-customer" data-provider="tripletex"' in page
    assert "Tripletex-ID" in page and "Synk kunde" in page
    admin.post(f"/customers/{customer.pk}/accounting/sync/")
    assert drain(timeout=20)
    job = SyncJob.objects.get(operation="customer.upsert")
    assert job.status == SyncJob.Status.DONE
    (row,) = edge.store["customer"]
    assert job.remote_id == str(row["id"]) and row["organizationNumber"] == "987654321"
    page = admin.get(f"/customers/{customer.pk}/").content.decode()
    assert str(row["id"]) in page.split('id="accounting-customer-id"')[1][:80]


def test_a_dealer_without_an_accounting_system_is_offered_every_one(make_org, make_user):
    org = make_org("ny-forhandler", name="Ny Forhandler AS", country="NO", language="nb")
    client = Client()
    client.force_login(make_user("ny-sjef", org, role="admin"))
    page = client.get("/settings/accounting/").content.decode()
    assert 'id="accounting-connect-tripletex"' in page
    assert 'action="/settings/accounting/tripletex/token/"' in page
    assert page.count('id="accounting-connect-') >= 2  # the other dealer systems too


def test_the_poll_reads_open_invoices_by_id_and_nothing_when_none_is_open(connection, edge,
                                                                         contract):
    from integrations.tasks import run_provider_schedule

    edge.grant("test-employee-5ecret", "session-1")
    assert {s.hook for s in Tripletex.schedules()} == {"poll_all", "reconcile_all"}
    calls = len(edge.rsps.calls)
    Tripletex.poll_all()
    assert len(edge.rsps.calls) == calls  # nothing open: no request at all
    invoice = {"id": 7001, "invoiceNumber": 31, "amount": 1000.0, "amountOutstanding": 400.0,
               "invoiceDueDate": "2099-01-31", "orders": [{"id": 1}]}
    edge.store["invoice"].append(invoice)
    Link.objects.create(organization=connection.organization, connection=connection,
                        record_type="invoice", local_id=str(contract.pk), remote_id="7001")
    type(contract).objects.filter(pk=contract.pk).update(accounting_state="sent")
    Tripletex.poll_all()
    contract.refresh_from_db()
    assert (contract.accounting_state, contract.amount_paid) == ("partly_paid", 600)
    assert len(edge.rsps.calls) == calls + 1  # one request for every open invoice
    invoice["amountOutstanding"] = 0
    run_provider_schedule("tripletex", "reconcile_all")  # the nightly reconciliation
    contract.refresh_from_db()
    assert contract.accounting_state == "paid" and contract.invoice_number == "31"
