"""The endpoint's fast path (`accepting`, PostgreSQL): requests of one process that store
events at the same moment share one INSERT (a group commit), with real threads. Each request
hears only about its own event, after the statement holding it committed; a shared statement
that fails leaves each event to its own request."""

import threading
import time
import uuid

import psycopg
import pytest
from django.db import connections
from django.utils import timezone

from accounting import rls
from integrations.models import WebhookEvent
from integrations.webhooks import accepting, processing
from tests.integrations.test_integrations_api_fake_provider import make_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conn(make_org):
    return make_connection(make_org("frost"), provider="fortnox", remote_tenant_id="555")


def event(conn, event_id=None, **fields):
    return accepting.row({
        "provider": "fortnox", "organization_id": conn.organization_id,
        "connection_id": conn.pk, "provider_event_id": f"{conn.pk}:{event_id or uuid.uuid4().hex}",
        "raw_body": b"{}", "headers": {"Content-Type": "application/json"},
        "source_ip": "127.0.0.1", "valid": True,
        **processing.new_event_accepted(now=timezone.now()), **fields})


@pytest.fixture
def statements(monkeypatch):
    """The rows of each shared statement, in order; the first one waits until `hold` more
    requests are waiting behind it, so that they meet in the second."""
    sizes, hold = [], {"count": 0}
    original = accepting._write

    def write(db, rows):
        if not sizes and hold["count"]:
            deadline = time.monotonic() + 30
            while len(accepting._group._pending) < hold["count"]:
                assert time.monotonic() < deadline, "the other requests never arrived"
                time.sleep(0.005)
        sizes.append(len(rows))
        return original(db, rows)

    monkeypatch.setattr(accepting, "_write", write)
    return sizes, hold


def at_once(events):
    """Each event stored by its own thread (as gunicorn's threads do), the first one on its way
    before the others arrive; their outcomes."""
    outcomes = [None] * len(events)

    def store(i):
        try:
            with rls.rls_bypass("test: the webhook inbox"):
                outcomes[i] = accepting.insert_accepted(events[i])
        except Exception as exc:  # the request's own error, as the endpoint would see it
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=store, args=(i,)) for i in range(len(events))]
    threads[0].start()
    deadline = time.monotonic() + 30
    while not accepting._group._busy:  # the first statement is under way
        assert time.monotonic() < deadline
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_events_stored_at_the_same_moment_share_one_statement(conn, statements):
    sizes, hold = statements
    hold["count"] = 5
    events = [event(conn) for _ in range(6)]
    assert at_once(events) == [True] * 6
    assert sizes == [1, 5]  # the first alone (nobody waited for company), then the rest
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {e["id"] for e in events}


def test_the_same_event_twice_in_one_statement_is_stored_once(conn, statements):
    sizes, hold = statements
    hold["count"] = 3
    first, *others = [event(conn, "ev-1"), event(conn, "ev-2"), event(conn, "ev-3"),
                      event(conn, "ev-3")]
    outcomes = at_once([first, *others])
    assert sizes == [1, 3]
    assert outcomes[:2] == [True, True]
    assert sorted(outcomes[2:]) == [False, True]  # one of the two deliveries of ev-3
    assert WebhookEvent.objects.count() == 3


def test_a_shared_statement_that_fails_leaves_each_event_to_its_own_request(conn, statements):
    sizes, hold = statements
    hold["count"] = 4
    bad = event(conn, source_ip="not an address")  # PostgreSQL refuses it as inet
    events = [event(conn), event(conn), bad, event(conn), event(conn)]
    outcomes = at_once(events)
    assert sizes[:2] == [1, 4] and sorted(sizes[2:]) == [1, 1, 1, 1]  # then each alone
    assert isinstance(outcomes[2], Exception)
    assert isinstance(outcomes[2].__cause__, psycopg.errors.InvalidTextRepresentation)
    assert [outcome for i, outcome in enumerate(outcomes) if i != 2] == [True] * 4
    assert WebhookEvent.objects.count() == 4


def test_a_request_alone_is_not_kept_waiting(conn, statements):
    sizes, _hold = statements
    assert accepting.insert_accepted(event(conn)) is True
    assert accepting.insert_accepted(event(conn)) is True
    assert sizes == [1, 1]
