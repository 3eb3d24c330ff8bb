"""`make demo`: every provider's acceptance criteria (`Provider.acceptance()`) against its
simulator, each printed PASS or FAIL; exit status 0 only if all pass."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from accounting import rls
from integrations.acceptance import AcceptanceFailed
from integrations.providers import registry


class Command(BaseCommand):
    help = "Run each provider's acceptance criteria against its simulator."

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", default=[],
                            help="only this provider (repeatable); default: every provider "
                                 "that has an acceptance run")

    @rls.rls_bypass("acceptance run: the demo organizations' data")
    def handle(self, *args, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is off: set SANDBOX_ENABLED=true (make demo uses "
                               "the development .env, where DEBUG turns it on).")
        unknown = [k for k in options["provider"] if k not in registry.keys()]
        if unknown:
            raise CommandError(f"Unknown provider {', '.join(unknown)}; registered: "
                               f"{', '.join(registry.keys())}.")
        chosen = [registry.get(k) for k in options["provider"]] or registry.all()
        runs = [(cls, cls.acceptance()) for cls in chosen if cls.acceptance()]
        if not runs:
            raise CommandError("None of these providers has an acceptance run.")
        if options["verbosity"] < 2:
            logging.disable(logging.CRITICAL)  # the criteria, not the request log
        failed = []
        for cls, path in runs:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{cls.name}"))
            try:
                ok = import_string(path)(stdout=self.stdout, style=self.style,
                                         verbosity=options["verbosity"])
            except AcceptanceFailed as exc:
                raise CommandError(str(exc)) from None
            if not ok:
                failed.append(cls.name)
        if failed:
            self.stderr.write(f"Acceptance failed for: {', '.join(failed)}")
            raise SystemExit(1)
