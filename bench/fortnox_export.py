"""How close 200 invoice exports to Fortnox come to its limit (25 requests per 5-second sliding
window per client and company), measured in one run against the Fortnox simulator.

The bench makes a throwaway test database, serves the simulator from a live server thread,
connects a fresh simulated company with a service account (client credentials, as a server
integration would), sends the customer once, then runs 200 `invoice.export` jobs through the
engine with a few worker threads (the engine's own `run_job`). It prints the 429s the simulator
answered (must be 0) and elapsed time / the least time the limit allows for the same number of
requests (target <= 1.15).

    .venv/bin/python bench/fortnox_export.py [--invoices 200] [--workers 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \
        .venv/bin/python bench/fortnox_export.py

On SQLite (the default) the test database is a temporary file, so the server thread and the
workers share it as separate processes would.
"""

import argparse
import os
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def build_world(base_url, count):
    """The construction firm, its Fortnox connection (service account), mappings, a customer
    already in Fortnox, and `count` invoices with two lines each. Returns (connection, ids)."""
    import datetime
    from decimal import Decimal

    from django.conf import settings

    from accounting.models import Customer, Invoice, InvoiceLine, Organization
    from integrations.models import AccountMapping, Connection, VatMapping
    from sandbox.fortnox import seed

    settings.FORTNOX_BASE_URL = base_url
    settings.FORTNOX_AUTH_URL = f"{base_url}/oauth-v1"
    settings.FORTNOX_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.FORTNOX_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    seed.seed_demo()
    company = seed.seed_company("Frost Bygg Bench")
    seed.grant_service_account(company, seed.DEMO_CLIENT_ID)
    org = Organization.objects.create(slug="frost-bench", name="Frost Bygg Bench AB",
                                      country="SE", currency="SEK", language="sv")
    for category, account in (("service", "3041"), ("material", "3051")):
        VatMapping.objects.create(organization=org, provider="fortnox", category=category,
                                  vat_code="MP1")
        AccountMapping.objects.create(organization=org, provider="fortnox", category=category,
                                      account_number=account)
    connection = Connection(organization=org, provider="fortnox",
                            status=Connection.Status.CONNECTED,
                            remote_tenant_id=company.external_id,
                            remote_company_name=company.name)
    # A token fetched up front: the bench measures exports, not a refresh (and on SQLite a
    # refresh inside the engine's locked transaction would wait on the simulator's writes).
    from integrations.providers.fortnox import auth

    token = auth.token_request({"grant_type": "client_credentials"},
                               headers={"TenantId": company.external_id})
    connection.set_credentials({"mode": "service", "tenant_id": company.external_id,
                                "access_token": token["access_token"]},
                               expires_at=auth._expires_at(token))
    connection.save()
    customer = Customer.objects.create(organization=org, kind="company", name="Brf Solrosen",
                                       city="Stockholm", country="SE")
    ids = []
    for n in range(count):
        invoice = Invoice.objects.create(organization=org, customer=customer, currency="SEK",
                                         issue_date=datetime.date.today(),
                                         your_reference=f"Bench {n}")
        InvoiceLine.objects.create(invoice=invoice, description="Arbete", category="service",
                                   quantity=Decimal("8"), unit_price=Decimal("650"))
        InvoiceLine.objects.create(invoice=invoice, description="Material",
                                   category="material", quantity=Decimal("3"),
                                   unit_price=Decimal("120"), position=1)
        ids.append(invoice.pk)
    return connection, customer, ids


def run_jobs(job_ids, workers):
    """Run every job to an end with `workers` threads; a job told to wait runs again when due."""
    from django.db import connections
    from django.utils import timezone

    from integrations.engine import run_job
    from integrations.models import SyncJob

    todo = queue.Queue()
    for job_id in job_ids:
        todo.put(job_id)
    finished = []

    def work():
        try:
            while True:
                try:
                    job_id = todo.get_nowait()
                except queue.Empty:
                    return
                outcome = run_job(job_id)
                job = SyncJob.objects.get(pk=job_id)
                if job.status in (SyncJob.Status.DONE, SyncJob.Status.FAILED,
                                  SyncJob.Status.DEAD):
                    finished.append((job_id, job.status, outcome))
                    continue
                time.sleep(max(0.0, (job.next_attempt_at - timezone.now()).total_seconds()))
                todo.put(job_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return finished


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from bench.harness import served_app

    with served_app() as url:
        report(args, f"{url}/sandbox/fortnox")


def report(args, base_url):
    from django.db import connection as db

    from integrations.engine import enqueue_job, run_job
    from integrations.models import SyncJob, SyncLogEntry
    from integrations.providers.fortnox.provider import Fortnox
    from sandbox.fortnox.simulator import RATE_LIMIT

    connection, customer, ids = build_world(base_url, args.invoices)
    job, _ = enqueue_job(connection=connection, operation="customer.export",
                         record_type="customer", local_id=customer.pk)
    if run_job(job.pk) != "done":
        sys.exit(f"the customer could not be sent: {SyncJob.objects.get(pk=job.pk).last_error}")
    jobs = [enqueue_job(connection=connection, operation="invoice.export",
                        record_type="invoice", local_id=pk)[0].pk for pk in ids]
    # Start with an empty window, as the provider would see a quiet company.
    time.sleep(Fortnox.rate_limit.effective_window)
    RATE_LIMIT.reset()
    started = time.monotonic()
    finished = run_jobs(jobs, args.workers)
    elapsed = time.monotonic() - started

    policy = Fortnox.rate_limit
    requests_sent = len(RATE_LIMIT.admitted())
    # The N-th request may leave no earlier than (N - 1) // limit windows after the first.
    allowed = ((requests_sent - 1) // policy.limit) * policy.window_seconds
    refused = SyncLogEntry.objects.filter(provider="fortnox", provider_response_code=429).count()
    done = sum(1 for _, status, _ in finished if status == SyncJob.Status.DONE)
    print(f"invoices={args.invoices} workers={args.workers} database={db.vendor} "
          f"requests={requests_sent} done={done}")
    print(f"429 responses                  = {refused}  (must be 0)")
    print(f"busiest window at the provider = "
          f"{RATE_LIMIT.max_admitted_in_any_window()} of {policy.limit}")
    print(f"elapsed / time the limit allows = {elapsed:.1f} s / {allowed:.1f} s = "
          f"{elapsed / allowed:.2f}  (target <= 1.15)")
    if refused or done != args.invoices:
        sys.exit(1)


if __name__ == "__main__":
    main()
