"""Clicks first, customers fair: what reaches the task queue, on which cluster, in which order.

The queues are read as django-q2's workers would take from them (the ORM broker hands out a
cluster's tasks oldest first), and the workers' part is played by running the tasks in that
order, so the order is asserted, never a time.
"""

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ

from integrations.engine import enqueue_job, fairness, run_job, sweep
from integrations.models import Connection, SyncJob
from integrations.providers import registry
from integrations.ratelimit import RateLimitPolicy
from tests.integrations.fakebooks import FakeBooks

pytestmark = pytest.mark.django_db

S = SyncJob.Status
INTERACTIVE, BACKGROUND = SyncJob.Priority.INTERACTIVE, SyncJob.Priority.BACKGROUND


class SharedBooks(FakeBooks):
    """Like PowerOffice Go: one budget (one limiter key) for every customer company."""

    key = "sharedbooks"
    name = "SharedBooks"
    rate_limit = RateLimitPolicy(limit=10, window_seconds=1)

    def rate_limit_scope(self):
        return ("our-one-subscription-key",)


@pytest.fixture(autouse=True)
def shared_books(settings):
    registry.register(SharedBooks)
    settings.SYNC_INTERACTIVE_CLUSTER = "interactive"
    settings.SYNC_BACKGROUND_IN_FLIGHT = 6
    fairness._served.clear()
    fairness._scopes.clear()
    yield SharedBooks
    registry.unregister(SharedBooks.key)


def _connect(org):
    connection = Connection(organization=org, provider="sharedbooks",
                            status=Connection.Status.CONNECTED)
    connection.set_credentials({"access_token": "access-0", "refresh_token": "refresh-0"},
                               expires_at=timezone.now() + timezone.timedelta(hours=1))
    connection.save()
    return connection


def _enqueue(connection, local_id, priority=BACKGROUND):
    job, _ = enqueue_job(connection=connection, operation="customer.create",
                         record_type="customer", local_id=local_id, priority=priority)
    return job


def _queue(cluster):
    """The job ids in one cluster's queue, in the order its workers take them."""
    key = cluster or get_broker().list_key
    return [row.task["args"][0] for row in OrmQ.objects.filter(key=key).order_by("pk")]


def _finish(job_ids):
    """Workers ran these jobs: their tasks leave the queue, the jobs are done."""
    OrmQ.objects.filter(pk__in=[row.pk for row in OrmQ.objects.all()
                                if row.task["args"][0] in set(job_ids)]).delete()
    SyncJob.objects.filter(pk__in=job_ids).update(status=S.DONE, dispatched=False,
                                                   finished_at=timezone.now())


def _org_of(job_ids):
    orgs = dict(SyncJob.objects.filter(pk__in=job_ids).values_list("pk", "organization__slug"))
    return [orgs[pk] for pk in job_ids]


def _take(cluster):
    """What a worker of `cluster` does: take the oldest task of its queue and run it."""
    row = OrmQ.objects.filter(key=cluster or get_broker().list_key).order_by("pk").first()
    if row is None:
        return None
    row.delete()
    job_id = row.task["args"][0]
    run_job(job_id)
    return job_id


def test_a_click_while_100_background_jobs_are_queued_runs_before_them(org, make_org,
                                                                       fake_server):
    connection = _connect(org)
    background = [_enqueue(connection, n) for n in range(100)]
    click = _enqueue(_connect(make_org("clicker")), "click", priority=INTERACTIVE)

    # The click is first in its own cluster's queue, which its own workers serve.
    assert _queue("interactive") == [click.pk]
    # The background queue holds a small batch, not the backlog: the rest wait for their turn.
    assert _queue(None) == [job.pk for job in background[:6]]
    assert SyncJob.objects.filter(dispatched=False, status=S.QUEUED).count() == 94

    # A background worker and an interactive worker take turns, the background one first (the
    # worst case for the click), with the dispatcher sweeping between turns.
    ran = []
    while click.pk not in ran:
        ran += [pk for pk in (_take(None), _take("interactive")) if pk is not None]
        sweep()
    assert ran == [background[0].pk, click.pk]
    assert SyncJob.objects.get(pk=click.pk).status == S.DONE


def test_on_one_shared_queue_a_click_still_has_only_a_batch_ahead_of_it(org, settings):
    settings.SYNC_INTERACTIVE_CLUSTER = ""
    connection = _connect(org)
    for n in range(100):
        _enqueue(connection, n)
    click = _enqueue(connection, "click", priority=INTERACTIVE)
    queue = _queue(None)
    assert queue[-1] == click.pk and len(queue) == 7  # six background tasks ahead, not 100


def test_the_dispatcher_tops_a_scope_up_only_to_its_limit(org):
    connection = _connect(org)
    jobs = [_enqueue(connection, n) for n in range(20)]
    assert sweep() == 0  # the scope is full: nothing more is queued
    _finish([jobs[0].pk, jobs[1].pk])
    assert sweep() == 2
    assert _queue(None) == [j.pk for j in jobs[2:8]]


def test_free_places_go_round_robin_across_organizations(make_org):
    connections = [_connect(make_org(slug)) for slug in ("a-org", "b-org", "c-org")]
    for connection in connections:
        for n in range(10):
            _enqueue(connection, n)
    # a-org enqueued first and took the idle scope's six places.
    assert _org_of(_queue(None)) == ["a-org"] * 6
    order = []
    for _ in range(4):
        queued = _queue(None)
        _finish(queued)
        sweep()
        order += _org_of(_queue(None))
    # Each place to the organization with the fewest in flight, ties to the one served least
    # recently: the three take turns until a-org's ten are through (6 + 4), then b and c.
    assert order == ["a-org", "b-org", "c-org"] * 4 + ["b-org", "c-org"] * 6


def test_one_organizations_backlog_never_delays_anothers_first_job(org, make_org):
    importer = _connect(org)
    for n in range(200):
        _enqueue(importer, n)
    poller = _connect(make_org("small"))
    first = _enqueue(poller, "only")
    assert not SyncJob.objects.get(pk=first.pk).dispatched  # the scope is full
    _finish(_queue(None)[:1])  # one place frees
    sweep()
    assert _queue(None)[-1] == first.pk


def test_a_job_told_to_wait_by_the_limiter_gives_its_place_back(org, fake_server):
    """A background job that would wait long for a slot goes back to waiting for its turn, so
    it does not hold one of the scope's places meanwhile."""
    from integrations import ratelimit

    connection = _connect(org)
    job = _enqueue(connection, "1")
    ratelimit.pause(SharedBooks(connection).rate_limit_key(), SharedBooks.rate_limit, 60)
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.dispatched, job.attempts) == (S.QUEUED, False, 0)
    assert not SyncJob.objects.filter(fairness.in_flight()).exists()


def test_a_click_whose_task_the_interactive_cluster_never_took_goes_to_the_shared_one(
        org, settings, time_machine):
    """Nothing serves the interactive queue (its cluster was never started): the sweeper
    finds the task lost and queues it where the background workers take it."""
    click = _enqueue(_connect(org), "click", priority=INTERACTIVE)
    assert _queue("interactive") == [click.pk]
    time_machine.move_to(timezone.now() + timezone.timedelta(
        seconds=settings.Q_CLUSTER["retry"] * 2 + 5))
    sweep()
    assert click.pk in _queue(None)
