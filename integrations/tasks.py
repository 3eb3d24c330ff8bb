"""django-q2 task entry points: thin, by id, safe to run twice.

Each runs inside its organization on PostgreSQL's row-level security (`accounting.rls`): a task
by id finds the row's organization (one named lookup) and works in it; the few that span
organizations say so with a named bypass."""

from contextlib import contextmanager

from django.utils import translation

from accounting import rls
from integrations import credentials
from integrations.engine import run_job, sweep


@contextmanager
def _working_for(model, pk):
    """The organization of the `model` row `pk`, and its language: what a task writes for
    people (a job's error, a sync log line) reads as the pages of that organization do."""
    with rls.organization_of(model, pk) as scope:
        language = (model._base_manager.filter(pk=pk)
                    .values_list("organization__language", flat=True).first())
        with translation.override(language or translation.get_language()):
            yield scope


def run_sync_job(job_id):
    from integrations.models import SyncJob

    with _working_for(SyncJob, job_id):
        return run_job(job_id)


def sweep_sync_jobs():
    with rls.rls_bypass("sweeper: re-dispatches due jobs of every organization"):
        return sweep()


def refresh_expiring_tokens():
    with rls.rls_bypass("token refresh ahead of expiry, every organization's connections"):
        return credentials.refresh_expiring()


def process_webhook_event(event_id, handler_path=None):
    # `handler_path`: tasks queued before the provider hook carried it; it is not used.
    from integrations.models import WebhookEvent
    from integrations.webhooks import process_event

    with _working_for(WebhookEvent, event_id):
        return process_event(event_id)


def process_webhook_events(event_ids):
    """Several accepted events (relayed by the sweep), one after another, each in its own
    organization. One event's failure is its own (retried or dead); the others go on."""
    from integrations.models import WebhookEvent
    from integrations.webhooks import process_event

    outcomes = []
    for event_id in event_ids:
        with _working_for(WebhookEvent, event_id):
            outcomes.append(process_event(event_id))
    return outcomes


def import_changes(connection_id, record_types=None, since=None):
    """One import for one connection (queued by the API's and the page's "Sync")."""
    from integrations.errors import ProviderError
    from integrations.models import Connection
    from integrations.views.services import run_import

    with _working_for(Connection, connection_id):
        connection = Connection.objects.select_related("organization").filter(
            pk=connection_id, status=Connection.Status.CONNECTED).first()
        if connection is None:  # disconnected or waiting for re-authorization since queued
            return None
        try:
            return run_import(connection, record_types=record_types, since=since)
        except ProviderError as exc:  # logged in the sync monitor by run_import
            return {"error": exc.message}


def run_provider_schedule(provider_key, hook):
    """One run of a provider's periodic hook (a `Schedule` from its `schedules()`); only the
    hooks the provider declares there can be run this way."""
    from integrations.providers import registry

    provider = registry.get(provider_key)
    if hook not in {schedule.hook for schedule in provider.schedules()}:
        raise LookupError(f"{provider.name} declares no schedule running {hook!r}")
    # A schedule spans every connection of the provider; the poll loop
    # (`inbound.poll_connection`) narrows to each connection's organization.
    with rls.rls_bypass(f"schedule {provider_key}.{hook} over every organization"):
        return getattr(provider, hook)()
