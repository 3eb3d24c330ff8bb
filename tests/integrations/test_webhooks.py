"""Inbound webhooks at `/api/webhooks/fortnox`: the signature scheme, the inbox, duplicates,
rotation, and Fortnox's events (consent revoked -> needs re-authorization; data events ->
the provider's `import_record`)."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.engine import sweep
from integrations.models import Connection, SyncLogEntry, WebhookEvent, WebhookSecret
from integrations.providers.fortnox.provider import Fortnox
from integrations.webhooks import new_secret, process_event, retire_secret, sign
from tests.integrations.test_integrations_api_fake_provider import (
    make_connection,
    queued_tasks,
    run_queued,
)
from tests.integrations.test_webhooks_fixtures import event_task

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]

pytestmark = pytest.mark.django_db
URL = "/api/webhooks/fortnox"
TENANT = "1234567"


@pytest.fixture
def fortnox(monkeypatch):
    """The Fortnox provider, its `import_record` hook recording what it was asked (no HTTP in
    these tests; `test_webhooks_retry` runs it against Fortnox's API)."""
    calls = []
    monkeypatch.setattr(Fortnox, "import_record",
                        lambda self, t, r: calls.append((self.connection.pk, t, r)))
    return calls


@pytest.fixture
def conn(swedish_org, fortnox):
    return make_connection(swedish_org, provider="fortnox", remote_tenant_id=TENANT,
                           connected_at=timezone.now() - timedelta(days=3))


@pytest.fixture
def secret(conn):
    return new_secret(conn)


def post(body, secret, *, event_id=None, timestamp=None, signature=None, extra=None):
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    event_id = event_id or uuid.uuid4().hex
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "HTTP_X_HUB_TIMESTAMP": str(timestamp),
        "HTTP_X_HUB_EVENT_ID": event_id,
        "HTTP_X_HUB_SIGNATURE": signature or sign(secret, timestamp, event_id, raw),
        **(extra or {}),
    }
    return Client().post(URL, data=raw, content_type="application/json", **headers)


REVOKED = {"type": "ConsentRevoked", "tenantId": TENANT}


def test_the_signature_is_hmac_sha256_over_timestamp_event_id_and_raw_body():
    body = b'{"tenantId": "1"}'
    expected = hmac.new(b"s3cret", b"1700000000.ev-1." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, "ev-1", body) == f"sha256={expected}"


def test_url_name():
    assert reverse("integrations:webhook", args=["fortnox"]) == URL


def test_consent_revoked_is_stored_answered_at_once_and_processed_in_the_queue(conn, secret):
    response = post(REVOKED, secret, event_id="ev-1")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    event = WebhookEvent.objects.get()
    assert (event.valid, event.processed, event.connection_id) == (True, False, conn.pk)
    assert event.organization_id == conn.organization_id
    assert json.loads(bytes(event.raw_body)) == REVOKED
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED  # nothing happened in the request
    assert [func for func, _args in queued_tasks()] == [event_task()]

    assert run_queued() == ["processed"]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.NEEDS_REAUTH
    assert "Reconnect" in conn.status_reason and "revoked" in conn.status_reason
    event.refresh_from_db()
    assert event.processed and event.processed_at is not None and event.error == ""
    assert SyncLogEntry.objects.filter(action="consent.revoked", connection=conn).exists()


def test_bad_signature_is_refused_stored_as_invalid_and_not_processed(conn, secret):
    response = post(REVOKED, secret, signature="sha256=" + "0" * 64, event_id="ev-1")
    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    event = WebhookEvent.objects.get()
    assert event.valid is False and event.provider_event_id is None
    assert queued_tasks() == []
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED


def test_a_body_changed_after_signing_is_refused(conn, secret):
    raw = json.dumps(REVOKED).encode()
    ts, event_id = int(time.time()), "ev-2"
    signature = sign(secret, ts, event_id, raw)
    response = Client().post(URL, data=raw + b" ", content_type="application/json",
                             HTTP_X_HUB_TIMESTAMP=str(ts), HTTP_X_HUB_EVENT_ID=event_id,
                             HTTP_X_HUB_SIGNATURE=signature)
    assert response.status_code == 400


def test_a_replayed_request_under_a_new_event_id_is_refused(conn, secret):
    raw = json.dumps(REVOKED).encode()
    ts = int(time.time())
    signature = sign(secret, ts, "ev-original", raw)
    response = Client().post(URL, data=raw, content_type="application/json",
                             HTTP_X_HUB_TIMESTAMP=str(ts), HTTP_X_HUB_EVENT_ID="ev-new",
                             HTTP_X_HUB_SIGNATURE=signature)
    assert response.status_code == 400


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamps_are_refused(conn, secret, settings, offset):
    settings.WEBHOOK_TOLERANCE_SECONDS = 300
    response = post(REVOKED, secret, timestamp=int(time.time()) + offset)
    assert response.status_code == 400
    assert "WEBHOOK_TOLERANCE_SECONDS" in response.json()["error"]
    assert queued_tasks() == []


def test_a_timestamp_inside_the_tolerance_is_accepted(conn, secret, settings):
    settings.WEBHOOK_TOLERANCE_SECONDS = 300
    assert post(REVOKED, secret, timestamp=int(time.time()) - 250).status_code == 200


def test_the_same_event_twice_is_answered_2xx_and_processed_once(conn, secret):
    first = post(REVOKED, secret, event_id="ev-dup")
    run_queued()
    second = post(REVOKED, secret, event_id="ev-dup")
    assert first.status_code == 200 and second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(provider_event_id__isnull=False).count() == 1
    # The second delivery is kept too, as a record of what arrived.
    assert WebhookEvent.objects.get(status="duplicate").provider_event_id is None
    assert queued_tasks() == []
    assert SyncLogEntry.objects.filter(action="consent.revoked").count() == 1


def test_a_resend_while_the_first_delivery_is_still_queued_queues_nothing_more(conn, secret):
    post(REVOKED, secret, event_id="ev-dup")
    second = post(REVOKED, secret, event_id="ev-dup")
    assert second.json()["status"] == "queued_again"
    assert len(queued_tasks()) == 1
    assert run_queued() == ["processed"]
    assert SyncLogEntry.objects.filter(action="consent.revoked").count() == 1


def test_a_task_delivered_twice_runs_the_handler_once(conn, secret):
    post(REVOKED, secret, event_id="ev-1")
    event = WebhookEvent.objects.get()
    assert process_event(event.pk) == "processed"
    assert process_event(event.pk) == "skipped"
    assert SyncLogEntry.objects.filter(action="consent.revoked").count() == 1


def test_a_forged_event_cannot_take_the_id_of_the_real_one(conn, secret):
    post(REVOKED, "not-the-secret", event_id="ev-7")
    response = post(REVOKED, secret, event_id="ev-7")
    assert response.json()["status"] == "accepted"


def test_rotation_accepts_both_secrets_during_the_overlap_then_only_the_new(conn):
    old = new_secret(conn)
    new = new_secret(conn)
    assert post(REVOKED, old).status_code == 200
    assert post(REVOKED, new).status_code == 200
    retire_secret(WebhookSecret.objects.filter(connection=conn).order_by("created_at", "pk")
                  .first())
    assert post(REVOKED, old).status_code == 400
    assert post(REVOKED, new).status_code == 200


def test_a_third_secret_retires_the_oldest_and_overlap_schedules_the_previous(conn):
    first = new_secret(conn)
    second = new_secret(conn)
    third = new_secret(conn, overlap=timedelta(hours=1))
    assert post(REVOKED, first).status_code == 400
    assert post(REVOKED, second).status_code == 200  # until its scheduled retirement
    assert post(REVOKED, third).status_code == 200
    previous = WebhookSecret.objects.filter(connection=conn).order_by("created_at")[1]
    assert previous.retired_at is not None and previous.active


def test_secrets_are_encrypted_at_rest(conn):
    value = new_secret(conn)
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT encrypted_secret FROM integrations_webhooksecret")
        stored = cursor.fetchone()[0]
    stored = stored.tobytes().decode() if isinstance(stored, memoryview) else str(stored)
    assert value not in stored


def test_credentials_in_headers_are_not_stored(conn, secret):
    post(REVOKED, secret, extra={"HTTP_AUTHORIZATION": "Bearer abc", "HTTP_X_TRACE": "t-1"})
    headers = WebhookEvent.objects.get().headers
    assert "X-Trace" in headers and "X-Hub-Signature" in headers
    assert not any(name.lower() == "authorization" for name in headers)


def test_an_unknown_tenant_is_refused(conn, secret):
    response = post({"type": "ConsentRevoked", "tenantId": "999"}, secret)
    assert response.status_code == 400 and "tenant" in response.json()["error"]
    assert queued_tasks() == []


def test_a_connection_without_a_secret_refuses_and_says_where_to_make_one(conn):
    response = post(REVOKED, "whatever")
    assert response.status_code == 400 and "Webhook secrets" in response.json()["error"]


def test_a_missing_event_id_is_refused(conn, secret):
    raw = json.dumps(REVOKED).encode()
    ts = int(time.time())
    response = Client().post(URL, data=raw, content_type="application/json",
                             HTTP_X_HUB_TIMESTAMP=str(ts),
                             HTTP_X_HUB_SIGNATURE=sign(secret, ts, "", raw))
    assert response.status_code == 400 and "Event-Id" in response.json()["error"]


def test_a_data_event_imports_the_record(conn, secret, fortnox):
    body = {"topic": "invoices", "type": "invoice-updated-v1", "tenantId": TENANT,
            "entityId": 4711, "offset": "15"}
    assert post(body, secret).status_code == 200
    assert run_queued() == ["processed"]
    assert fortnox == [(conn.pk, "invoice", "4711")]


def test_an_event_for_a_type_not_imported_is_noted_not_imported(conn, secret, fortnox):
    body = {"topic": "articles", "type": "article-updated-v1", "tenantId": TENANT,
            "entityId": "A1"}
    post(body, secret)
    assert run_queued() == ["processed"]
    assert fortnox == []
    assert SyncLogEntry.objects.filter(action="webhook", status="info").exists()


def test_a_failing_handler_keeps_the_error_and_the_sweeper_runs_it_again(conn, secret, fortnox,
                                                                         monkeypatch):
    def broken(self, record_type, remote_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Fortnox, "import_record", broken)
    post({"topic": "customers", "type": "customer-updated-v2", "tenantId": TENANT,
          "entityId": "17"}, secret)
    event = WebhookEvent.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert run_queued() == ["retry"]
        event.refresh_from_db()
        assert (event.status, event.processed, event.attempts) == ("retry", False, 1)
        assert "disk full" in event.error and event.processed_at is None
        monkeypatch.setattr(Fortnox, "import_record", lambda self, t, r: None)
        clock.shift(timedelta(seconds=5))
        sweep()
        assert run_queued() == ["processed"]
    event.refresh_from_db()
    assert (event.status, event.processed, event.error) == ("processed", True, "")


def test_a_revocation_sent_before_the_latest_connect_is_ignored(conn, secret):
    post(REVOKED, secret)
    Connection.objects.filter(pk=conn.pk).update(connected_at=timezone.now() + timedelta(
        seconds=5))
    run_queued()
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED


def test_an_event_for_another_organizations_tenant_goes_to_that_connection_only(
        conn, secret, make_org):
    other_org = make_org("other", name="Other AB")
    other = make_connection(other_org, provider="fortnox", remote_tenant_id="555")
    other_secret = new_secret(other)
    # Signed with the other connection's secret but naming our tenant: refused.
    assert post(REVOKED, other_secret).status_code == 400
    assert post({"type": "ConsentRevoked", "tenantId": "555"}, other_secret).status_code == 200
    run_queued()
    conn.refresh_from_db()
    other.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED
    assert other.status == Connection.Status.NEEDS_REAUTH
