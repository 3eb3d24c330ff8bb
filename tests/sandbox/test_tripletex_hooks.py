"""The Tripletex simulator's rate limit (headers on every answer, 429 until the period resets,
one budget per employee token), its webhooks (subscriptions, deliveries signed with HMAC-SHA512
over idempotency-key & body, sent only after the change commits), the accountant page's
payments, and the seed."""

import base64
import hashlib
import hmac
import json

import pytest

from sandbox.framework import faults
from sandbox.models import SandboxTenant
from sandbox.tripletex import seed, webhooks
from sandbox.tripletex.simulator import RATE_LIMIT
from tests.sandbox.test_tripletex import Tripletex, unhurried_clock  # noqa: F401 (fixture)
from tests.sandbox.test_tripletex_spec import validate

SECRET = "delt-hemmelighet"


@pytest.fixture
def company(db):
    return seed.seed_company("Krokbil AS", organization_number="911222335")


@pytest.fixture
def tx(client, company):
    return Tripletex(client, company)


# -- rate limit ------------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: now[0])
    monkeypatch.setattr(RATE_LIMIT, "limit", 3)
    monkeypatch.setattr(RATE_LIMIT, "window_seconds", 60.0)
    RATE_LIMIT.reset()
    return now


def test_rate_limit_headers_count_down_then_429_until_the_period_resets(client, company, clock):
    tx = Tripletex(client, company)  # creating the session does not count
    answers = [tx.get("token/session/>whoAmI") for _ in range(3)]
    clock[0] += 20
    refused = [tx.get("customer"), tx.get("token/session/>whoAmI")]
    clock[0] += 40
    again = tx.get("token/session/>whoAmI")

    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["X-Rate-Limit-Limit"] for a in answers} == {"3"}
    assert answers[0].headers["X-Rate-Limit-Reset"] == "60"
    for answer in refused:
        assert answer.status_code == 429
        assert answer.headers["X-Rate-Limit-Remaining"] == "0"
        assert answer.headers["X-Rate-Limit-Reset"] == "40"
        assert validate("ApiError", answer.json())["status"] == 429
    assert again.status_code == 200 and again.headers["X-Rate-Limit-Remaining"] == "2"


def test_each_employee_token_has_its_own_budget(client, company, clock):
    first = Tripletex(client, company)
    other_token = client.post("/sandbox/tripletex/_control/employee-tokens",
                              {"tenant": company.external_id},
                              content_type="application/json").json()["token"]
    company.secret = other_token
    second = Tripletex(client, company)
    for _ in range(3):
        first.get("token/session/>whoAmI")

    assert first.get("token/session/>whoAmI").status_code == 429
    assert second.get("token/session/>whoAmI").status_code == 200


def test_the_limit_can_be_changed_over_http(client, db, monkeypatch):
    monkeypatch.setattr(RATE_LIMIT, "limit", RATE_LIMIT.limit)
    monkeypatch.setattr(RATE_LIMIT, "window_seconds", RATE_LIMIT.window_seconds)

    changed = client.post("/sandbox/tripletex/_control/ratelimit",
                          {"limit": 5, "period_seconds": 10}, content_type="application/json")
    refused = client.post("/sandbox/tripletex/_control/ratelimit", {"limit": 0},
                          content_type="application/json")

    assert changed.json() == {"limit": 5, "period_seconds": 10.0}
    assert RATE_LIMIT.limit == 5 and refused.status_code == 400


def test_injected_faults_answer_in_the_envelope(client, tx):
    faults.configure("tripletex", rate_limit_burst=1)
    burst = tx.get("customer")
    faults.configure("tripletex", rate_limit_burst=0, server_error_rate=1.0,
                     server_error_status=503)
    down = tx.get("customer")

    assert burst.status_code == 429 and burst.headers["X-Rate-Limit-Remaining"] == "0"
    assert down.status_code == 503 and validate("ApiError", down.json())["code"] == 1000


# -- webhooks --------------------------------------------------------------------------------------

@pytest.fixture
def received():
    """Deliveries land here instead of going over the network."""
    calls = []

    def transport(url, headers, body, timeout):
        calls.append({"url": url, "headers": headers, "body": body})
        return 200

    webhooks.dispatcher.clear()
    with webhooks.use_transport(transport):
        yield calls
    webhooks.dispatcher.clear()


def subscribe(tx, event, **extra):
    response = tx.post("event/subscription", {
        "event": event, "targetUrl": "https://hub.example.no/api/webhooks/tripletex",
        "fields": "id,version,invoiceNumber,amountOutstanding" if event.startswith("invoice")
        else "*", "hmacSharedSecret": SECRET, **extra})
    assert response.status_code == 201, response.content
    return response.json()["value"]


def expected_signature(headers, body):
    message = headers["idempotency-key"].encode() + b"&" + body
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha512).digest()).decode()


def test_subscriptions_hide_their_secrets_and_check_event_and_url(tx):
    made = subscribe(tx, "invoice.charged", authHeaderName="X-Hub", authHeaderValue="s3cret")
    listed = tx.get("event/subscription").json()
    bad_event = tx.post("event/subscription", {"event": "invoice.paid",
                                               "targetUrl": "https://x.example/h"})
    plain_http = tx.post("event/subscription", {"event": "invoice.charged",
                                                "targetUrl": "http://hub.example.no/h"})
    local_http = tx.post("event/subscription", {"event": "invoice.charged",
                                                "targetUrl": "http://127.0.0.1:8000/h"})

    validate("ResponseWrapperSubscription", {"value": made})
    assert made["status"] == "ACTIVE" and made["authHeaderName"] == "X-Hub"
    assert "hmacSharedSecret" not in made and "authHeaderValue" not in made
    assert [row["id"] for row in validate("ListResponseSubscription", listed)["values"]] == [
        made["id"]]
    assert bad_event.status_code == 422 and plain_http.status_code == 422
    assert local_http.status_code == 201
    keys = tx.get("event").json()["value"]
    assert {"invoice.charged", "voucher.create", "closeGroup.create"} <= set(keys)
    validate("ResponseWrapperMapStringEventInfoDescription", tx.get("event").json())


def test_invoice_charged_is_delivered_after_commit_signed_with_hmac(
        tx, received, django_capture_on_commit_callbacks):
    subscription = subscribe(tx, "invoice.charged", authHeaderName="X-Hub",
                             authHeaderValue="s3cret")
    order = tx.order()

    with django_capture_on_commit_callbacks(execute=False) as pending:
        invoice = tx.invoice(order["id"]).json()["value"]
    assert webhooks.wait_until_idle(1) and received == []  # nothing before the commit
    for callback in pending:
        callback()
    assert webhooks.wait_until_idle(5)

    [call] = received
    body = json.loads(call["body"])
    assert call["url"] == "https://hub.example.no/api/webhooks/tripletex"
    assert call["headers"]["x-request-signature"] == expected_signature(call["headers"],
                                                                        call["body"])
    assert call["headers"]["X-Hub"] == "s3cret"
    assert body == {"subscriptionId": subscription["id"], "event": "invoice.charged",
                    "id": invoice["id"], "value": {"id": invoice["id"], "version": 0,
                                                   "invoiceNumber": invoice["invoiceNumber"],
                                                   "amountOutstanding": 510000.0}}


def test_a_payment_on_the_accountant_page_sends_voucher_and_close_group_events(
        client, tx, company, received, django_capture_on_commit_callbacks):
    invoice = tx.invoice(tx.order()["id"]).json()["value"]
    subscribe(tx, "voucher.create")
    subscribe(tx, "closeGroup.create", fields="id,postings(invoiceNumber,amount)")

    def pay(amount):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/sandbox/tripletex/accountant/", {
                "tenant": company.external_id, "invoice": str(invoice["id"]),
                "amount": amount, "paid_on": "2026-12-05"})

    page = client.get("/sandbox/tripletex/accountant/", {"tenant": company.external_id})
    partial = pay("10 000,00")
    assert webhooks.wait_until_idle(5)
    events_after_partial = [json.loads(call["body"])["event"] for call in received]
    rest = pay("500000")
    too_much = pay("1")
    assert webhooks.wait_until_idle(5)

    assert page.status_code == 200 and str(invoice["invoiceNumber"]) in page.content.decode()
    assert partial.status_code == 302 and rest.status_code == 302
    assert too_much.status_code == 400
    assert events_after_partial == ["voucher.create"]
    bodies = [json.loads(call["body"]) for call in received]
    assert [body["event"] for body in bodies] == ["voucher.create", "voucher.create",
                                                  "closeGroup.create"]
    assert bodies[-1]["value"]["postings"] == [
        {"invoiceNumber": str(invoice["invoiceNumber"]), "amount": 510000.0},
        {"invoiceNumber": str(invoice["invoiceNumber"]), "amount": -10000.0},
        {"invoiceNumber": str(invoice["invoiceNumber"]), "amount": -500000.0}]
    for call in received:
        assert call["headers"]["x-request-signature"] == expected_signature(call["headers"],
                                                                            call["body"])
    assert tx.get(f"invoice/{invoice['id']}").json()["value"]["amountOutstanding"] == 0.0


def test_a_failed_delivery_is_retried_with_the_same_idempotency_key(
        tx, monkeypatch, django_capture_on_commit_callbacks):
    answers, calls = iter([500, 200]), []

    def flaky(url, headers, body, timeout):
        calls.append(headers["idempotency-key"])
        return next(answers)

    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.01, 0.01))
    webhooks.dispatcher.clear()
    subscribe(tx, "customer.create")
    with webhooks.use_transport(flaky):
        with django_capture_on_commit_callbacks(execute=True):
            tx.customer()
        assert webhooks.wait_until_idle(5)

    assert len(calls) == 2 and calls[0] == calls[1]
    assert [entry["outcome"] for entry in webhooks.dispatcher.log] == ["retrying", "delivered"]


# -- seed ------------------------------------------------------------------------------------------

def test_seed_is_idempotent_and_its_demo_tokens_open_a_session(client, db):
    seed.seed()
    seed.seed()
    nordbil = SandboxTenant.objects.get(provider="tripletex", external_id=seed.NORDBIL_COMPANY_ID)
    nordbil.secret = seed.NORDBIL_EMPLOYEE_TOKEN

    me = Tripletex(client, nordbil).get("token/session/>whoAmI").json()["value"]

    assert SandboxTenant.objects.filter(provider="tripletex").count() == 1
    assert me["companyId"] == int(seed.NORDBIL_COMPANY_ID)
