"""Replay failed and dead webhook events by hand, once their cause is fixed (as dj-stripe's
`djstripe_process_events` does): each gets a fresh retry budget and is queued again.

    python manage.py replay_webhooks                       # every failed or dead event
    python manage.py replay_webhooks --provider KEY --since 2026-11-30
    python manage.py replay_webhooks --dead-only           # dead letters only
    python manage.py replay_webhooks --failed              # permanent failures only
    python manage.py replay_webhooks --event ID            # our id, or the sender's event id
    python manage.py replay_webhooks --dry-run             # say what would be replayed
"""

import uuid
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounting import rls
from integrations.models import WebhookEvent
from integrations.providers import registry
from integrations.webhooks import replay_event
from integrations.webhooks.processing import REPLAYABLE

S = WebhookEvent.Status


def _since(value):
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r}: give a date (2026-11-30) or a date and time "
                               "(2026-11-30T14:00).")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _event_filter(value):
    """Our event id (a UUID) or the sender's event id (stored as `<connection>:<id>`)."""
    try:
        return Q(pk=uuid.UUID(value))
    except ValueError:
        return Q(provider_event_id__endswith=f":{value}")


class Command(BaseCommand):
    help = "Replay failed and dead webhook events (a fresh retry budget, queued again)."

    def add_arguments(self, parser):
        parser.add_argument("--provider", help="only this provider's events (its key)")
        parser.add_argument("--since", help="only events received at or after this date/time")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--dead-only", action="store_true",
                          help="only dead letters (retries used up)")
        kind.add_argument("--failed", action="store_true",
                          help="only events that failed permanently")
        parser.add_argument("--event", action="append", default=[],
                            help="only this event (repeatable): our id or the sender's")
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be replayed, change nothing")

    @rls.rls_bypass("replay_webhooks: events of every organization")
    def handle(self, *args, provider=None, since=None, dead_only=False, failed=False,
               event=(), dry_run=False, **options):
        statuses = [S.DEAD] if dead_only else [S.FAILED] if failed else list(REPLAYABLE)
        events = WebhookEvent.objects.filter(valid=True, status__in=statuses)
        if provider:
            if provider not in registry.keys():
                raise CommandError(f"No provider {provider!r}; known: "
                                   f"{', '.join(registry.keys())}.")
            events = events.filter(provider=provider)
        if since:
            events = events.filter(received_at__gte=_since(since))
        if event:
            wanted = Q()
            for value in event:
                wanted |= _event_filter(value.strip())
            events = events.filter(wanted)
        replayed = 0
        for row in events.order_by("received_at"):
            line = (f"{row.pk} {row.provider} {row.provider_event_id} "
                    f"({row.status}, {row.attempts} attempt(s)): {row.error[:120]}")
            if dry_run:
                self.stdout.write(f"would replay {line}")
            elif replay_event(row):
                replayed += 1
                self.stdout.write(f"replayed {line}")
            else:
                self.stdout.write(f"skipped {row.pk}: its state changed meanwhile")
        if dry_run:
            self.stdout.write(f"{events.count()} event(s) would be replayed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{replayed} event(s) replayed."))
