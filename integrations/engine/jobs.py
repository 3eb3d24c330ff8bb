"""Recording intents. An intent's idempotency key is derived from what it means, not from the
attempt, so a double click, two people clicking and a retry all land on the same job."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.models import SyncJob

logger = logging.getLogger("integrations.engine")

TASK = "integrations.tasks.run_sync_job"


def idempotency_key(connection, operation, local_id, *, variant=""):
    key = f"{connection.pk}:{operation}:{local_id}"
    return f"{key}:{variant}" if variant else key


def external_reference(record_type, local_id, *, organization):
    """Our reference written into the remote object, so an unknown outcome can be looked up."""
    return f"hub-{organization.pk}-{record_type}-{local_id}"


def enqueue_job(*, connection, operation, record_type, local_id, params=None, variant="",
                priority=SyncJob.Priority.BACKGROUND, user=None, reference=None):
    """Record the intent and queue its task, inside the caller's transaction (the task row is in
    the same database, so both commit or neither does). Returns (job, created).

    The same intent enqueued again returns the existing job, whatever its state: a finished
    intent is not repeated (re-sending a changed record is a new `variant`).

    An interactive job is queued at once, on the interactive cluster. A background job is
    queued at once only while its rate-limit scope has room (`engine.fairness`); otherwise it
    waits, due, for the dispatcher to give it a place in turn."""
    key = idempotency_key(connection, operation, local_id, variant=variant)
    existing = SyncJob.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    from integrations.engine import fairness

    queue_now = priority == SyncJob.Priority.INTERACTIVE or fairness.has_room(connection)
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(
                organization_id=connection.organization_id,
                connection=connection,
                operation=operation,
                record_type=record_type,
                local_id=str(local_id),
                idempotency_key=key,
                external_reference=reference or external_reference(
                    record_type, local_id, organization=connection.organization),
                params=params or {},
                priority=priority,
                max_retries=settings.SYNC_MAX_RETRIES,
                created_by=user if user is not None and user.is_authenticated else None,
                dispatched=queue_now,
            )
            if queue_now:
                dispatch(job)
    except IntegrityError:
        # Someone enqueued the same intent between our read and our insert.
        return SyncJob.objects.get(idempotency_key=key), False
    logger.info("job %s %s: %s %s:%s", job.pk, "queued" if queue_now else "waits for its turn",
                operation, record_type, job.local_id)
    return job, True


def cluster_for(job):
    """The django-q2 cluster (queue) a job's task goes to: a person's click to the interactive
    cluster, with its own workers, so it never queues behind background work."""
    if job.priority == SyncJob.Priority.INTERACTIVE and settings.SYNC_INTERACTIVE_CLUSTER:
        return settings.SYNC_INTERACTIVE_CLUSTER
    return None


def dispatch(job, *, shared=False):
    """Queue a task for the job. Call inside the transaction that made the job runnable.
    `shared`: on the shared cluster whatever the priority (a task the interactive cluster never
    took: that cluster may not be running)."""
    cluster = None if shared else cluster_for(job)
    async_task(TASK, job.pk, task_name=f"sync-job-{job.pk}-{job.attempts}",
               group=f"sync-{job.connection.provider}", **({"cluster": cluster} if cluster else {}))


@transaction.atomic
def retry_job(job, *, user=None):
    """Revive a failed or dead job: it runs again with a fresh retry budget."""
    updated = SyncJob.objects.filter(
        pk=job.pk, status__in=SyncJob.RETRYABLE_BY_HAND
    ).update(status=SyncJob.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(),
             dispatched=True, lease_owner="", lease_expires_at=None, finished_at=None,
             updated_at=timezone.now())
    if not updated:
        return False
    job.refresh_from_db()
    dispatch(job)
    from integrations.synclog import log_job_event

    log_job_event(job, status="info", message="Retried by hand",
                  details={"user_id": getattr(user, "pk", None)})
    return True
