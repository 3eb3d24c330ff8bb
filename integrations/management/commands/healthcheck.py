"""`manage.py healthcheck [--queue] [--dispatcher]`: health of the processes that are not web
servers (the web's own are `/healthz` and `/readyz`), for a container's or a supervisor's probe.
Exit status 0 when healthy, 1 with what is wrong.

- always: the database answers and no migration is pending (as `/readyz`);
- `--queue`: a task goes through the broker, a worker runs it and its result comes back within
  `--timeout` seconds (a worker cluster is alive and consuming, wherever it runs);
- `--dispatcher`: no sync job has been due, and no webhook event accepted, for longer than
  `--lag` seconds without being dispatched (the dispatcher, or the one-minute schedule, is
  sweeping)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounting import rls
from config.health import problems


class Command(BaseCommand):
    help = "Check the database, and optionally the task queue and the dispatcher."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="round trip through a worker")
        parser.add_argument("--dispatcher", action="store_true", help="due jobs are dispatched")
        parser.add_argument("--timeout", type=float, default=30.0)
        parser.add_argument("--lag", type=float, default=120.0)

    def handle(self, *args, queue, dispatcher, timeout, lag, **options):
        found = problems()
        if not found and queue:
            found += self._queue(timeout)
        if not found and dispatcher:
            found += self._dispatcher(lag)
        if found:
            raise CommandError("unhealthy: " + "; ".join(found))
        self.stdout.write("healthy")

    def _queue(self, timeout):
        from django_q.tasks import async_task, fetch

        task_id = async_task("math.floor", 1.5, q_options={"group": "healthcheck"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = fetch(task_id)
            if task is not None:
                return [] if task.success and task.result == 1 else ["the queue's task failed"]
            time.sleep(0.5)
        return [f"no worker ran a task within {timeout:g} s (is qcluster running?)"]

    def _dispatcher(self, lag):
        from integrations.models import Connection, SyncJob, WebhookEvent, WebhookRelayMark

        before = timezone.now() - timedelta(seconds=lag)
        with rls.rls_bypass("healthcheck: due jobs of every organization (a count)"):
            late = SyncJob.objects.filter(
                status__in=[SyncJob.Status.QUEUED, SyncJob.Status.UNKNOWN], dispatched=False,
                next_attempt_at__lt=before,
                connection__status=Connection.Status.CONNECTED).count()
            # Accepted events the relay has not reached (its mark is behind them).
            waiting = WebhookEvent.objects.filter(status=WebhookEvent.Status.ACCEPTED,
                                                  received_at__lt=before)
            mark = (WebhookRelayMark.objects.filter(pk=1)
                    .values_list("relayed_until", flat=True).first())
            if mark is not None:
                waiting = waiting.filter(received_at__gt=mark)
            waiting = waiting.count()
        found = []
        if late:
            found.append(f"{late} sync job(s) due for more than {lag:g} s are not dispatched "
                         "(is run_dispatcher or the qcluster schedule running?)")
        if waiting:
            found.append(f"{waiting} webhook event(s) accepted more than {lag:g} s ago have no "
                         "task yet (is run_dispatcher or the qcluster schedule running?)")
        return found
