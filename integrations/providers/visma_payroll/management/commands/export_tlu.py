"""`python manage.py export_tlu --org <slug> --period YYYY-MM --output FILE`: the period's TLU
file for Visma Lön 300/600 (see integrations/providers/visma_payroll/tlu.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from accounting.models import Organization
from integrations.providers.visma_payroll import tlu


class Command(BaseCommand):
    help = ("Write an organization's time and salary lines of one month as a TLU file (XML, "
            "ISO-8859-1) for import into Visma Lön 300/600. Codes come from admin (TLU codes).")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--output", required=True, help="the file to write")

    def handle(self, *args, org, period, output, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {org!r}.")
        with translation.override(organization.language or None):
            self._export(organization, period, output)

    def _export(self, organization, period, output):
        try:
            first, last = tlu.month(period)
        except tlu.PeriodInvalid as exc:
            raise CommandError(str(exc)) from None
        if tlu.ensure_default_codes(organization):
            self.stderr.write("No TLU codes were set up; the suggested ones were added "
                              "(admin -> TLU codes).")
        problems = tlu.problems(organization, first, last)
        if problems:
            raise CommandError("\n".join(
                f"{p.message}{f' Fix: {p.fix_url}' if p.fix_url else ''}" for p in problems))
        content = tlu.build(organization, first, last, created=timezone.localdate())
        with open(output, "wb") as handle:
            handle.write(content)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(content)} bytes, "
                                             f"{tlu.ENCODING}) for {first:%Y-%m}."))
