"""What `interactive_wait.py` and `fair_share.py` share: dealers connected to the PowerOffice Go
simulator (served by `harness.served_app` in this process), the real worker processes
(`qcluster`, the interactive `qcluster`, `run_dispatcher`) on the same throwaway database, clicks
timed from enqueue to the order existing in Go, and the simulator's own record of what it
admitted and refused."""

import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare_environment():
    """Secrets the bench and its worker processes share (set before Django starts)."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("SANDBOX_ENABLED", "true")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Run on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench")


def configure(base_url):
    from django.conf import settings

    from sandbox.poweroffice_go import seed

    go = f"{base_url}/sandbox/poweroffice_go"
    settings.POWEROFFICE_GO_BASE_URL = go
    settings.POWEROFFICE_GO_WEB_URL = f"{go}/go"
    settings.POWEROFFICE_GO_APPLICATION_KEY = seed.APPLICATION_KEY
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = seed.SUBSCRIPTION_KEY
    seed.seed()
    return go


def dealer(slug, name):
    """An organization connected to its own simulated Go client (one subscription key for
    all), with the car and add-on mappings, and a token fetched up front."""
    from accounting.models import Organization
    from integrations.models import AccountMapping, Connection, VatMapping
    from integrations.providers.poweroffice_go import auth
    from sandbox.poweroffice_go import seed

    org = Organization.objects.create(slug=slug, name=name, country="NO", currency="NOK",
                                      language="nb")
    for category, account in (("car", "3000"), ("addon", "3010")):
        AccountMapping.objects.create(organization=org, provider="poweroffice_go",
                                      category=category, account_number=account)
        VatMapping.objects.create(organization=org, provider="poweroffice_go",
                                  category=category, vat_code="3")
    company = seed.seed_company(f"{name} (Go)")
    token, expires_at = auth.fetch_token(company.secret)
    connection = Connection(organization=org, provider="poweroffice_go",
                            status=Connection.Status.CONNECTED)
    connection.set_credentials({"client_key": company.secret, "access_token": token},
                               expires_at=expires_at)
    connection.save()
    return connection


def customers(org, count, prefix):
    from accounting.models import Customer

    return [Customer.objects.create(organization=org, kind="company", name=f"{prefix} {n} AS",
                                    email=f"post{n}@{prefix.lower()}.example.no",
                                    street="Bryggen 3", postal_code="5003", city="Bergen")
            for n in range(count)]


def contracts(org, count, prefix):
    """`count` contracts, each a car and an add-on, for one customer."""
    from contracts.models import Car, Contract, ContractLine

    customer = customers(org, 1, f"{prefix}kunde")[0]
    made = []
    for n in range(count):
        car = Car.objects.create(organization=org, vin=f"YV1{prefix[:3].upper()}{n:011d}",
                                 registration_number=f"EL {10000 + n}", make="Volvo",
                                 model="EX30", year=2024)
        contract = Contract.objects.create(organization=org, number=f"{prefix}-{n}",
                                           customer=customer, car=car, currency="NOK",
                                           signed_on=datetime.date(2026, 11, 20))
        ContractLine.objects.create(contract=contract, category="car", description="Volvo EX30",
                                    quantity=Decimal("1"), unit_price=Decimal("389900"),
                                    position=0)
        ContractLine.objects.create(contract=contract, category="addon",
                                    description="Vinterhjul", quantity=Decimal("4"),
                                    unit_price=Decimal("2490.50"), position=1)
        made.append(contract)
    return made


def enqueue_background(connection, customer_list):
    from django.db import transaction

    from integrations.engine import enqueue_job

    with transaction.atomic():
        for customer in customer_list:
            enqueue_job(connection=connection, operation="customer.upsert",
                        record_type="customer", local_id=customer.pk)


def click(connection, contract, *, timeout=120.0):
    """A person's "Send til PowerOffice Go": seconds from the click to the order in Go."""
    from integrations.engine import enqueue_job
    from integrations.models import SyncJob

    started = time.monotonic()
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk, priority=SyncJob.Priority.INTERACTIVE)
    while time.monotonic() - started < timeout:
        status = SyncJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status == SyncJob.Status.DONE:
            return time.monotonic() - started
        if status in (SyncJob.Status.FAILED, SyncJob.Status.DEAD):
            sys.exit(f"a click failed: {SyncJob.objects.get(pk=job.pk).last_error}")
        time.sleep(0.02)  # the simulator shares this process: poll gently
    sys.exit("a click did not finish in time")


def stats(values):
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def fmt(values):
    p50, p95, top = stats(values)
    return f"p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {top:5.2f} s"


class Gate:
    """The simulator's rate limit, watched: what it admitted (its own record) and refused."""

    def __init__(self):
        from sandbox.poweroffice_go.simulator import simulator

        self.limit = simulator.rate_limit
        self.refused = 0
        original = self.limit.try_acquire

        def watched(key, **kwargs):
            answer = original(key, **kwargs)
            if answer is not None:
                self.refused += 1
            return answer

        self.limit.try_acquire = watched
        self.limit.reset()

    def admitted(self, start, end):
        return [e for e in self.limit.admitted() if start <= e.at < end]


@contextmanager
def workers(*, background_workers=4, interactive_workers=2):
    """The real worker processes, on the bench's database and simulator; stopped after."""
    from django.conf import settings
    from django.db import connection as db

    database = db.settings_dict
    url = (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings",
           "POWEROFFICE_GO_BASE_URL": settings.POWEROFFICE_GO_BASE_URL,
           "POWEROFFICE_GO_WEB_URL": settings.POWEROFFICE_GO_WEB_URL,
           "POWEROFFICE_GO_APPLICATION_KEY": settings.POWEROFFICE_GO_APPLICATION_KEY,
           "POWEROFFICE_GO_SUBSCRIPTION_KEY": settings.POWEROFFICE_GO_SUBSCRIPTION_KEY,
           "SYNC_RATE_LIMIT_MAX_WAIT_SECONDS": "30", "DEBUG": "false",
           "Q_WORKERS": str(background_workers),
           # The documented default, whatever a developer's .env says.
           "SYNC_BACKGROUND_IN_FLIGHT": str(2 * background_workers + 2),
           # Background admissions spaced (README, "Clicks first, customers fair"); the
           # environment may say otherwise, e.g. 0 to compare.
           "SYNC_RATE_LIMIT_PACE": pace(),
           "Q_INTERACTIVE_WORKERS": str(interactive_workers)}
    manage = [sys.executable, str(ROOT / "manage.py")]
    out = open(WORKER_LOG, "w")  # noqa: SIM115  (read by `response_times`)
    quiet = {"stdout": out, "stderr": out}
    procs = [
        subprocess.Popen([*manage, "qcluster"], env=env, start_new_session=True, **quiet),
        subprocess.Popen([*manage, "qcluster"], env={**env, "Q_CLUSTER_NAME": "interactive"},
                         start_new_session=True, **quiet),
        subprocess.Popen([*manage, "run_dispatcher"], env=env, start_new_session=True, **quiet),
    ]
    try:
        time.sleep(4)  # the clusters start their workers
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def pace():
    """SYNC_RATE_LIMIT_PACE for the workers: the default (config/settings.py), 0.9, unless the
    environment says."""
    return os.environ.get("SYNC_RATE_LIMIT_PACE") or "0.9"


WORKER_LOG = os.environ.get("BENCH_WORKER_LOG") or os.path.join(
    tempfile.gettempdir(), f"bench-workers-{os.getpid()}.log")


def response_times():
    """Seconds each PowerOffice Go request took, from admission to answer as the workers logged
    them (`integrations.http`): what a slot is held for beyond the window."""
    pattern = re.compile(r"poweroffice_go [A-Z]+ \S+ -> \d+ in (\d+) ms")
    with open(WORKER_LOG, errors="replace") as log:
        return [int(m.group(1)) / 1000 for m in map(pattern.search, log) if m]


def stop_background():
    """Cancel the background jobs still waiting, so the bench ends when it has measured."""
    from integrations.models import SyncJob

    SyncJob.objects.filter(status=SyncJob.Status.QUEUED,
                           priority=SyncJob.Priority.BACKGROUND).update(
        status=SyncJob.Status.FAILED, last_error="bench over")
