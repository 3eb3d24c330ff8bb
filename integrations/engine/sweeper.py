"""Re-dispatching what is due: retries whose time has come, jobs whose worker died (lease
expired), and jobs whose queued task was lost; the same for inbound webhook events. Background
jobs waiting for their turn are queued in small batches per rate-limit scope, in turn by
organization (`fairness.fill`). Safe to run from several places at once: each job is dispatched
by a conditional UPDATE that only one sweeper wins."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.engine import fairness
from integrations.engine.jobs import dispatch
from integrations.models import Connection, SyncJob

logger = logging.getLogger("integrations.engine")
S = SyncJob.Status


def sweep(*, limit=500):
    now = timezone.now()
    connected = Q(connection__status=Connection.Status.CONNECTED)
    # Due interactive jobs go at once; due background jobs wait for their turn (below).
    due = Q(status__in=[S.QUEUED, S.UNKNOWN], next_attempt_at__lte=now, dispatched=False,
            priority=SyncJob.Priority.INTERACTIVE)
    abandoned = Q(status=S.RUNNING, lease_expires_at__lt=now)
    # A dispatched task that never ran (the broker lost it, or its worker died before claiming).
    stale = now - timezone.timedelta(seconds=settings.Q_CLUSTER["retry"] * 2)
    lost = Q(status__in=[S.QUEUED, S.UNKNOWN], dispatched=True, next_attempt_at__lt=stale,
             updated_at__lt=stale)
    candidates = (
        SyncJob.objects.filter(connected & (due | abandoned | lost))
        .order_by("priority", "next_attempt_at")
        .values_list("pk", "status", "dispatched")[:limit]
    )
    dispatched = 0
    for pk, status, was_dispatched in candidates:
        with transaction.atomic():
            won = SyncJob.objects.filter(pk=pk, status=status, dispatched=was_dispatched)
            if status == S.RUNNING:
                won = won.filter(lease_expires_at__lt=now)
            if not won.update(dispatched=True, updated_at=now):
                continue
            # A task lost on the interactive cluster goes to the shared one, which runs anyway.
            dispatch(SyncJob.objects.select_related("connection").get(pk=pk),
                     shared=was_dispatched and status != S.RUNNING)
            dispatched += 1
    if dispatched:
        logger.info("sweeper dispatched %d job(s)", dispatched)
    dispatched += fairness.fill(now=now, dispatch=dispatch)
    # Webhook events: those the endpoint accepted get their tasks, and those whose retry is due
    # or whose task was lost are queued again, on the same sweep (they log their own counts);
    # imported here, as the webhooks package imports the engine.
    from integrations.webhooks import redispatch_due_events, relay_accepted

    relay_accepted()
    redispatch_due_events(limit=limit)
    return dispatched
