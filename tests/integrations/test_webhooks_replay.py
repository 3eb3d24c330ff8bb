"""Replaying failed and dead webhook events by hand: `manage.py replay_webhooks` and the inbox's
admin action "Replay selected events" (inside the admin's organization)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from integrations.models import WebhookEvent
from integrations.providers import registry
from tests.integrations.admin_helpers import make_connection
from tests.integrations.test_integrations_api_fake_provider import run_queued
from tests.integrations.test_webhooks_fixtures import HookBooks

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db

INBOX = reverse("admin:integrations_webhookevent_changelist")
S = WebhookEvent.Status


@pytest.fixture
def hookbooks():
    HookBooks.handled, HookBooks.failures = [], []
    registry.register(HookBooks)
    yield HookBooks
    registry.unregister(HookBooks.key)


@pytest.fixture
def hook_conn(org, hookbooks):
    return make_connection(org, provider="hookbooks", remote_tenant_id="A-1")


def make_event(connection, sender_id, *, status=S.DEAD, valid=True, attempts=6,
               received_at=None, error="HookBooks answered 503"):
    return WebhookEvent.objects.create(
        provider=connection.provider, connection=connection, valid=valid, status=status,
        organization_id=connection.organization_id, attempts=attempts, error=error,
        provider_event_id=f"{connection.pk}:{sender_id}" if valid else None,
        raw_body=b'{"account": "A-1", "id": "%s"}' % sender_id.encode(),
        received_at=received_at or timezone.now())


def replay(*args):
    out = StringIO()
    call_command("replay_webhooks", *args, stdout=out)
    return out.getvalue()


# -- the command ---------------------------------------------------------------------------------

def test_the_command_replays_failed_and_dead_events_with_a_fresh_budget(hook_conn):
    dead = make_event(hook_conn, "d-1")
    failed = make_event(hook_conn, "f-1", status=S.FAILED, attempts=1)
    done = make_event(hook_conn, "p-1", status=S.PROCESSED, attempts=1)
    waiting = make_event(hook_conn, "r-1", status=S.RETRY, attempts=2)
    refused = make_event(hook_conn, "x-1", status=S.REFUSED, valid=False)

    out = replay()

    assert f"replayed {dead.pk}" in out and f"replayed {failed.pk}" in out
    assert "2 event(s) replayed." in out
    for event in (dead, failed, done, waiting, refused):
        event.refresh_from_db()
    assert [(e.status, e.attempts) for e in (dead, failed, done, waiting, refused)] == [
        (S.QUEUED, 0), (S.QUEUED, 0), (S.PROCESSED, 1), (S.RETRY, 2), (S.REFUSED, 6)]
    assert sorted(run_queued()) == ["processed", "processed"]
    assert sorted(HookBooks.handled) == [(hook_conn.pk, "d-1"), (hook_conn.pk, "f-1")]


def test_the_command_filters_by_provider_since_kind_and_event(hook_conn, conn):
    old = make_event(hook_conn, "old", received_at=timezone.now() - timedelta(days=10))
    recent_dead = make_event(hook_conn, "new")
    recent_failed = make_event(hook_conn, "new-f", status=S.FAILED)
    other_provider = make_event(conn, "ab-1")
    since = (timezone.now() - timedelta(days=1)).date().isoformat()

    out = replay("--provider", "hookbooks", "--since", since, "--dead-only", "--dry-run")
    assert f"would replay {recent_dead.pk}" in out and "1 event(s) would be replayed." in out
    assert not OrmQ.objects.exists()

    out = replay("--provider", "hookbooks", "--failed")
    assert f"replayed {recent_failed.pk}" in out and "1 event(s) replayed." in out

    out = replay("--event", "old", "--event", str(other_provider.pk))
    assert "2 event(s) replayed." in out
    for event in (old, recent_dead, other_provider):
        event.refresh_from_db()
    assert (old.status, recent_dead.status, other_provider.status) == (
        S.QUEUED, S.DEAD, S.QUEUED)


def test_the_command_refuses_an_unknown_provider_and_a_bad_date(hook_conn):
    with pytest.raises(CommandError, match="No provider 'nobody'"):
        replay("--provider", "nobody")
    with pytest.raises(CommandError, match="--since"):
        replay("--since", "yesterday")


# -- the admin action ----------------------------------------------------------------------------

def _replay_action(browser, pks):
    return browser.post(INBOX, {"action": "replay_selected", "index": "0",
                                "_selected_action": [str(pk) for pk in pks]}, follow=True)


def test_the_admin_action_replays_failed_and_dead_events_and_says_what_it_skipped(
        admin_of, hook_conn):
    dead = make_event(hook_conn, "d-1")
    done = make_event(hook_conn, "p-1", status=S.PROCESSED, attempts=1)
    refused = make_event(hook_conn, "x-1", status=S.REFUSED, valid=False)

    response = _replay_action(admin_of, [dead.pk, done.pk, refused.pk])

    texts = [str(m) for m in response.context["messages"]]
    assert "1 event queued again." in texts
    assert any("Skipped 1 event that is processed" in t for t in texts)
    assert any("Skipped 1 event that was refused" in t for t in texts)
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (S.QUEUED, 0)
    assert run_queued() == ["processed"]


def test_the_admin_action_never_touches_another_organizations_event(admin_of, other_org,
                                                                     hookbooks):
    theirs = make_event(make_connection(other_org, provider="hookbooks"), "t-1")
    _replay_action(admin_of, [theirs.pk])
    theirs.refresh_from_db()
    assert theirs.status == S.DEAD
    assert not OrmQ.objects.exists()


def test_the_inbox_lists_status_and_attempts(admin_of, hook_conn):
    make_event(hook_conn, "d-1")
    page = admin_of.get(INBOX).content.decode()
    assert "Dead letter" in page and "Replay selected events" in page
