"""Webhooks of the Visma eAccounting simulator: registrations with their test call, and the thin,
signed notifications sent when a customer or invoice changes (including a payment registered on
the accountant page). The receiving end is mocked at the HTTP edge with `responses`."""

import base64
import hashlib
import hmac
import json

import pytest
import responses

from sandbox.visma_eaccounting import webhooks
from tests.sandbox import test_visma_eaccounting as common
from tests.sandbox.test_visma_eaccounting import BASE, error, new_customer, row

# The shared fixtures (api, app, company, frozen), registered in this module too.
api_fixture = common.api_fixture
app_fixture = common.app_fixture
company_fixture = common.company_fixture
frozen_fixture = common.frozen_fixture

HOOK = "https://hub.example/api/webhooks/visma"
REGISTRATION = {"Endpoint": HOOK, "AuthenticationKey": "X-Hub-Webhook-Secret",
                "AuthenticationValue": "shh", "SigningKey": "signing-key", "Active": True,
                "Subscriptions": [{"SubscriptionType": 2}, {"SubscriptionType": 3}]}


@pytest.fixture(autouse=True)
def inline(monkeypatch):
    monkeypatch.setattr(webhooks, "IN_BACKGROUND", False)
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0, 0))


@pytest.fixture
def hub():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, HOOK, json={"status": "accepted"})
        yield mock


def notifications(hub):
    return [(json.loads(call.request.body), call.request.headers) for call in hub.calls]


def test_an_active_registration_is_tested_and_refused_when_the_endpoint_fails(api, hub):
    registered = api.post("webhooks", REGISTRATION)

    assert registered.status_code == 201, registered.content
    (test, headers), = notifications(hub)
    assert test["Action"] == "Test" and headers["X-Hub-Webhook-Secret"] == "shh"
    hub.replace(responses.POST, HOOK, status=500)
    refused = api.post("webhooks", {**REGISTRATION, "Endpoint": HOOK})
    assert refused.status_code == 400 and error(refused)["Errors"][0]["Field"] == "Endpoint"
    assert api.get("webhooks").json()["Meta"]["TotalNumberOfResults"] == 1


def test_a_new_customer_sends_a_thin_signed_notification(api, company, hub,
                                                         django_capture_on_commit_callbacks):
    api.post("webhooks", REGISTRATION)
    hub.calls.reset()
    with django_capture_on_commit_callbacks(execute=True):
        customer = new_customer(api, company)

    (payload, headers), = notifications(hub)
    assert set(payload) == {"Identifier", "VismaCustomerId", "Entity", "Action", "Url",
                            "ModifiedUtc", "RetryAttempt"}
    assert (payload["Entity"], payload["Action"]) == ("customer", "Created")
    assert payload["VismaCustomerId"] == company.external_id
    assert payload["Url"] == f"http://testserver{BASE}/v2/customers/{customer['Id']}"
    assert payload["ModifiedUtc"] == customer["ChangedUtc"]
    text = "_".join(payload[key] for key in ("Action", "Entity", "Identifier", "ModifiedUtc",
                                             "Url"))
    expected = base64.b64encode(hmac.new(b"signing-key", text.encode(),
                                         hashlib.sha256).digest()).decode()
    assert headers["X-Hub-Signature"] == expected
    assert headers["X-Hub-Webhook-Secret"] == "shh"


def test_a_payment_on_the_accountant_page_notifies_a_changed_invoice(
        client, api, company, hub, django_capture_on_commit_callbacks):
    customer = new_customer(api, company)
    invoice = api.post("customerinvoices", {
        "CustomerId": customer["Id"], "EuThirdParty": False, "RotReducedInvoicingType": 0,
        "Rows": [{k: v for k, v in row(company).items() if k not in (
            "IsTextRow", "ReversedConstructionServicesVatFree")}]}).json()
    api.post("webhooks", {**REGISTRATION, "Subscriptions": [{"SubscriptionType": 3}]})
    hub.calls.reset()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}/accountant/", {"tenant": company.external_id,
                                            "invoice": invoice["Id"], "amount": "100",
                                            "paid_on": "2026-11-20"})

    (payload, _headers), = notifications(hub)
    assert (payload["Entity"], payload["Action"]) == ("customerinvoice", "Changed")
    assert payload["Url"].endswith(f"/v2/customerinvoices/{invoice['Id']}")


def test_a_failing_endpoint_is_retried_and_every_attempt_is_kept(
        client, api, company, hub, django_capture_on_commit_callbacks):
    api.post("webhooks", REGISTRATION)
    hub.replace(responses.POST, HOOK, status=503)
    hub.calls.reset()

    with django_capture_on_commit_callbacks(execute=True):
        new_customer(api, company)
    kept = client.get(f"{BASE}/_control/webhooks?tenant={company.external_id}").json()

    assert [payload["RetryAttempt"] for payload, _ in notifications(hub)] == [0, 1, 2]
    assert [d["Status"] for d in kept["deliveries"]] == [503, 503, 503]
    assert len({d["Payload"]["Identifier"] for d in kept["deliveries"]}) == 1


def test_inactive_or_unsubscribed_webhooks_send_nothing(api, company, hub,
                                                        django_capture_on_commit_callbacks):
    api.post("webhooks", {**REGISTRATION, "Active": False})
    api.post("webhooks", {**REGISTRATION, "Subscriptions": [{"SubscriptionType": 1}]})
    hub.calls.reset()

    with django_capture_on_commit_callbacks(execute=True):
        new_customer(api, company)

    assert notifications(hub) == []
