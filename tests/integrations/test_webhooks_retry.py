"""The reported bug: a verified event whose processing failed once was never processed again
(nothing re-queued it, and the sender's resend was answered "duplicate"). Reproduced as it was
reported: Fortnox answering 503 to the import a signed `invoice-updated-v1` event asks for."""

import json
import time
from datetime import timedelta

import pytest
import responses
import time_machine
from django.test import Client
from django.utils import timezone

from accounting.models import Invoice
from integrations.engine import sweep
from integrations.models import Connection, WebhookEvent
from integrations.webhooks import new_secret, sign
from tests.integrations.test_integrations_api_fake_provider import run_queued

pytestmark = pytest.mark.django_db

API = "https://api.fortnox.se"
TENANT = "1234567"
EVENT = {"topic": "invoices", "type": "invoice-updated-v1", "tenantId": TENANT,
         "entityId": "4711", "offset": "15"}
INVOICE = {"DocumentNumber": "4711", "CustomerNumber": "17", "Currency": "SEK",
           "InvoiceDate": "2026-01-05", "DueDate": "2026-02-04", "InvoiceRows": [],
           "Total": 0, "Balance": 0, "Booked": False, "Cancelled": False}
CUSTOMER = {"CustomerNumber": "17", "Name": "Berg Bygg AB", "OrganisationNumber": "556000-1111"}


@pytest.fixture
def frost(make_org, settings):
    settings.FORTNOX_BASE_URL = API
    settings.FORTNOX_CLIENT_ID = "hub-client"
    return make_org("frost", name="Frost Bygg AB", country="SE", currency="SEK", language="sv")


@pytest.fixture
def connection(frost):
    conn = Connection(organization=frost, provider="fortnox", status=Connection.Status.CONNECTED,
                      remote_tenant_id=TENANT, connected_at=timezone.now() - timedelta(days=3))
    conn.set_credentials({"mode": "code", "access_token": "at-0", "refresh_token": "rt-0"},
                         expires_at=timezone.now() + timedelta(days=30))
    conn.save()
    return conn


def post(secret, body, event_id="ev-4711"):
    raw = json.dumps(body).encode()
    stamp = int(time.time())
    return Client().post("/api/webhooks/fortnox", data=raw, content_type="application/json",
                         HTTP_X_HUB_TIMESTAMP=str(stamp), HTTP_X_HUB_EVENT_ID=event_id,
                         HTTP_X_HUB_SIGNATURE=sign(secret, stamp, event_id, raw))


def fortnox_down(rsps):
    rsps.get(f"{API}/3/invoices/4711", status=503,
             json={"ErrorInformation": {"error": 1, "message": "Service unavailable",
                                        "code": 0}})


def fortnox_up(rsps):
    rsps.get(f"{API}/3/invoices/4711", json={"Invoice": INVOICE})
    rsps.get(f"{API}/3/customers/17", json={"Customer": CUSTOMER})


def test_an_event_that_failed_once_is_processed_by_the_sweeper_after_the_fault_is_lifted(
        connection):
    secret = new_secret(connection)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        answer = post(secret, EVENT)
        assert answer.status_code == 200 and answer.json()["status"] == "accepted"
        with responses.RequestsMock() as rsps:
            fortnox_down(rsps)
            run_queued()
        event = WebhookEvent.objects.get(valid=True)
        assert not event.processed and "Service unavailable" in event.error
        assert not Invoice.objects.filter(number="4711").exists()

        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fortnox_up(rsps)
            clock.shift(timedelta(minutes=2))  # past any backoff
            sweep()
            run_queued()
        event.refresh_from_db()
        assert event.processed, event.error
        assert Invoice.objects.filter(number="4711", organization=connection.organization).exists()


def test_a_resend_of_an_event_not_yet_processed_queues_it_again(connection):
    secret = new_secret(connection)
    post(secret, EVENT)
    with responses.RequestsMock() as rsps:
        fortnox_down(rsps)
        run_queued()
    resent = post(secret, EVENT)
    assert resent.status_code == 200 and resent.json()["status"] == "queued_again"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fortnox_up(rsps)
        run_queued()
    assert WebhookEvent.objects.get(valid=True, provider_event_id__isnull=False).processed
    assert Invoice.objects.filter(number="4711").count() == 1
    # Now processed: a further resend is a duplicate and does nothing.
    again = post(secret, EVENT)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert run_queued() == []
