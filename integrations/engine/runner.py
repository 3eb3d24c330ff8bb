"""Running one job: claim it with a lease, call the provider, record the outcome.

django-q2 delivers at least once, so this runs safely twice: only the worker whose conditional
UPDATE claimed the job calls the provider, and a job whose earlier outcome is unknown first asks
the provider whether the object already exists."""

import logging
import time
import traceback
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from integrations import ratelimit
from integrations.credentials import mark_needs_reauth
from integrations.engine.backoff import backoff_delay
from integrations.errors import (
    AmbiguousError,
    AuthError,
    LocalRateLimitWait,
    PermanentError,
    RateLimitedError,
    RetryableError,
)
from integrations.models import Connection, SyncJob
from integrations.providers import registry
from integrations.synclog import log_job_event

logger = logging.getLogger("integrations.engine")
S = SyncJob.Status
ADOPTED_MESSAGE = "Adopted the object an earlier attempt created"


class Outcome:
    NOT_CLAIMED = "not_claimed"
    DONE = "done"
    ADOPTED = "adopted"
    RETRY = "retry"
    UNKNOWN = "unknown"
    FAILED = "failed"
    DEAD = "dead"
    WAITING = "waiting"


def claimable(now):
    # Only this table's columns: a join would make Django write `WHERE id IN (subquery)`, which
    # PostgreSQL does not re-check after waiting for the row lock, so two workers could both win.
    due = Q(status__in=[S.QUEUED, S.UNKNOWN], next_attempt_at__lte=now)
    abandoned = Q(status=S.RUNNING, lease_expires_at__lt=now)
    return due | abandoned


def claim(job_id):
    """The one conditional UPDATE that decides who runs the job. Returns the lease owner or None."""
    now = timezone.now()
    owner = uuid.uuid4().hex
    # The connection's state is a subquery on its own table: the job's row is still matched
    # on its own columns only (see `claimable`).
    connected = Connection.objects.filter(status=Connection.Status.CONNECTED).values("pk")
    claimed = SyncJob.objects.filter(
        Q(pk=job_id) & claimable(now) & Q(connection_id__in=connected)).update(
        status=S.RUNNING,
        lease_owner=owner,
        lease_expires_at=now + timezone.timedelta(seconds=settings.SYNC_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        dispatched=False,
        # A job found running with an expired lease lost its worker mid-call.
        outcome_uncertain=Case(
            When(status__in=[S.UNKNOWN, S.RUNNING], then=Value(True)),
            default=F("outcome_uncertain"),
        ),
        updated_at=now,
    )
    if claimed:
        return owner
    # Delivered early or for a waiting connection: let the sweeper send it again when due.
    SyncJob.objects.filter(pk=job_id, status__in=[S.QUEUED, S.UNKNOWN]).update(dispatched=False)
    return None


def run_job(job_id):
    owner = claim(job_id)
    if owner is None:
        return Outcome.NOT_CLAIMED
    job = SyncJob.objects.select_related("connection", "organization").get(pk=job_id)
    started = time.monotonic()
    try:
        provider = registry.for_connection(job.connection)
        operation = provider.operation(job.operation)
    except LookupError as exc:  # a provider removed from the registry, or a renamed operation
        return _fail(job, owner, PermanentError(str(exc)), started)
    interactive = job.priority == SyncJob.Priority.INTERACTIVE
    level = ratelimit.INTERACTIVE if interactive else ratelimit.BACKGROUND
    policy = provider.rate_limit
    if interactive and policy is not None and not policy.per_endpoint:
        # A person waits for this job: a slot that frees while it prepares its first request
        # is kept for it (the endpoint of a per-endpoint limit is not known yet).
        ratelimit.expect_person(provider.rate_limit_key(), policy)
    adopted = False
    try:
        # One limiter statement per request: each release is written by the next admission
        # on the key, the last when the block ends (before any transaction of ours).
        with ratelimit.priority(level), ratelimit.deferred_releases():
            result = None
            if job.outcome_uncertain and operation.find_existing is not None:
                result = operation.find_existing(provider, job)
                adopted = result is not None
            if result is None:
                result = operation.perform(provider, job)
    except LocalRateLimitWait as wait:
        return _requeue_without_attempt(job, owner, wait.wait_seconds)
    except RateLimitedError as exc:
        # The provider refused the request unprocessed (429): like our own limiter's waits, the
        # attempt does not count, so a burst of 429s never turns a job into a dead letter.
        return _retry_later(job, owner, exc, started, uncertain=False,
                            retry_after=exc.retry_after, counts=False)
    except RetryableError as exc:
        return _retry_later(job, owner, exc, started, uncertain=False, retry_after=exc.retry_after)
    except AmbiguousError as exc:
        return _retry_later(job, owner, exc, started, uncertain=True)
    except AuthError as exc:
        mark_needs_reauth(job.connection, reason=exc.message)
        return _wait_for_reauth(job, owner, exc, started)
    except PermanentError as exc:
        return _fail(job, owner, exc, started)
    except Exception as exc:  # our own bug: keep the trace, never guess that nothing was sent
        logger.exception("job %s crashed", job.pk)
        error = PermanentError(f"Internal error: {type(exc).__name__}: {exc}",
                               raw={"traceback": traceback.format_exc()[-4000:]})
        return _fail(job, owner, error, started, uncertain=True)
    return _succeed(job, owner, operation, provider, result, started, adopted)


def _mine(job, owner):
    return SyncJob.objects.filter(pk=job.pk, lease_owner=owner, status=S.RUNNING)


def _ms(started):
    return int((time.monotonic() - started) * 1000)


class _LeaseLost(Exception):
    """Raised inside the success transaction to roll it back: a `return` there would commit."""


def _succeed(job, owner, operation, provider, result, started, adopted):
    now = timezone.now()
    try:
        with transaction.atomic():
            if operation.links and result.remote_id:
                from integrations.links import store_link

                store_link(job.connection, operation.record_type, job.local_id, result.remote_id,
                           remote_number=result.remote_number,
                           remote_url=result.remote_url or provider.remote_url(result.remote_id))
            if operation.on_success is not None:
                operation.on_success(provider, job, result)
            done = {"status": S.DONE, "remote_id": str(result.remote_id or ""),
                    "result": result.data, "outcome_uncertain": False, "lease_owner": "",
                    "lease_expires_at": None, "last_error": "", "last_error_code": "",
                    "finished_at": now, "updated_at": now}
            if not _mine(job, owner).update(**done):
                raise _LeaseLost
            Connection.objects.filter(pk=job.connection_id).update(last_sync_at=now)
            for field, value in done.items():  # what the row now holds, without reading it
                setattr(job, field, value)
            log_job_event(job, status="ok",
                          message=ADOPTED_MESSAGE if adopted else "",
                          details={"remote_id": str(result.remote_id or "")},
                          duration_ms=_ms(started))
    except _LeaseLost:
        # Our lease ran out and another worker took over; it will find the object by our
        # reference, so a late worker records nothing (no Link, no on_success writes).
        logger.warning("job %s finished after losing its lease", job.pk)
        return Outcome.NOT_CLAIMED
    except IntegrityError:
        error = PermanentError(
            f"The remote object {result.remote_id} is already linked to another local "
            f"{operation.record_type}; unlink one of them in admin (Links).")
        return _fail(job, owner, error, started)
    return Outcome.ADOPTED if adopted else Outcome.DONE


def _retry_later(job, owner, exc, started, *, uncertain, retry_after=None, counts=True):
    now = timezone.now()
    # `job` was read after the claim counted this attempt, and the lease keeps it ours.
    if counts and job.attempts > job.max_retries:
        status, outcome, log_status = S.DEAD, Outcome.DEAD, "dead"
        next_at = now
    else:
        status = S.UNKNOWN if uncertain else S.QUEUED
        outcome = Outcome.UNKNOWN if uncertain else Outcome.RETRY
        log_status = "unknown" if uncertain else "retry"
        delay = backoff_delay(job.attempts, retry_after=retry_after)
        next_at = now + timezone.timedelta(seconds=delay)
    fields = {"status": status, "next_attempt_at": next_at, "lease_owner": "",
              "lease_expires_at": None, "last_error": exc.message,
              "last_error_code": exc.code or "",
              "last_response_code": exc.status_code, "updated_at": now}
    if uncertain:
        fields["outcome_uncertain"] = True
    if not counts:
        fields["attempts"] = F("attempts") - 1
    if status == S.DEAD:
        fields["finished_at"] = now
    if not _mine(job, owner).update(**fields):
        return Outcome.NOT_CLAIMED
    _written(job, fields)
    log_job_event(job, status=log_status, message=exc.message, response_code=exc.status_code,
                  details=_details(exc), raw_response=exc.raw_text,
                  duration_ms=_ms(started))
    return outcome


def _fail(job, owner, exc, started, *, uncertain=False):
    now = timezone.now()
    fields = {"status": S.FAILED, "lease_owner": "", "lease_expires_at": None,
              "last_error": exc.message, "last_error_code": str(exc.code or ""),
              "last_response_code": exc.status_code, "finished_at": now, "updated_at": now}
    if uncertain:
        fields["outcome_uncertain"] = True
    if not _mine(job, owner).update(**fields):
        return Outcome.NOT_CLAIMED
    _written(job, fields)
    log_job_event(job, status="failed", message=exc.message, response_code=exc.status_code,
                  details=_details(exc), raw_response=exc.raw_text,
                  duration_ms=_ms(started))
    return Outcome.FAILED


def _wait_for_reauth(job, owner, exc, started):
    """The attempt does not count: the job waits, queued, until the connection is fixed."""
    now = timezone.now()
    fields = {"status": S.QUEUED, "attempts": F("attempts") - 1, "lease_owner": "",
              "lease_expires_at": None, "last_error": exc.message,
              "last_response_code": exc.status_code, "updated_at": now}
    if not _mine(job, owner).update(**fields):
        return Outcome.NOT_CLAIMED
    _written(job, fields)
    log_job_event(job, status="failed", message=exc.message, response_code=exc.status_code,
                  details=_details(exc), raw_response=exc.raw_text,
                  duration_ms=_ms(started))
    return Outcome.WAITING


def _requeue_without_attempt(job, owner, wait_seconds):
    now = timezone.now()
    _mine(job, owner).update(status=S.QUEUED, attempts=F("attempts") - 1, lease_owner="",
                             lease_expires_at=None,
                             next_attempt_at=now + timezone.timedelta(seconds=wait_seconds),
                             updated_at=now)
    return Outcome.WAITING


def _written(job, fields):
    """Set on `job` what the UPDATE of `fields` wrote, without reading the row back (the lease
    keeps it ours; the only expression is the attempt given back)."""
    for field, value in fields.items():
        setattr(job, field, job.attempts - 1 if field == "attempts" else value)


def _details(exc):
    details = {"error_class": type(exc).__name__}
    if exc.code:
        details["code"] = exc.code
    if exc.raw is not None:
        details["provider_response"] = exc.raw
    return details
