"""Processing is retried with the engine's backoff until it succeeds or becomes a dead letter.

First the reported bug: a verified event whose processing failed once was never processed again
(nothing re-queued it, and the sender's resend was answered "duplicate"), reproduced as it was
reported: Fortnox answering 503 to the import a signed `invoice-updated-v1` event asks for."""

import json
import time
from datetime import timedelta
from importlib import import_module

import pytest
import responses
import time_machine
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from accounting.models import Invoice
from integrations.engine import sweep
from integrations.errors import AuthError, PermanentError, RetryableError
from integrations.models import Connection, SyncLogEntry, WebhookEvent
from integrations.webhooks import new_secret, process_event, sign
from tests.integrations.test_integrations_api_fake_provider import queued_tasks, run_queued
from tests.integrations.test_webhooks_fixtures import BODY, HookBooks, send

pytest_plugins = ["tests.integrations.test_webhooks_fixtures"]

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


# -- the retry policy, on a minimal provider -------------------------------------------------

def _event():
    return WebhookEvent.objects.get(provider_event_id__isnull=False)


def test_failures_back_off_like_jobs_then_the_event_becomes_a_dead_letter(hook_conn,
                                                                          hook_secret, settings):
    settings.SYNC_MAX_RETRIES = 2
    settings.SYNC_BACKOFF_JITTER = 0
    HookBooks.failures = [RetryableError("down", status_code=503) for _ in range(3)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        send(hook_secret)
        assert run_queued() == ["retry"]
        event = _event()
        assert (event.status, event.attempts) == ("retry", 1)
        assert event.next_attempt_at == timezone.now() + timedelta(seconds=1)
        sweep()
        assert run_queued() == []  # not due yet
        clock.shift(timedelta(seconds=1))
        sweep()
        assert run_queued() == ["retry"]
        assert _event().next_attempt_at == timezone.now() + timedelta(seconds=2)
        clock.shift(timedelta(seconds=2))
        sweep()
        assert run_queued() == ["dead"]
        event = _event()
        assert (event.status, event.attempts, event.next_attempt_at) == ("dead", 3, None)
        assert event.error == "down" and not event.processed
        clock.shift(timedelta(hours=1))
        sweep()
        assert run_queued() == []  # a dead letter waits for a person
    assert HookBooks.handled == []
    assert list(SyncLogEntry.objects.filter(entity="webhook").order_by("created_at", "id")
                .values_list("status", flat=True)) == ["retry", "retry", "dead"]


def test_a_providers_retry_after_wins(hook_conn, hook_secret, settings):
    HookBooks.failures = [RetryableError("slow down", status_code=429, retry_after=30)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        send(hook_secret)
        run_queued()
        assert _event().next_attempt_at == timezone.now() + timedelta(seconds=30)
        clock.shift(timedelta(seconds=29))
        sweep()
        assert run_queued() == []
        clock.shift(timedelta(seconds=1))
        sweep()
        assert run_queued() == ["processed"]


def test_a_permanent_error_fails_at_once(hook_conn, hook_secret):
    HookBooks.failures = [PermanentError("HookBooks has no customer c-9", status_code=404)]
    send(hook_secret)
    assert run_queued() == ["failed"]
    event = _event()
    assert (event.status, event.error) == ("failed", "HookBooks has no customer c-9")
    assert SyncLogEntry.objects.filter(entity="webhook", status="failed",
                                       provider_response_code=404).exists()


def test_an_auth_error_waits_for_reauthorization_without_counting_the_attempt(hook_conn,
                                                                             hook_secret):
    HookBooks.failures = [AuthError("invalid_grant")]
    send(hook_secret)
    assert run_queued() == ["waiting"]
    hook_conn.refresh_from_db()
    assert hook_conn.status == Connection.Status.NEEDS_REAUTH
    event = _event()
    assert (event.status, event.attempts) == ("retry", 0)
    sweep()
    assert run_queued() == []  # not while the connection needs re-authorization
    Connection.objects.filter(pk=hook_conn.pk).update(status=Connection.Status.CONNECTED)
    sweep()
    assert run_queued() == ["processed"]


def test_a_lost_task_and_a_dead_worker_are_picked_up_by_the_sweeper(hook_conn, hook_secret,
                                                                    settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        send(hook_secret)
        assert len(queued_tasks()) == 1  # the sweep queued its task (the fast path's relay)
        OrmQ.objects.all().delete()  # the broker lost the task
        sweep()
        assert run_queued() == []  # not yet: it may still be on its way
        clock.shift(timedelta(seconds=settings.Q_CLUSTER["retry"] * 2 + 1))
        sweep()
        assert len(queued_tasks()) == 1
        # The worker that takes it dies mid-way: its lease runs out.
        WebhookEvent.objects.filter(pk=_event().pk).update(
            status="running", next_attempt_at=timezone.now() + timedelta(seconds=10))
        OrmQ.objects.all().delete()
        clock.shift(timedelta(seconds=11))
        sweep()
        assert run_queued() == ["processed"]
    assert HookBooks.handled == [(hook_conn.pk, "c-9")]


def test_a_task_delivered_twice_runs_the_handler_once(hook_conn, hook_secret):
    send(hook_secret)
    event = _event()
    assert process_event(event.pk) == "processed"
    assert process_event(event.pk) == "skipped"
    assert HookBooks.handled == [(hook_conn.pk, "c-9")]


def test_a_resend_of_a_dead_event_gets_one_more_attempt(hook_conn, hook_secret, settings):
    settings.SYNC_MAX_RETRIES = 0
    HookBooks.failures = [RetryableError("down")]
    send(hook_secret)
    assert run_queued() == ["dead"]
    assert send(hook_secret)["status"] == "queued_again"
    assert run_queued() == ["processed"]
    assert (_event().status, _event().attempts) == ("processed", 2)
    assert send(hook_secret)["status"] == "duplicate"


def test_the_upgrade_makes_events_stuck_before_it_due_for_the_sweeper(hook_conn):
    from django.apps import apps

    migration = import_module("integrations.migrations.0005_webhookevent_retry")
    stuck = WebhookEvent.objects.create(
        provider="hookbooks", connection=hook_conn, organization_id=hook_conn.organization_id,
        provider_event_id=f"{hook_conn.pk}:old", valid=True, processed=False,
        raw_body=b'{"account": "A-1", "id": "old"}', error="RuntimeError: disk full")
    done = WebhookEvent.objects.create(provider="hookbooks", valid=True, processed=True,
                                       raw_body=b"{}")
    forged = WebhookEvent.objects.create(provider="hookbooks", valid=False, raw_body=b"{}")
    migration.set_statuses(apps, None)
    assert [WebhookEvent.objects.get(pk=e.pk).status for e in (stuck, done, forged)] == [
        "retry", "processed", "refused"]
    sweep()
    assert run_queued() == ["processed"]
    assert HookBooks.handled == [(hook_conn.pk, "old")]


def test_an_event_whose_worker_is_lost_every_time_becomes_a_dead_letter(hook_conn,
                                                                        hook_secret, settings):
    """A handler that never returns (killed, or over the task timeout) is not run forever:
    after the last allowed attempt it is a dead letter, replayable by hand."""
    settings.SYNC_MAX_RETRIES = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        send(hook_secret)
        for _attempt in range(settings.SYNC_MAX_RETRIES + 1):
            OrmQ.objects.all().delete()
            # A worker claims it (attempts + 1, a lease) and is then killed.
            WebhookEvent.objects.filter(pk=_event().pk).update(
                status="running", attempts=_event().attempts + 1,
                next_attempt_at=timezone.now() + timedelta(seconds=10))
            clock.shift(timedelta(seconds=11))
            sweep()
        event = _event()
        assert event.status == "dead" and "stopped" in event.error
        assert queued_tasks() == []
        assert SyncLogEntry.objects.filter(status="dead", entity="webhook").count() == 1
    assert HookBooks.handled == []


def test_a_relayed_task_processes_its_events_one_by_one_each_failure_its_own(hook_conn,
                                                                            hook_secret):
    from integrations.tasks import process_webhook_events

    HookBooks.failures = [RetryableError("down", status_code=503)]
    first = send(hook_secret, event_id="ev-1")["event"]
    second = send(hook_secret, {**BODY, "id": "c-10"}, event_id="ev-2")["event"]
    assert process_webhook_events([first, second]) == ["retry", "processed"]
    assert HookBooks.handled == [(hook_conn.pk, "c-10")]
    statuses = dict(WebhookEvent.objects.values_list("pk", "status"))
    assert {str(pk): status for pk, status in statuses.items()} == {
        first: "retry", second: "processed"}
    assert process_webhook_events([second]) == ["skipped"]  # delivered again: not run twice
