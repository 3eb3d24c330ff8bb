"""`python manage.py resync <provider> --org <slug> [--type invoice] [--since 2026-01-01]`

Imports now, in this process, for one organization's connection and prints the counts per
record type; then runs that connection's jobs that are due for a retry. For catching up after an
outage, or after changing something by hand at the provider.
"""

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db.models import Q
from django.utils import timezone

from accounting import rls
from accounting.models import Organization
from integrations.engine import run_job
from integrations.errors import ProviderError
from integrations.models import Connection, SyncJob
from integrations.providers import registry
from integrations.views import services


class Command(BaseCommand):
    help = "Import changes from a provider for one organization, then run its due retries."

    def add_arguments(self, parser):
        parser.add_argument("provider", help="provider key, as on the Integrations page")
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--type", action="append", dest="types", default=[],
                            help="record type to import (repeatable; default: all it imports)")
        parser.add_argument("--since", default="",
                            help="import what changed since this date (2026-01-01) or time")
        parser.add_argument("--no-retries", action="store_true",
                            help="do not run the jobs that are due for a retry")

    @no_translations  # for the operator's terminal: the source strings, whatever the locale
    def handle(self, *args, provider, org, types, since, no_retries, **options):
        organization = Organization.objects.filter(slug=org).first()
        with rls.tenant_context(organization):  # row-level security: that organization only
            self._handle(provider, org, types, since, no_retries)

    def _handle(self, provider, org, types, since, no_retries):
        connection = self._connection(provider, org)
        try:
            counts = services.run_import(connection, record_types=types or None, since=since)
        except services.RequestInvalid as exc:
            raise CommandError(exc.message) from None
        except ProviderError as exc:
            raise CommandError(f"{connection.provider_name} refused the import: {exc.message} "
                               f"(logged in the sync monitor)") from None
        for record_type, count in counts.items():
            self.stdout.write(f"{record_type}: {services.describe_count(count)}")
        if not counts:
            self.stdout.write("nothing imported")
        if not no_retries:
            self._run_due_retries(connection)

    def _connection(self, provider, slug):
        provider = registry.resolve(provider)  # a provider's alias names it too
        if provider not in registry.keys():
            raise CommandError(f"Unknown provider {provider!r}. Registered: "
                               f"{', '.join(registry.keys()) or 'none'}.")
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown organization {slug!r}. Known slugs: {known}.")
        connection = (Connection.objects.for_org(organization).filter(provider=provider)
                      .select_related("organization").first())
        name = registry.name_of(provider)
        if connection is None:
            raise CommandError(f"{organization.name} has no {name} connection; connect it on the "
                               f"Integrations page (/integrations/).")
        if connection.status != Connection.Status.CONNECTED:
            reason = f" ({connection.status_reason})" if connection.status_reason else ""
            raise CommandError(
                f"The {name} connection of {organization.name} is "
                f"{connection.get_status_display().lower()}{reason}; connect it again on the "
                f"Integrations page (/integrations/).")
        return connection

    def _run_due_retries(self, connection):
        now = timezone.now()
        due = (SyncJob.objects.for_org(connection.organization)
               .filter(connection=connection)
               .filter(Q(status__in=[SyncJob.Status.QUEUED, SyncJob.Status.UNKNOWN],
                         next_attempt_at__lte=now)
                       | Q(status=SyncJob.Status.RUNNING, lease_expires_at__lt=now))
               .order_by("priority", "next_attempt_at").values_list("pk", flat=True))
        outcomes = {}
        for job_id in due:
            outcome = run_job(job_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcomes:
            summary = ", ".join(f"{name} {n}" for name, n in sorted(outcomes.items()))
            self.stdout.write(f"due jobs run: {summary}")
        else:
            self.stdout.write("due jobs run: none")
