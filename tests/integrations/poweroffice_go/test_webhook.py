"""The relay endpoint: signed events for a PowerOffice Go client wake the payment poll, at the
older URL and at the generic one (the same view)."""

import json
import time
from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.utils import timezone

from integrations.models import Connection, SyncLogEntry, WebhookEvent
from integrations.webhooks import new_secret, process_event, sign

pytestmark = pytest.mark.django_db

BASE = "https://goapi.test/Demo"


@pytest.fixture
def connection(dealer, settings):
    settings.POWEROFFICE_GO_BASE_URL = BASE
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = "sub"
    conn = Connection(organization=dealer, provider="poweroffice_go", remote_tenant_id="CLIENT-1",
                      status=Connection.Status.CONNECTED, connected_at=timezone.now())
    conn.set_credentials({"client_key": "ck", "access_token": "tok"},
                         expires_at=timezone.now() + timedelta(minutes=20))
    conn.save()
    return conn


def _post(body, secret, event_id="ev-1", timestamp=None, url="/api/accounting/pogo/webhook"):
    raw = json.dumps(body).encode()
    timestamp = timestamp or int(time.time())
    return Client().post(url, raw, content_type="application/json",
                         HTTP_X_HUB_TIMESTAMP=str(timestamp), HTTP_X_HUB_EVENT_ID=event_id,
                         HTTP_X_HUB_SIGNATURE=sign(secret, timestamp, event_id, raw))


def test_a_signed_event_is_stored_once_and_wakes_the_poll(connection):
    secret = new_secret(connection)
    body = {"ClientId": "client-1", "Type": "OutgoingInvoice.Changed"}
    assert _post(body, secret).status_code == 200
    event = WebhookEvent.objects.get(provider="poweroffice_go")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v2/OutgoingInvoices", status=204)
        assert process_event(str(event.pk)) == "processed"
        assert len(rsps.calls) == 1  # the same poll the schedule runs
    assert _post(body, secret).json()["status"] == "duplicate"
    assert SyncLogEntry.objects.filter(
        action="webhook", status="info",
        message="OutgoingInvoice.Changed: polled, 0 contract(s) updated.").exists()


def test_the_generic_url_is_the_same_endpoint(connection):
    secret = new_secret(connection)
    body = {"ClientId": "CLIENT-1", "Type": "OutgoingInvoice.Changed"}
    assert _post(body, secret, url="/api/webhooks/poweroffice_go").json()["status"] == "accepted"
    assert _post(body, secret).json()["status"] == "queued_again"  # same event, not yet run
    assert WebhookEvent.objects.filter(provider="poweroffice_go",
                                       provider_event_id__isnull=False).count() == 1


def test_a_failing_poll_is_retried_and_a_disconnected_client_is_ignored(connection):
    secret = new_secret(connection)
    assert _post({"ClientId": "CLIENT-1"}, secret).status_code == 200
    event = WebhookEvent.objects.get(provider="poweroffice_go")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v2/OutgoingInvoices", status=503)
        assert process_event(str(event.pk)) == "retry"
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("retry", 1)
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.DISCONNECTED)
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    with responses.RequestsMock():  # no request at all
        assert process_event(str(event.pk)) == "processed"


def test_bad_signature_stale_timestamp_and_unknown_client_are_refused(connection):
    secret = new_secret(connection)
    body = {"ClientId": "CLIENT-1"}
    assert _post(body, "not-the-secret").status_code == 400
    assert _post(body, secret, timestamp=int(time.time()) - 3600).status_code == 400
    assert _post({"ClientId": "someone-else"}, secret).status_code == 400
    assert not WebhookEvent.objects.filter(valid=True).exists()
