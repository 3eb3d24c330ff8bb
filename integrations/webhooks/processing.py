"""Processing verified events in the queue, retried with the engine's backoff.

An event is processed by its provider's `handle_webhook`, in a django-q2 task queued in the
same transaction that made it due (the ORM broker keeps the task in our database, so both
commit or neither does). An event the endpoint accepted on its fast path gets its task from the
next sweep (`relay_accepted`), which queues several to a task. django-q2 delivers at least
once: the worker whose conditional UPDATE moves the event to `running` runs the handler; any
other delivery is skipped.

A failure is retried after `backoff_delay(attempts)` (a provider's Retry-After wins) until the
attempt after `SYNC_MAX_RETRIES` retries fails too, which makes the event a dead letter. A
permanent error (the provider refused for good) makes it `failed` at once. An auth error marks
the connection for re-authorization and the event waits, its attempt not counted, as the
engine's jobs do. Dead and failed events are replayed by hand (`replay_event`).
"""

import functools
import logging
import traceback
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.tasks import async_task

from integrations.credentials import mark_needs_reauth
from integrations.engine.backoff import backoff_delay
from integrations.errors import AuthError, PermanentError, ProviderError, RetryableError
from integrations.logging import redact
from integrations.models import Connection, WebhookEvent, WebhookRelayMark
from integrations.providers import registry
from integrations.synclog import log_event

logger = logging.getLogger("integrations.webhooks")

TASK = "integrations.tasks.process_webhook_event"
BATCH_TASK = "integrations.tasks.process_webhook_events"  # several accepted events, one by one
S = WebhookEvent.Status
REPLAYABLE = (S.FAILED, S.DEAD)
# A resend of an event in one of these states queues it again; a processed one is a duplicate.
RESEND_REQUEUES = (S.RETRY, S.FAILED, S.DEAD)
LOST_MESSAGE = ("The worker processing this event stopped (killed, or over the task timeout) "
                "on each of %(attempts)d attempts; replay it once the cause is fixed.")


class Outcome:
    SKIPPED = "skipped"
    PROCESSED = "processed"
    RETRY = "retry"
    WAITING = "waiting"
    FAILED = "failed"
    DEAD = "dead"


def storable_text(value, limit=2000) -> str:
    """Text PostgreSQL accepts: NUL and lone surrogates (both arrive in headers and error
    messages) are written as escapes instead of failing the insert."""
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")[:limit]


def _lost_after():
    # A queued task the broker has not handed to a worker by then was lost (the broker itself
    # hands a task out again after `retry` seconds).
    return timezone.timedelta(seconds=settings.Q_CLUSTER["retry"] * 2)


@functools.cache
def _broker():
    # One per process: django-q2 would otherwise build it again for every task.
    return get_broker()


def dispatch(event_pk, provider, *, broker=None):
    """Queue the event's task. Call inside the transaction that made the event `queued`."""
    async_task(TASK, str(event_pk), task_name=f"webhook-{event_pk}",
               group=f"webhook-{provider}", broker=broker or _broker())


# The sweep queues the tasks of events accepted up to this long ago, not later ones: an insert
# whose event was stamped (by the web process's clock) just before the sweep's clock read may
# not have committed yet. An event that misses its window all the same is queued by the
# lost-sweep once its deadline (`ACCEPTED_GRACE`) has passed.
RELAY_SETTLE = timezone.timedelta(seconds=1)
# An accepted event no task has taken this long after it arrived is queued again (a task
# lost, or the sweep missed it); in a backlog that is one more task, which finds it taken.
# Such events are queued again in bulk (`_requeue_accepted`), so a backlog costs a statement
# per few hundred events and a task per `WEBHOOK_EVENTS_PER_TASK`, not two per event.
ACCEPTED_GRACE = timezone.timedelta(seconds=30)
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)  # before any event


def new_event_accepted(*, now) -> dict:
    """The fields of a verified, new event the endpoint stores on the fast path (`accepting`):
    accepted now, and taken for lost if no task has taken it `ACCEPTED_GRACE` later."""
    return {"status": S.ACCEPTED, "received_at": now, "next_attempt_at": now + ACCEPTED_GRACE}


def relay_accepted(*, per_task=None, settle=RELAY_SETTLE) -> int:
    """For the sweeper: queue the tasks of the events accepted since the last relay, up to
    `settle` ago, `per_task` events to a task (`WEBHOOK_EVENTS_PER_TASK`). Nothing is
    written to the events (the task's claim moves each from accepted to running); the relay's
    mark (`WebhookRelayMark`) moves past them in the transaction that queues their tasks, under
    its row lock, so two sweeps never queue an event twice and a relay that fails leaves them
    for the next. Returns how many events were relayed."""
    per_task = per_task or settings.WEBHOOK_EVENTS_PER_TASK
    until = timezone.now() - settle
    if not WebhookEvent.objects.filter(status=S.ACCEPTED, received_at__lte=until).exists():
        return 0  # nothing to relay: no transaction (on SQLite it would take the write lock)
    with transaction.atomic():
        mark = WebhookRelayMark.objects.select_for_update().filter(pk=1).first()
        if mark is None:  # the first relay ever: from the beginning (whoever gets the lock)
            WebhookRelayMark.objects.bulk_create(
                [WebhookRelayMark(pk=1, relayed_until=_BEGINNING)], ignore_conflicts=True)
            mark = WebhookRelayMark.objects.select_for_update().get(pk=1)
        if until <= mark.relayed_until:
            return 0
        rows = list(WebhookEvent.objects.filter(
            status=S.ACCEPTED, received_at__gt=mark.relayed_until, received_at__lte=until)
            .order_by("received_at").values_list("pk", "provider"))
        WebhookRelayMark.objects.filter(pk=1).update(relayed_until=until)
        _queue_batches(rows, per_task)
    if rows:
        logger.info("relayed %d accepted webhook event(s) to the queue", len(rows))
    return len(rows)


def _queue(rows, *, now, **changes) -> bool:
    """Move `rows` (one event, filtered by the state we saw) to `queued` and queue its task, in
    one transaction. False when the row was not in that state any more (someone else won)."""
    event = rows.values("pk", "provider").first()
    if event is None:
        return False
    with transaction.atomic():
        if not rows.update(status=S.QUEUED, next_attempt_at=now + _lost_after(), **changes):
            return False
        dispatch(event["pk"], event["provider"])
    return True


def new_event_queued(*, now) -> dict:
    """The fields of a verified, new event the endpoint stores: due now, in the queue (its
    task is dispatched in the same transaction)."""
    return {"status": S.QUEUED, "next_attempt_at": now + _lost_after()}


def queue_resent(event) -> bool:
    """The sender sent an event again that we stored but have not processed: try it now (a
    dead or failed one gets one more attempt; its count is kept)."""
    return _queue(WebhookEvent.objects.filter(pk=event.pk, status__in=RESEND_REQUEUES),
                  now=timezone.now())


def replay_event(event) -> bool:
    """Replay a failed or dead event by hand, with a fresh retry budget. False when it is in
    another state (or changed since it was read)."""
    rows = WebhookEvent.objects.filter(pk=event.pk, valid=True, status__in=REPLAYABLE)
    return _queue(rows, now=timezone.now(), attempts=0)


def redispatch_due_events(*, limit=500) -> int:
    """For the sweeper: queue events whose retry is due (while their connection is connected,
    as jobs wait), and again those whose task or worker was lost. Safe to run from several
    places at once: each event is taken by a conditional UPDATE only one sweeper wins."""
    now = timezone.now()
    if not WebhookEvent.objects.filter(
            status__in=[S.ACCEPTED, S.QUEUED, S.RUNNING, S.RETRY], next_attempt_at__lte=now,
            valid=True).exists():
        return 0  # the common case, four times a second: one indexed look, nothing more
    _bury_lost_for_good(now)
    queued = _requeue_accepted(now, limit=limit)
    due = Q(status=S.RETRY, next_attempt_at__lte=now,
            connection__status=Connection.Status.CONNECTED)
    lost = Q(status__in=[S.QUEUED, S.RUNNING], next_attempt_at__lt=now)
    candidates = (WebhookEvent.objects.filter(valid=True).filter(due | lost)
                  .order_by("next_attempt_at")
                  .values_list("pk", "status", "next_attempt_at")[:limit])
    for pk, status, at in candidates:
        # Only this table's columns in the conditional UPDATE (see the engine's `claimable`).
        queued += _queue(WebhookEvent.objects.filter(pk=pk, status=status, next_attempt_at=at),
                         now=now)
    if queued:
        logger.info("sweeper queued %d webhook event(s)", queued)
    return queued


def _requeue_accepted(now, *, limit) -> int:
    """Accepted events past their grace (`ACCEPTED_GRACE`) that no task has taken: queued
    again as the relay queues them, several to a task, after one UPDATE moves them all to
    `queued` (lost again only after the broker's own redelivery time, as any queued event).
    Rows another sweeper holds are left to it."""
    lost = WebhookEvent.objects.filter(valid=True, status=S.ACCEPTED, next_attempt_at__lt=now)
    if not lost.exists():
        return 0  # the common case: no transaction (on SQLite it would take the write lock)
    with transaction.atomic():
        rows = list(lost.select_for_update(skip_locked=True).order_by("next_attempt_at")
                    .values_list("pk", "provider")[:limit])
        if not rows:
            return 0
        WebhookEvent.objects.filter(pk__in=[pk for pk, _ in rows], status=S.ACCEPTED).update(
            status=S.QUEUED, next_attempt_at=now + _lost_after())
        _queue_batches(rows, settings.WEBHOOK_EVENTS_PER_TASK)
    logger.info("sweeper queued %d accepted webhook event(s) again", len(rows))
    return len(rows)


def _queue_batches(rows, per_task):
    """Tasks for `rows` ((pk, provider), in order), `per_task` events to a task."""
    broker = _broker()
    for start in range(0, len(rows), per_task):
        chunk = rows[start:start + per_task]
        async_task(BATCH_TASK, [str(pk) for pk, _ in chunk],
                   task_name=f"webhooks-{chunk[0][0]}+{len(chunk) - 1}",
                   group=f"webhook-{chunk[0][1]}", broker=broker)


def _bury_lost_for_good(now):
    """An event whose worker was lost (killed, or over the task timeout) on its last allowed
    attempt is a dead letter like one that failed that often: a handler that never returns
    must not be run again forever."""
    lost = list(WebhookEvent.objects.filter(
        valid=True, status=S.RUNNING, next_attempt_at__lt=now,
        attempts__gt=settings.SYNC_MAX_RETRIES).values_list("pk", "next_attempt_at")[:500])
    message = LOST_MESSAGE % {"attempts": settings.SYNC_MAX_RETRIES + 1}
    for pk, at in lost:
        rows = WebhookEvent.objects.filter(pk=pk, status=S.RUNNING, next_attempt_at=at)
        if rows.update(status=S.DEAD, error=message):
            event = WebhookEvent.objects.get(pk=pk)
            logger.warning("webhook event %s is dead: its worker was lost", pk)
            _log(event, "dead", message)


def process_event(event_id, handler_path=None) -> str:
    """Run the provider's `handle_webhook` for one stored, verified event (the queue's task).

    `handler_path` is ignored: tasks queued before providers had a `handle_webhook` hook
    carried it."""
    now = timezone.now()
    lease_until = now + timezone.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    # An accepted event is claimed as a queued one is: the relay's task for it, if it comes
    # after, finds it taken and skips it.
    claimed = WebhookEvent.objects.filter(
        Q(status__in=[S.ACCEPTED, S.QUEUED]) | Q(status=S.RETRY, next_attempt_at__lte=now),
        pk=event_id, valid=True,
    ).update(status=S.RUNNING, attempts=F("attempts") + 1, next_attempt_at=lease_until)
    if not claimed:
        return Outcome.SKIPPED
    event = WebhookEvent.objects.select_related("connection", "organization").get(pk=event_id)
    # The lease's end is this worker's token: a worker whose lease was taken over records
    # nothing.
    mine = WebhookEvent.objects.filter(pk=event.pk, status=S.RUNNING,
                                       next_attempt_at=lease_until)
    try:
        if event.connection is None:
            raise PermanentError("The connection of this event was removed.")
        try:
            provider = registry.for_connection(event.connection)
        except LookupError as exc:
            raise PermanentError(str(exc)) from None
        if not provider.receives_webhooks():
            raise PermanentError(f"{provider.name} no longer handles webhooks.")
        # No transaction around the handler: it may call the provider, and a transaction would
        # hold the database's write lock (SQLite) for the whole round trip.
        note = provider.handle_webhook(event)
    except AuthError as exc:
        mark_needs_reauth(event.connection, reason=exc.message)
        mine.update(status=S.RETRY, attempts=F("attempts") - 1, next_attempt_at=timezone.now(),
                    error=storable_text(redact(exc.message)))
        return Outcome.WAITING
    except PermanentError as exc:
        return _finish_failed(event, mine, S.FAILED, exc.message, exc)
    except Exception as exc:  # retried: the task itself must not crash
        return _retry_later(event, mine, exc)
    updated = mine.update(status=S.PROCESSED, processed=True, processed_at=timezone.now(),
                          next_attempt_at=None, error="")
    if updated and note:
        _log(event, "info", str(note))
    return Outcome.PROCESSED if updated else Outcome.SKIPPED


def _message(exc):
    if isinstance(exc, ProviderError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _retry_later(event, mine, exc):
    event.refresh_from_db(fields=["attempts"])
    message = _message(exc)
    if event.attempts > settings.SYNC_MAX_RETRIES:
        return _finish_failed(event, mine, S.DEAD, message, exc)
    retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
    delay = backoff_delay(event.attempts, retry_after=retry_after)
    if not isinstance(exc, ProviderError):
        logger.warning("webhook event %s failed: %s", event.pk, traceback.format_exc()[-2000:])
    if not mine.update(status=S.RETRY, error=storable_text(redact(message)),
                       next_attempt_at=timezone.now() + timezone.timedelta(seconds=delay)):
        return Outcome.SKIPPED
    _log(event, "retry", message, exc)
    return Outcome.RETRY


def _finish_failed(event, mine, status, message, exc):
    if not mine.update(status=status, next_attempt_at=None,
                       error=storable_text(redact(message))):
        return Outcome.SKIPPED
    logger.warning("webhook event %s is %s: %s", event.pk, status, type(exc).__name__)
    _log(event, "dead" if status == S.DEAD else "failed", message, exc)
    return Outcome.DEAD if status == S.DEAD else Outcome.FAILED


def _log(event, status, message, exc=None):
    if event.organization_id is None:
        return
    log_event(organization_id=event.organization_id, provider=event.provider, entity="webhook",
              action="webhook", status=status, connection=event.connection,
              message=storable_text(message), response_code=getattr(exc, "status_code", None),
              details={"webhook_event": str(event.pk), "attempts": event.attempts})
