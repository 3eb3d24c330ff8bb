"""The engine under real concurrency: threads with their own connections, on SQLite (the
embedded default, a file as in production) and on PostgreSQL alike, since the promises hold on
both: one job per intent, one winner per claim, one refresh per expired token."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ

from integrations import credentials
from integrations.engine import enqueue_job, run_job
from integrations.engine.runner import Outcome
from integrations.models import Connection, SyncJob

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(n, fn):
    """Run fn(i) in n threads released at the same moment; each closes its own DB connection."""
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            return fn(i)
        finally:
            db_connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


@pytest.mark.parametrize("in_callers_transaction", [False, True])
def test_20_concurrent_enqueues_of_one_intent_make_one_job(connection, in_callers_transaction):
    def enqueue(_):
        # Inside a transaction as the services call it (the losers meet the unique key there),
        # or on its own.
        with transaction.atomic() if in_callers_transaction else nullcontext():
            job, created = enqueue_job(connection=Connection.objects.get(pk=connection.pk),
                                       operation="customer.create", record_type="customer",
                                       local_id="42")
        return job.pk, created

    results = in_threads(20, enqueue)
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert SyncJob.objects.count() == 1
    assert OrmQ.objects.count() == 1


def test_one_job_run_twice_at_once_calls_the_provider_once(connection, fake_server):
    fake_server.create_delay = 0.3  # both deliveries are in flight together
    job, _ = enqueue_job(connection=connection, operation="customer.create",
                         record_type="customer", local_id="42")
    outcomes = in_threads(2, lambda _: run_job(job.pk))
    assert sorted(outcomes) == sorted([Outcome.DONE, Outcome.NOT_CLAIMED])
    assert fake_server.create_calls == 1
    assert len(fake_server.customers) == 1


def test_8_workers_with_an_expired_token_refresh_exactly_once(connection, fake_server):
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=5))
    jobs = [enqueue_job(connection=connection, operation="customer.create",
                        record_type="customer", local_id=str(i))[0] for i in range(8)]
    outcomes = in_threads(8, lambda i: run_job(jobs[i].pk))
    assert outcomes == [Outcome.DONE] * 8
    assert fake_server.token_calls == 1, "the single-use refresh token was spent more than once"
    assert fake_server.create_calls == 8 and all(fake_server.authorized_calls)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED
    assert connection.credentials == {"access_token": "access-1", "refresh_token": "refresh-1"}


def test_a_lost_refresh_race_is_not_a_revocation(connection, fake_server):
    """Two workers hold the old token; one refreshes; the other must use the new pair rather
    than spend the old refresh token (invalid_grant) and mark the connection for re-auth."""
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=5))
    stale = [Connection.objects.get(pk=connection.pk) for _ in range(2)]
    tokens = in_threads(2, lambda i: credentials.access_token_rollback_unsafe(stale[i])[0])
    assert tokens == ["access-1", "access-1"]
    assert fake_server.token_calls == 1
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.CONNECTED
