"""The engine's promises, one at a time (SQLite or PostgreSQL)."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from integrations.engine import backoff_delay, enqueue_job, retry_job, run_job, sweep
from integrations.engine.runner import Outcome
from integrations.models import Connection, Link, SyncJob, SyncLogEntry

pytestmark = pytest.mark.django_db


def _enqueue(connection, local_id="7", **kwargs):
    job, _ = enqueue_job(connection=connection, operation="customer.create",
                         record_type="customer", local_id=local_id,
                         params={"name": "Ola Nordmann"}, **kwargs)
    return job


def _make_due(job):
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())


def test_enqueue_records_the_intent_and_queues_one_task(connection):
    job = _enqueue(connection)
    again, created = enqueue_job(connection=connection, operation="customer.create",
                                 record_type="customer", local_id="7")
    assert not created and again.pk == job.pk
    assert SyncJob.objects.count() == 1
    assert OrmQ.objects.count() == 1
    assert job.external_reference == f"hub-{connection.organization_id}-customer-7"


def test_enqueue_rolls_back_with_the_business_transaction(connection):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _enqueue(connection)
        raise RuntimeError("the business write failed")
    assert SyncJob.objects.count() == 0
    assert OrmQ.objects.count() == 0


def test_success_stores_link_marks_done_and_logs(connection, fake_server):
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.DONE
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE and job.remote_id == "1000"
    link = Link.objects.get(connection=connection, record_type="customer", local_id="7")
    assert link.remote_id == "1000"
    assert link.remote_url == "https://fakebooks.test/app/customers/1000"
    entry = SyncLogEntry.objects.get(job=job)
    assert (entry.status, entry.entity, entry.local_id, entry.action) == (
        "ok", "customer", "7", "customer.create")
    assert fake_server.customers[0]["reference"] == job.external_reference


def test_a_second_run_of_a_done_job_calls_nobody(connection, fake_server):
    job = _enqueue(connection)
    run_job(job.pk)
    assert run_job(job.pk) == Outcome.NOT_CLAIMED
    assert fake_server.create_calls == 1


def test_lost_response_is_found_by_reference_on_the_next_attempt(connection, fake_server):
    fake_server.next_post_faults = ["timeout-after-store"]
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.UNKNOWN
    job.refresh_from_db()
    assert job.status == SyncJob.Status.UNKNOWN and job.outcome_uncertain
    assert len(fake_server.customers) == 1  # the provider did store it
    _make_due(job)
    assert run_job(job.pk) == Outcome.ADOPTED
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE
    assert len(fake_server.customers) == 1, "a second customer was created"
    assert fake_server.create_calls == 1
    assert Link.objects.get(local_id="7").remote_id == str(fake_server.customers[0]["id"])


def test_unknown_outcome_with_nothing_stored_creates_it(connection, fake_server):
    job = _enqueue(connection)
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.UNKNOWN, outcome_uncertain=True)
    assert run_job(job.pk) == Outcome.DONE
    assert len(fake_server.customers) == 1


def test_retry_schedule_follows_backoff_then_dead_letter(connection, fake_server, settings):
    settings.SYNC_MAX_RETRIES = 5
    fake_server.next_post_faults = ["503"] * 6
    job = _enqueue(connection)
    expected = [1, 2, 4, 8, 16]
    delays = []
    for failure, base in enumerate(expected, start=1):
        assert run_job(job.pk) == Outcome.RETRY
        job.refresh_from_db()
        # updated_at is stamped with the same clock reading the next attempt was computed from.
        delay = (job.next_attempt_at - job.updated_at).total_seconds()
        assert base * 0.9 <= delay <= base * 1.1, (failure, delay)
        delays.append(delay)
        assert job.status == SyncJob.Status.QUEUED and job.attempts == failure
        assert job.last_response_code == 503 and job.last_error == "maintenance"
        # Not due yet: a delivery now must not run it.
        assert run_job(job.pk) == Outcome.NOT_CLAIMED
        _make_due(job)
    assert len({round(d / b, 4) for d, b in zip(delays, expected, strict=True)}) > 1, "no jitter"
    assert run_job(job.pk) == Outcome.DEAD  # the sixth failure
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DEAD and job.attempts == 6
    assert fake_server.create_calls == 6
    entries = SyncLogEntry.objects.filter(job=job).order_by("id")
    statuses = list(entries.values_list("status", flat=True))
    assert statuses == ["retry"] * 5 + ["dead"]
    assert SyncLogEntry.objects.filter(job=job).last().details["provider_response"] == {
        "code": "down", "message": "maintenance"}


def test_backoff_is_capped_and_jittered(settings):
    settings.SYNC_BACKOFF_CAP_SECONDS = 60
    rng = random.Random(4)
    samples = [backoff_delay(n, rng=rng) for n in range(1, 12) for _ in range(20)]
    assert max(samples) <= 66.0 and min(samples) >= 0.9
    capped = [backoff_delay(10, rng=rng) for _ in range(200)]
    assert min(capped) >= 54 and max(capped) <= 66
    assert len({round(s, 3) for s in capped}) > 50, "no jitter"
    assert backoff_delay(3, retry_after=7) == 7.0


def test_retry_after_wins(connection, fake_server):
    fake_server.next_post_faults = ["429:7"]
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.RETRY
    job.refresh_from_db()
    assert (job.next_attempt_at - job.updated_at).total_seconds() == 7.0


def test_a_providers_429s_do_not_use_up_the_retries(connection, fake_server, settings):
    # A 429 is a request refused unprocessed: more of them than the retry budget must not make
    # the job a dead letter (it would leave an invoice that reached the provider unlinked).
    settings.SYNC_MAX_RETRIES = 2
    fake_server.next_post_faults = ["429:3"] * 5
    job = _enqueue(connection)
    for _ in range(5):
        assert run_job(job.pk) == Outcome.RETRY
        job.refresh_from_db()
        assert job.status == SyncJob.Status.QUEUED and job.attempts == 0
        assert (job.next_attempt_at - job.updated_at).total_seconds() == 3.0
        _make_due(job)
    assert run_job(job.pk) == Outcome.DONE
    assert fake_server.create_calls == 6
    statuses = list(SyncLogEntry.objects.filter(job=job).order_by("id")
                    .values_list("status", flat=True))
    assert statuses == ["retry"] * 5 + ["ok"]


def test_manual_retry_revives_a_dead_job(connection, fake_server, settings):
    settings.SYNC_MAX_RETRIES = 0
    fake_server.next_post_faults = ["503"]
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.DEAD
    OrmQ.objects.all().delete()
    assert retry_job(job)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.QUEUED and job.attempts == 0
    assert OrmQ.objects.count() == 1
    assert run_job(job.pk) == Outcome.DONE
    assert not retry_job(job), "a done job must not be retried"


def test_permanent_error_fails_with_the_providers_message(connection, fake_server):
    fake_server.next_post_faults = ["422"]
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.FAILED
    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error == "Customer number in use" and job.last_error_code == "2000637"
    entry = SyncLogEntry.objects.get(job=job)
    assert entry.provider_response_code == 422
    assert entry.details["provider_response"]["code"] == "2000637"
    assert retry_job(job)


def test_revoked_grant_marks_needs_reauth_and_the_job_waits(connection, fake_server):
    fake_server.refresh_token = "someone-else"  # our refresh token no longer works
    Connection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.WAITING
    connection.refresh_from_db()
    job.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert job.status == SyncJob.Status.QUEUED and job.attempts == 0
    assert fake_server.create_calls == 0
    # While the connection waits for a person, neither the sweeper nor a delivery runs the job.
    assert sweep() == 0
    assert run_job(job.pk) == Outcome.NOT_CLAIMED


def test_a_401_refreshes_once_and_carries_on(connection, fake_server):
    fake_server.access_token = "rotated-early"  # the provider invalidated our token early
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.DONE
    assert fake_server.token_calls == 1
    assert fake_server.authorized_calls == [False, True]


def test_sweeper_dispatches_due_and_abandoned_jobs_once(connection, fake_server):
    job = _enqueue(connection)
    OrmQ.objects.all().delete()
    SyncJob.objects.filter(pk=job.pk).update(dispatched=False)
    assert sweep() == 1
    assert sweep() == 0, "the same due job was dispatched twice"
    assert OrmQ.objects.count() == 1
    # A worker that died mid-call leaves a running job with an expired lease.
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert sweep() == 1
    assert run_job(job.pk) == Outcome.DONE
    job.refresh_from_db()
    assert job.outcome_uncertain is False
    # it looked first (GET by reference), found nothing, then created
    assert fake_server.create_calls == 1


def test_future_retry_is_not_swept_before_its_time(connection):
    job = _enqueue(connection)
    SyncJob.objects.filter(pk=job.pk).update(dispatched=False,
                                             next_attempt_at=timezone.now() + timedelta(seconds=30))
    assert sweep() == 0


def test_an_unknown_operation_fails_the_job_instead_of_looping(connection):
    job, _ = enqueue_job(connection=connection, operation="customer.teleport",
                         record_type="customer", local_id="9")
    assert run_job(job.pk) == Outcome.FAILED
    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED and "customer.teleport" in job.last_error



def test_a_body_cut_off_after_a_write_is_ambiguous(connection, fake_server):
    fake_server.next_post_faults = ["cut-off-after-store"]
    job = _enqueue(connection)
    assert run_job(job.pk) == Outcome.UNKNOWN
    _make_due(job)
    assert run_job(job.pk) == Outcome.ADOPTED
    assert len(fake_server.customers) == 1 and fake_server.create_calls == 1
