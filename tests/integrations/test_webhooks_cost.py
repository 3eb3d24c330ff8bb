"""What receiving one webhook costs: an accepted event is written once, alone, in ONE statement
on PostgreSQL, its task queued by the next sweep with others' (one transaction of two inserts
on SQLite), and reads nothing while the connection and its secrets are remembered; what is
remembered never refuses a request, and stops verifying a secret retired elsewhere within
`lookup.SECONDS`; a request whose hook or enqueue crashes is still kept, and a relay that fails
leaves the accepted events for the next sweep."""

import io
import json
import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting import rls
from integrations.engine import sweep
from integrations.models import Connection, WebhookEvent, WebhookSecret
from integrations.providers.fortnox.provider import Fortnox
from integrations.webhooks import accepting, lookup, new_secret, processing, relay_accepted, sign
from tests.integrations.test_integrations_api_fake_provider import make_connection, queued_tasks

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]
# Not inside a test transaction: the request runs in autocommit, as it does when served.
pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/webhooks/fortnox"
TENANT = "7654321"


@pytest.fixture
def conn(swedish_org):
    return make_connection(swedish_org, provider="fortnox", remote_tenant_id=TENANT,
                           connected_at=timezone.now() - timedelta(days=3))


def post(secret, client=None, tenant=TENANT):
    raw = json.dumps({"type": "invoice-updated-v1", "topic": "invoices", "tenantId": tenant,
                      "entityId": "17"}).encode()
    event_id, timestamp = uuid.uuid4().hex, int(time.time())
    return (client or Client()).post(
        URL, data=raw, content_type="application/json", HTTP_X_HUB_TIMESTAMP=str(timestamp),
        HTTP_X_HUB_EVENT_ID=event_id, HTTP_X_HUB_SIGNATURE=sign(secret, timestamp, event_id, raw))


def status(answer):
    return answer.status_code, answer.json()["status"]


def statements(queries):
    """Each statement as its verb and the tables it writes."""
    return [tuple(re.findall(r"INSERT INTO \W?(\w+)", q["sql"])) or q["sql"].split()[0].upper()
            for q in queries]


def later(seconds=2):
    """The clock a moment on: the sweep relays events accepted at least RELAY_SETTLE ago."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_an_accepted_event_is_one_statement_and_reads_nothing(conn):
    secret = new_secret(conn)
    first = post(secret)  # the first request of a process reads what the next ones reuse
    with CaptureQueriesContext(db) as captured:
        answer = post(secret)
    assert status(answer) == (200, "accepted")
    event = WebhookEvent.objects.get(pk=answer.json()["event"])
    assert (event.valid, event.connection_id) == (True, conn.pk)
    assert event.provider_event_id.startswith(f"{conn.pk}:")
    if db.vendor == "postgresql":
        # The event alone, in one statement: one round trip, committed on its own; its task
        # comes with a sweep a moment later, with the other accepted events'.
        assert statements(captured.captured_queries) == [("integrations_webhookevent",)]
        assert event.status == "accepted"
        assert relay_accepted() == 0  # not yet: an insert stamped now may still be on its way
        with later():
            with CaptureQueriesContext(db) as relayed:
                assert relay_accepted() == 2
        assert queued_tasks(relay=False) == [
            (processing.BATCH_TASK, ([first.json()["event"], str(event.pk)],))]
        # The relay wrote its mark and the task, nothing to the events.
        assert not [q for q in relayed.captured_queries
                    if re.match(r'\s*UPDATE\s+"integrations_webhookevent"', q["sql"])]
        assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"accepted"}
    else:  # SQLite: no round trips to save; one transaction of two inserts
        assert statements(captured.captured_queries) == [
            "BEGIN", ("integrations_webhookevent",), ("django_q_ormq",), "COMMIT"]
        assert event.status == "queued"
        assert queued_tasks()[-1] == (processing.TASK, (str(event.pk),))
        assert len(queued_tasks()) == 2


def test_the_sweep_queues_accepted_events_several_to_a_task(conn, settings):
    if not accepting.available():
        pytest.skip("the endpoint's fast path (accepted, then relayed) is PostgreSQL's")
    settings.WEBHOOK_EVENTS_PER_TASK = 2
    secret = new_secret(conn)
    ids = [post(secret).json()["event"] for _ in range(5)]
    with later():
        assert sweep() == 0  # no sync job; the webhook events are counted by their own log
        assert queued_tasks(relay=False) == [
            (processing.BATCH_TASK, (ids[0:2],)), (processing.BATCH_TASK, (ids[2:4],)),
            (processing.BATCH_TASK, (ids[4:],))]
        assert relay_accepted() == 0  # each event once
    assert len(queued_tasks(relay=False)) == 3
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"accepted"}


def test_two_sweeps_at_once_queue_each_event_once(conn, settings):
    if not accepting.available():
        pytest.skip("the relay is the fast path's (PostgreSQL)")
    settings.WEBHOOK_EVENTS_PER_TASK = 3
    secret = new_secret(conn)
    ids = {post(secret).json()["event"] for _ in range(40)}
    barrier = threading.Barrier(4)
    counts = []

    def sweeper():
        try:
            barrier.wait()
            with rls.rls_bypass("test: sweepers"):
                counts.append(relay_accepted())
        finally:
            connections.close_all()

    with later():
        threads = [threading.Thread(target=sweeper) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    relayed = [pk for _func, (chunk,) in queued_tasks(relay=False) for pk in chunk]
    assert sorted(relayed) == sorted(ids)  # every one, none twice
    assert sorted(counts) == [0, 0, 0, 40]


def test_an_event_the_relay_missed_is_queued_once_its_grace_has_passed(conn):
    if not accepting.available():
        pytest.skip("the relay is the fast path's (PostgreSQL)")
    secret = new_secret(conn)
    post(secret)
    stamped = timezone.now()
    with later():
        assert relay_accepted() == 1
    # An insert stamped before the relay's window closed, committed after it (a slow commit).
    late = accepting.row(dict(
        provider="fortnox", organization_id=conn.organization_id, connection_id=conn.pk,
        provider_event_id=f"{conn.pk}:late", raw_body=b"{}", headers={}, valid=True,
        **processing.new_event_accepted(now=stamped)))
    assert accepting.insert_accepted(late) is True
    with later():
        assert relay_accepted() == 0
        sweep()
    assert len(queued_tasks(relay=False)) == 1  # not yet: its grace has not passed
    with later((processing.ACCEPTED_GRACE + timedelta(seconds=2)).total_seconds()):
        sweep()
    # With the first one, which no worker has run either (a backlog; its second task will
    # find it taken).
    func, (chunk,) = queued_tasks(relay=False)[-1]
    assert (func, str(late["id"]) in chunk, len(chunk)) == (processing.BATCH_TASK, True, 2)
    assert WebhookEvent.objects.get(pk=late["id"]).status == "queued"


def test_a_sweep_with_nothing_due_looks_at_the_inbox_once(conn):
    """The dispatcher sweeps four times a second: when no event waits for anything, the
    re-dispatch costs one indexed query, not one per kind of wait."""
    secret = new_secret(conn)
    post(secret)  # accepted (or queued with its task): due only once its deadline passes
    with CaptureQueriesContext(db) as captured:
        assert processing.redispatch_due_events() == 0
    assert len(captured) == 1, [q["sql"][:80] for q in captured]
    # Past the deadline it is taken up again as before.
    later_by = (processing.ACCEPTED_GRACE + timedelta(seconds=2)).total_seconds()
    if not accepting.available():
        later_by = processing._lost_after().total_seconds() + 2
    with later(later_by):
        assert processing.redispatch_due_events() == 1


def test_a_backlog_past_its_grace_is_queued_again_in_bulk_and_once(conn, settings):
    """Workers behind by more than the grace: the accepted events (their tasks still waiting)
    are queued again a few statements at a time, several to a task, and only once."""
    if not accepting.available():
        pytest.skip("the relay is the fast path's (PostgreSQL)")
    settings.WEBHOOK_EVENTS_PER_TASK = 25
    secret = new_secret(conn)
    ids = {post(secret).json()["event"] for _ in range(60)}
    with later():
        assert relay_accepted() == 60
    relayed = len(queued_tasks(relay=False))
    grace = (processing.ACCEPTED_GRACE + timedelta(seconds=2)).total_seconds()
    with later(grace), CaptureQueriesContext(db) as captured:
        assert processing.redispatch_due_events() == 60
    tasks = queued_tasks(relay=False)[relayed:]
    assert [func for func, _ in tasks] == [processing.BATCH_TASK] * 3
    assert sorted(pk for _, (chunk,) in tasks for pk in chunk) == sorted(ids)
    assert len(captured) < 15, [q["sql"][:80] for q in captured]  # not two per event
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"queued"}
    with later(grace + 5):
        assert processing.redispatch_due_events() == 0  # queued now: not again and again
    assert len(queued_tasks(relay=False)) == relayed + 3


def test_when_the_enqueue_fails_nothing_is_queued_and_the_request_is_kept(conn, monkeypatch):
    if accepting.available():
        pytest.skip("the fast path enqueues in the sweep, not in the request (next test)")
    secret = new_secret(conn)

    def broken(*args, **kwargs):
        raise RuntimeError("broker down")

    monkeypatch.setattr(processing, "async_task", broken)
    answer = post(secret, Client(raise_request_exception=False))
    assert answer.status_code == 500
    event = WebhookEvent.objects.get()
    assert (event.status, event.provider_event_id) == ("received", None)
    assert event.error == "RuntimeError: broker down"
    assert not queued_tasks()


def test_when_the_relay_fails_the_accepted_events_wait_for_the_next_sweep(conn, monkeypatch):
    if not accepting.available():
        pytest.skip("the relay is the fast path's (PostgreSQL)")
    secret = new_secret(conn)

    def broken(*args, **kwargs):
        raise RuntimeError("broker down")

    monkeypatch.setattr(processing, "async_task", broken)
    answers = [post(secret) for _ in range(3)]
    assert {status(answer) for answer in answers} == {(200, "accepted")}  # not the request's
    with later():
        with pytest.raises(RuntimeError):
            relay_accepted()
        monkeypatch.undo()
        assert relay_accepted() == 3
    assert [len(chunk) for _func, (chunk,) in queued_tasks(relay=False)] == [3]


def test_a_secret_made_elsewhere_verifies_at_once(conn):
    secret = new_secret(conn)
    assert status(post(secret)) == (200, "accepted")  # remembered: one secret
    # As another process makes it: no signal reaches this one.
    WebhookSecret.objects.bulk_create([WebhookSecret(
        organization=conn.organization, connection=conn, encrypted_secret="made-elsewhere")])
    assert status(post("made-elsewhere")) == (200, "accepted")


def test_a_tenant_connected_elsewhere_is_found_at_once(conn, make_org):
    assert status(post("s-2", tenant="9999")) == (400, "refused")
    other = make_org("other")
    Connection.objects.bulk_create([Connection(organization=other, provider="fortnox",
                                               remote_tenant_id="9999")])
    WebhookSecret.objects.bulk_create([WebhookSecret(
        organization=other, connection=Connection.objects.get(remote_tenant_id="9999"),
        encrypted_secret="s-2")])
    assert status(post("s-2", tenant="9999")) == (200, "accepted")


def test_a_secret_retired_elsewhere_stops_verifying_within_the_bound(conn, monkeypatch):
    secret = new_secret(conn)
    assert status(post(secret)) == (200, "accepted")
    WebhookSecret.objects.filter(connection=conn).update(retired_at=timezone.now())  # no signal
    assert status(post(secret)) == (200, "accepted")  # remembered, for at most lookup.SECONDS
    later = time.monotonic() + lookup.SECONDS
    monkeypatch.setattr(lookup.time, "monotonic", lambda: later)
    assert status(post(secret)) == (400, "refused")


def test_a_secret_retired_here_stops_verifying_at_once(conn):
    secret = new_secret(conn)
    assert status(post(secret)) == (200, "accepted")
    row = WebhookSecret.objects.get(connection=conn)
    row.retired_at = timezone.now()
    row.save()
    assert status(post(secret)) == (400, "refused")


def test_a_request_whose_hook_crashes_is_kept_before_the_500(conn, monkeypatch):
    secret = new_secret(conn)

    def crash(cls, payload, request):
        raise RuntimeError("lookup broke")

    monkeypatch.setattr(Fortnox, "webhook_connections", classmethod(crash))
    answer = post(secret, Client(raise_request_exception=False))
    assert answer.status_code == 500
    event = WebhookEvent.objects.get()
    assert (event.status, event.valid, event.provider_event_id) == ("received", None, None)
    assert b'"entityId": "17"' in bytes(event.raw_body)
    assert event.error == "RuntimeError: lookup broke"
    assert not queued_tasks()


def test_the_dispatcher_healthcheck_reports_accepted_events_left_without_a_task(conn):
    if not accepting.available():
        pytest.skip("the relay is the fast path's (PostgreSQL)")
    post(new_secret(conn))
    with later(300):
        with pytest.raises(CommandError, match="1 webhook event.*accepted more than 120 s ago"):
            call_command("healthcheck", "--dispatcher", stdout=io.StringIO())
        assert relay_accepted() == 1
        call_command("healthcheck", "--dispatcher", stdout=io.StringIO())
