import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from accounting import rls
from integrations.engine import sweep


class Command(BaseCommand):
    help = ("Dispatch due sync jobs every quarter second: retries when due (a 1 s backoff "
            "means 1 s), and background jobs in small batches per rate-limit scope, in turn by "
            "organization. The one-minute schedule does the same without this process, only "
            "less promptly.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.25)

    def handle(self, *args, interval, **options):
        running = True

        def stop(*_):
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"dispatcher: sweeping every {interval} s")
        while running:
            close_old_connections()
            try:
                with rls.rls_bypass("sweeper: re-dispatches due jobs of every organization"):
                    sweep()
            except Exception as exc:  # keep going: the next sweep may well succeed
                self.stderr.write(f"dispatcher: sweep failed: {type(exc).__name__}: {exc}")
            time.sleep(interval)
