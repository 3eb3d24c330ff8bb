"""How close 200 invoice exports to Visma eAccounting come to its limit (600 requests per minute
per client and endpoint), measured in one run against the Visma eAccounting simulator.

The bench makes a throwaway test database, serves the simulator from a live server thread,
connects a fresh simulated company (a token issued the way the identity server issues it, held
on the shared grant), sends the customer once, then runs 200 `invoice.export` jobs through the
engine with a few worker threads (the engine's own `run_job`). Each invoice is two requests on
two endpoints (the draft, then its conversion), so each endpoint carries 200.

At Visma's own limit (600 per 60 s) 200 requests on an endpoint fit in the first window: the
least time the limit allows is zero, and what the run takes is the machine's pace (printed with
`--limit 600 --window 60`). So the bench sets a smaller limit on both sides, ours and the
simulator's (`--limit`, `--window`; default 10 per 5 s per endpoint), one the machine can keep
up with, so that the limit is what sets the pace: the least time for N requests on the busiest
endpoint is ((N - 1) // limit) * window, and the ratio says how much of that budget the
limiter and the workers leave unused. It prints the 429s the simulator answered (must be 0)
and elapsed time / that least time (target <= 1.15).

    .venv/bin/python bench/visma_export.py [--invoices 200] [--workers 4] [--limit 10]
        [--window 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \
        .venv/bin/python bench/visma_export.py
"""

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

KEY = "visma_eaccounting"


def build_world(base_url, count):
    """Frost Bygg, its Visma connection on a grant, mappings, a customer already in Visma,
    `count` invoices with two lines each. Returns (connection, customer, invoice ids)."""
    import datetime
    from decimal import Decimal

    from django.conf import settings

    from accounting.models import Customer, Invoice, InvoiceLine, Organization
    from bench.poll_scenarios.visma_eaccounting import connect
    from integrations.models import AccountMapping, VatMapping

    settings.VISMA_EACCOUNTING_BASE_URL = base_url
    settings.VISMA_IDENTITY_URL = base_url
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    org = Organization.objects.create(slug="frost-bench", name="Frost Bygg Bench AB",
                                      country="SE", currency="SEK", language="sv")
    for category, account in (("labor", "3041"), ("material", "3001")):
        VatMapping.objects.create(organization=org, provider=KEY, category=category,
                                  vat_code="10")
        AccountMapping.objects.create(organization=org, provider=KEY, category=category,
                                      account_number=account)
    connection, _company = connect(org, KEY, "Frost Bygg Bench", hours=1)
    customer = Customer.objects.create(organization=org, kind="company", name="Brf Solrosen",
                                       org_number="769600-1234", postal_code="11345",
                                       city="Stockholm", country="SE")
    ids = []
    for n in range(count):
        invoice = Invoice.objects.create(organization=org, customer=customer, currency="SEK",
                                         issue_date=datetime.date.today(),
                                         your_reference=f"Bench {n}")
        InvoiceLine.objects.create(invoice=invoice, description="Arbete", category="labor",
                                   quantity=Decimal("8"), unit_price=Decimal("650"))
        InvoiceLine.objects.create(invoice=invoice, description="Material",
                                   category="material", quantity=Decimal("3"),
                                   unit_price=Decimal("120"), position=1)
        ids.append(invoice.pk)
    return connection, customer, ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=10,
                        help="requests per window and endpoint, on both sides")
    parser.add_argument("--window", type=float, default=5.0, help="seconds of the window")
    args = parser.parse_args()

    from bench.harness import served_app

    with served_app() as url:
        report(args, f"{url}/sandbox/visma_eaccounting")


def report(args, base_url):
    from django.db import connection as db

    from bench.fortnox_export import run_jobs
    from integrations.engine import enqueue_job, run_job
    from integrations.models import SyncJob, SyncLogEntry
    from integrations.providers.visma_eaccounting.provider import VismaEaccounting
    from integrations.ratelimit import RateLimitPolicy
    from sandbox.visma_eaccounting.simulator import RATE_LIMIT

    real = VismaEaccounting.rate_limit
    limit = args.limit
    VismaEaccounting.rate_limit = RateLimitPolicy(limit=limit, window_seconds=args.window,
                                                  per_endpoint=True)
    RATE_LIMIT.limit, RATE_LIMIT.window_seconds = limit, args.window

    # One more invoice than measured: the first one warms up (articles, reference lists).
    connection, customer, ids = build_world(base_url, args.invoices + 1)
    job, _ = enqueue_job(connection=connection, operation="customer.export",
                         record_type="customer", local_id=customer.pk)
    if run_job(job.pk) != "done":
        sys.exit(f"the customer could not be sent: {SyncJob.objects.get(pk=job.pk).last_error}")
    # One invoice first, so the articles and reference lists exist (as after the first day).
    warm = enqueue_job(connection=connection, operation="invoice.export",
                       record_type="invoice", local_id=ids[0])[0]
    if run_job(warm.pk) != "done":
        sys.exit(f"an invoice could not be sent: {SyncJob.objects.get(pk=warm.pk).last_error}")
    jobs = [enqueue_job(connection=connection, operation="invoice.export",
                        record_type="invoice", local_id=pk)[0].pk for pk in ids[1:]]
    time.sleep(VismaEaccounting.rate_limit.effective_window)  # start with empty windows
    RATE_LIMIT.reset()
    started = time.monotonic()
    finished = run_jobs(jobs, args.workers)
    elapsed = time.monotonic() - started

    admitted = RATE_LIMIT.admitted()
    per_endpoint = Counter(entry.key.split("|", 1)[-1] for entry in admitted)
    busiest = max(per_endpoint.values())
    fullest = max(RATE_LIMIT.max_admitted_in_any_window(key)
                  for key in {entry.key for entry in admitted})
    allowed = ((busiest - 1) // limit) * args.window
    refused = SyncLogEntry.objects.filter(provider=KEY, provider_response_code=429).count()
    done = sum(1 for _, status, _ in finished if status == SyncJob.Status.DONE)
    print(f"invoices={len(jobs)} workers={args.workers} database={db.vendor} "
          f"requests={len(admitted)} done={done} limit={limit} per {args.window:g} s per "
          f"endpoint (Visma: {real.limit} per {real.window_seconds:g} s)")
    print(f"requests per endpoint           = {dict(per_endpoint)}")
    print(f"429 responses                   = {refused}  (must be 0)")
    print(f"fullest window of one endpoint  = {fullest} of {limit}")
    if allowed:
        print(f"elapsed / time the limit allows = {elapsed:.1f} s / {allowed:.1f} s = "
              f"{elapsed / allowed:.2f}  (target <= 1.15)")
    else:
        print(f"elapsed = {elapsed:.1f} s; every request fits in the first window, so the limit "
              f"costs no time ({len(jobs) / elapsed:.1f} invoices/s is the machine's pace)")
    VismaEaccounting.rate_limit = real
    if refused or done != len(jobs):
        sys.exit(1)


if __name__ == "__main__":
    main()
