"""Workers on more than one machine, under chaos: two separate django-q2 clusters on the Redis
broker and one PostgreSQL export 500 invoices through the Fortnox simulator while it answers
10 % of requests with a 5xx, loses 5 % of responses after doing the work (reset, cut off or
timed out), throws 429 bursts, and worker processes are killed (SIGKILL) at least 5 times.

It prints what must be 0 (duplicates: references with more than one invoice at the provider;
missing: invoices with none, or not linked to theirs; stuck: jobs neither done nor given up;
and dead letters), the kills, the faults seen, and the
share of the provider's budget used (mean fill of its 25-per-5-s sliding window over the run,
as the simulator counted it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \\
        .venv/bin/python bench/chaos_export.py [--invoices 500] [--kills 5] [--workers 2]

Redis: `Q_BROKER_URL` if set, else a throwaway `redis-server` on a free loopback port. Everything
(the throwaway test database, Redis, the clusters and the dispatcher) is torn down at the end.
The clusters are real `manage.py qcluster` processes with production settings (row-level
security on, DEBUG off), as on other machines; this process serves the simulator and watches.
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

LOST_SHARE, ERROR_SHARE = 0.05, 0.10


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(temp_dir):
    """(URL, process or None): Q_BROKER_URL, or a throwaway redis-server on the loopback."""
    if os.environ.get("Q_BROKER_URL"):
        return os.environ["Q_BROKER_URL"], None
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", temp_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}/0", proc
        time.sleep(0.1)
    proc.kill()
    sys.exit("redis-server did not start (apt-get install redis-server, or set Q_BROKER_URL)")


def descendants(pid):
    """Every process below `pid` (by parent id, read from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def worker_env(base_url, db_url, broker_url, args):
    from django.conf import settings

    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
            "ENV_FILE": "/nonexistent", "SECRET_KEY": settings.SECRET_KEY,
            "ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
            "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
            "SANDBOX_ENABLED": "false", "DATABASE_URL": db_url, "Q_BROKER_URL": broker_url,
            "Q_WORKERS": str(args.workers), "Q_TIMEOUT": "20", "Q_RETRY_MARGIN": "5",
            "SYNC_LEASE_SECONDS": "20", "SYNC_HTTP_TIMEOUT_SECONDS": "3",
            "SYNC_BACKOFF_CAP_SECONDS": "4", "SYNC_MAX_RETRIES": "12",
            "SYNC_INTERACTIVE_CLUSTER": "", "LOG_LEVEL": "WARNING",
            "FORTNOX_BASE_URL": base_url, "FORTNOX_AUTH_URL": f"{base_url}/oauth-v1",
            "FORTNOX_CLIENT_ID": settings.FORTNOX_CLIENT_ID,
            "FORTNOX_CLIENT_SECRET": settings.FORTNOX_CLIENT_SECRET}


class Chaos(threading.Thread):
    """Keeps the simulator's faults going: about 5 % of requests lose their response (topped up
    as requests arrive) and a burst of 429s now and then; 10 % 5xx is a standing rate."""

    def __init__(self, rate_limit):
        super().__init__(daemon=True)
        self.rate_limit, self.stop, self.lost_armed, self.bursts = rate_limit, False, 0, 0

    def run(self):
        from django.db import connections

        from sandbox.framework import faults

        faults.configure("fortnox", server_error_rate=ERROR_SHARE)
        modes = ["reset", "truncate", "timeout"]
        next_burst = time.monotonic() + 10
        try:
            while not self.stop:
                seen = len(self.rate_limit.admitted())
                if self.lost_armed < int(seen * LOST_SHARE):
                    faults.lose_next_responses("fortnox", 1, method="", delay_seconds=4,
                                               mode=modes[self.lost_armed % 3])
                    self.lost_armed += 1
                if time.monotonic() > next_burst:
                    faults.configure("fortnox", rate_limit_burst=3)
                    self.bursts, next_burst = self.bursts + 1, time.monotonic() + 15
                time.sleep(0.2)
            faults.clear("fortnox")
        finally:
            connections.close_all()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--kills", type=int, default=5, help="at least this many worker kills")
    parser.add_argument("--workers", type=int, default=2, help="workers per cluster")
    parser.add_argument("--timeout", type=float, default=1500, help="give up after (s)")
    args = parser.parse_args()
    temp_dir = tempfile.mkdtemp(prefix="hub-chaos-")
    broker_url, redis_proc = start_redis(temp_dir)
    os.environ["Q_BROKER_URL"] = broker_url  # this process enqueues on the same broker
    os.environ["SYNC_INTERACTIVE_CLUSTER"] = ""
    # Jobs are made here: the same retry budget as the clusters' settings (worker_env).
    os.environ["SYNC_MAX_RETRIES"] = "12"
    from bench.harness import served_app

    try:
        with served_app() as url:
            from django.db import connection

            if connection.vendor != "postgresql":
                sys.exit("Set DATABASE_URL to PostgreSQL: the clusters share it as machines "
                         "would.")
            run(args, f"{url}/sandbox/fortnox", broker_url)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)


def _db_url():
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run(args, base_url, broker_url):
    from django.db import connections

    from bench.fortnox_export import build_world
    from integrations.engine import enqueue_job
    from integrations.models import SyncJob
    from integrations.providers.fortnox.provider import Fortnox
    from integrations.ratelimit_measure import share_used
    from sandbox.fortnox.simulator import RATE_LIMIT

    connection, customer, ids = build_world(base_url, args.invoices)
    env = worker_env(base_url, _db_url(), broker_url, args)
    connections.close_all()
    clusters = [subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True) for _ in range(2)]
    dispatcher = subprocess.Popen([sys.executable, "manage.py", "run_dispatcher"], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    chaos = Chaos(RATE_LIMIT)
    kills, started = 0, time.monotonic()
    try:
        time.sleep(3)  # the clusters' workers up
        RATE_LIMIT.reset()
        started, wall_start = time.monotonic(), time.time()
        customer_job, _ = enqueue_job(connection=connection, operation="customer.export",
                                      record_type="customer", local_id=customer.pk)
        while SyncJob.objects.get(pk=customer_job.pk).status != SyncJob.Status.DONE:
            if time.monotonic() - started > 60:
                sys.exit("the customer was not sent within a minute: are the clusters up?")
            time.sleep(0.5)
        chaos.start()
        job_ids = [enqueue_job(connection=connection, operation="invoice.export",
                               record_type="invoice", local_id=pk)[0].pk for pk in ids]
        next_kill = time.monotonic() + 8
        while time.monotonic() - started < args.timeout:
            active = SyncJob.objects.filter(pk__in=job_ids, status__in=[
                SyncJob.Status.QUEUED, SyncJob.Status.RUNNING, SyncJob.Status.UNKNOWN]).count()
            if not active and kills >= args.kills:
                break
            if time.monotonic() > next_kill and (active or kills < args.kills):
                cluster = random.choice(clusters)
                victims = descendants(cluster.pid)
                if victims:
                    os.kill(random.choice(victims), signal.SIGKILL)
                    kills += 1
                next_kill = time.monotonic() + 8
            time.sleep(1)
        elapsed = time.monotonic() - started
        chaos.stop = True
        chaos.join(10)
    finally:
        for proc in (*clusters, dispatcher):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (*clusters, dispatcher):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
            try:  # whatever is left of its session, orphans included
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    report(args, connection, job_ids, kills, chaos, elapsed, wall_start, share_used,
           RATE_LIMIT, Fortnox)


def report(args, connection, job_ids, kills, chaos, elapsed, wall_start, share_used,
           rate_limit, provider):
    import datetime
    from collections import Counter

    from accounting.models import Invoice
    from integrations.engine.jobs import external_reference
    from integrations.models import SyncJob, SyncLogEntry
    from sandbox.models import SandboxRecord

    references = Counter(
        (record.data or {}).get("ExternalInvoiceReference1", "")
        for record in SandboxRecord.objects.filter(provider="fortnox", kind="invoice"))
    ours = {external_reference("invoice", pk, organization=connection.organization)
            for pk in Invoice.objects.filter(organization=connection.organization)
            .values_list("pk", flat=True)}
    from integrations.models import Link

    duplicates = sum(n - 1 for ref, n in references.items() if ref in ours and n > 1)
    linked = set(Link.objects.filter(connection=connection, record_type="invoice")
                 .values_list("local_id", flat=True))
    invoice_ids = Invoice.objects.filter(organization=connection.organization).values_list(
        "pk", flat=True)
    # Missing: not at the provider, or there but not linked (the hub would show it unsent).
    missing = sum(1 for pk in invoice_ids if str(pk) not in linked or references.get(
        external_reference("invoice", pk, organization=connection.organization), 0) == 0)
    statuses = Counter(SyncJob.objects.filter(pk__in=job_ids).values_list("status", flat=True))
    # Stuck: not finished either way when the run ended (queued, running, outcome unknown).
    stuck = sum(n for status, n in statuses.items() if status in (
        SyncJob.Status.QUEUED, SyncJob.Status.RUNNING, SyncJob.Status.UNKNOWN))
    dead = statuses.get(SyncJob.Status.DEAD, 0) + statuses.get(SyncJob.Status.FAILED, 0)
    stamps = [entry.at for entry in rate_limit.admitted()]
    policy = provider.rate_limit
    share, windows = share_used(stamps, limit=policy.limit, window=policy.window_seconds,
                                start=min(stamps, default=0), end=max(stamps, default=0))
    since = datetime.datetime.fromtimestamp(wall_start, tz=datetime.UTC)
    codes = Counter(SyncLogEntry.objects.filter(provider="fortnox", created_at__gte=since)
                    .exclude(provider_response_code=None)
                    .values_list("provider_response_code", flat=True))
    print(f"invoices={args.invoices} clusters=2x{args.workers} workers broker=redis "
          f"database=postgresql elapsed={elapsed:.0f}s requests={len(stamps)}")
    print(f"chaos: {kills} worker kills (SIGKILL), {int(ERROR_SHARE * 100)} % 5xx, "
          f"{chaos.lost_armed} lost responses (~{int(LOST_SHARE * 100)} %), {chaos.bursts} 429 "
          f"bursts; answers logged: {dict(sorted((str(k), v) for k, v in codes.items()))}")
    print(f"jobs by status: {dict(statuses)}")
    for job in SyncJob.objects.filter(pk__in=job_ids).exclude(status=SyncJob.Status.DONE)[:10]:
        answers = list(SyncLogEntry.objects.filter(job=job).order_by("created_at", "id")
                       .values_list("provider_response_code", "status"))
        print(f"  job {job.pk} {job.status} after {job.attempts} attempts: "
              f"{job.last_error[:160]}; its log: {answers}")
    print(f"duplicates = {duplicates}   missing = {missing}   stuck = {stuck}   (goal 0, 0, 0)"
          f"   dead letters = {dead}")
    print(f"share of the provider's budget used = {share:.2f} (mean fill of its "
          f"{policy.limit}-per-{policy.window_seconds:g}-s window over {windows} windows); "
          f"busiest window {rate_limit.max_admitted_in_any_window()} of {policy.limit}, "
          f"429 injected <= {chaos.bursts * 3}")
    if duplicates or missing or stuck or dead:
        sys.exit(1)


if __name__ == "__main__":
    main()
