"""Time from a payment registered in Tripletex (the simulator's accountant page) to "Betalt" on
the contract, p50/p95 over N payments, through the webhook and through polling alone.

    .venv/bin/python bench/tripletex_payment_latency.py [--payments 20] [--poll-seconds 60]

The app and the sandbox are served in this process on a throwaway database
(`harness.served_app`). Two dealers are connected to two simulated Tripletex companies: one
subscribed to the payment webhooks (as connecting does), one not (so only the poll brings
payments back). Each has N contracts sent and invoiced through the real flow. A worker thread
does what the task queue does, polling the queue every `Q_CLUSTER["poll"]` seconds (0.5): it
processes stored webhook events. The poll runs as its schedule would, every `--poll-seconds`
(the issue's "about a minute"; `TRIPLETEX_POLL_MINUTES` is 15 by default), starting at a random
phase. Payments are registered one after another at random moments (webhook: over N seconds;
poll: over two poll periods), each timed from the accountant page's answer until the
contract's state is "paid" in the database (checked every 20 ms). Ratios and percentiles are
measured in this one run; nothing is asserted about speed.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("SANDBOX_ENABLED", "true")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def dealer(slug, company, *, subscribe):
    from accounting.models import Customer, Organization
    from contracts.models import Car
    from integrations.models import AccountMapping, VatMapping
    from integrations.providers.tripletex import inbound, views

    org = Organization.objects.create(slug=slug, name=slug, country="NO", currency="NOK",
                                      language="nb", org_number="923456781")
    for category, account in (("car", "3010"), ("addon", "3020")):
        AccountMapping.objects.create(organization=org, provider="tripletex", category=category,
                                      account_number=account)
        VatMapping.objects.create(organization=org, provider="tripletex", category=category,
                                  vat_code="3")
    original = inbound.subscribe_rollback_unsafe
    if not subscribe:
        inbound.subscribe_rollback_unsafe = lambda provider, secret: []
    try:
        views.connect_with_employee_token_rollback_unsafe(
            organization=org, employee_token=company.secret, user=None)
    finally:
        inbound.subscribe_rollback_unsafe = original
    customer = Customer.objects.create(organization=org, kind="company", name="Fjordtransport AS",
                                       org_number="987654321", email="post@fjord.example.no",
                                       street="Bryggen 3", postal_code="5003", city="Bergen")
    car = Car.objects.create(organization=org, vin="YV1XZK9V1P2012345", make="Volvo",
                             model="EX30", year=2024, registration_number="EL 12345")
    return org, customer, car


def invoiced_contracts(org, customer, car, count):
    from django.utils import timezone

    from contracts.dealerflow import services
    from contracts.dealerflow.acceptance import drain
    from contracts.models import Contract, ContractLine
    from integrations.models import Link

    contracts = []
    for n in range(count):
        contract = Contract.objects.create(organization=org, number=f"B-{n}", customer=customer,
                                           car=car, currency="NOK", status="signed",
                                           signed_on=timezone.localdate())
        ContractLine.objects.create(contract=contract, category="car", description="Volvo EX30",
                                    unit_price=Decimal("389900.00"), position=0)
        ContractLine.objects.create(contract=contract, category="addon", description="Vinterhjul",
                                    quantity=Decimal("4"), unit_price=Decimal("2490.50"),
                                    position=1)
        services.send_order_rollback_unsafe(contract, user=None)
        contracts.append(contract)
    drain(timeout=300)
    for contract in contracts:
        services.invoice_now(contract, user=None)
    drain(timeout=300)
    invoices = {}
    for contract in contracts:
        link = Link.objects.get(connection__organization=org, record_type="invoice",
                                local_id=str(contract.pk))
        contract.refresh_from_db()
        invoices[contract.pk] = (link.remote_id, contract.invoice_total)
    return invoices


class Loop(threading.Thread):
    def __init__(self, every, work, *, phase=0.0):
        super().__init__(daemon=True)
        self.every, self.work, self.phase = every, work, phase
        self.stopped = threading.Event()

    def run(self):
        from django.db import connections

        if self.stopped.wait(self.phase):
            return
        while not self.stopped.is_set():
            try:
                self.work()
            finally:
                connections.close_all()
            self.stopped.wait(self.every)


def time_payments(tx, invoices, spread_seconds):
    """Register each invoice's payment at a random moment within `spread_seconds` (in order);
    seconds from the accountant page's answer to "paid" in the database, per payment."""
    from contracts.models import Contract

    moments = sorted(random.uniform(0, spread_seconds) for _ in invoices)
    start = time.monotonic()
    paid_at, registered = {}, {}
    pending = list(invoices.items())
    while pending or len(paid_at) < len(invoices):
        now = time.monotonic() - start
        while pending and moments[len(registered)] <= now:
            pk, (invoice_id, total) = pending.pop(0)
            tx.register_payment(invoice_id=invoice_id, amount=f"{total:.2f}")
            registered[pk] = time.monotonic()
        waiting = [pk for pk in registered if pk not in paid_at]
        for pk in Contract.objects.filter(pk__in=waiting, accounting_state="paid") \
                .values_list("pk", flat=True):
            paid_at[pk] = time.monotonic()
        if time.monotonic() - start > spread_seconds + 600:
            break
        time.sleep(0.02)
    return [paid_at[pk] - registered[pk] for pk in registered if pk in paid_at], \
        len(registered) - len(paid_at)


def settle_before_teardown():
    """Let the simulator finish its deliveries (each is a request to the served app), so no
    request thread still holds a database session when the throwaway database is dropped."""
    from sandbox.tripletex import webhooks

    webhooks.dispatcher.wait_until_idle(timeout=30)
    time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=60.0)
    args = parser.parse_args()
    from cryptography.fernet import Fernet

    os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    import logging

    from harness import served_app

    logging.disable(logging.CRITICAL)  # the numbers, not the request log

    with served_app() as base:
        from django.conf import settings

        from contracts.dealerflow.acceptance import drain_webhooks
        from integrations.providers.tripletex.acceptance_run import TripletexSandbox
        from integrations.providers.tripletex.provider import Tripletex
        from sandbox.tripletex import seed

        sandbox = f"{base}/sandbox/tripletex"
        settings.APP_BASE_URL = base
        settings.TRIPLETEX_BASE_URL = f"{sandbox}/v2"
        settings.TRIPLETEX_WEB_URL = f"{sandbox}/web"
        settings.TRIPLETEX_CONSUMER_TOKEN = seed.CONSUMER_TOKEN
        settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 60
        seed.seed()
        results = {}
        for mode, subscribe in (("webhook", True), ("poll", False)):
            company = seed.seed_company(f"Bench {mode}", organization_number="923456781")
            org, customer, car = dealer(f"bench-{mode}", company, subscribe=subscribe)
            invoices = invoiced_contracts(org, customer, car, args.payments)
            drain_webhooks()  # what the invoices' own events asked (already applied)
            tx = TripletexSandbox(sandbox, consumer_token=seed.CONSUMER_TOKEN,
                                  employee_token=company.secret,
                                  company_id=company.external_id)
            worker = Loop(settings.Q_CLUSTER.get("poll", 0.5), drain_webhooks)
            loops = [worker]
            spread = float(args.payments)
            if mode == "poll":
                loops.append(Loop(args.poll_seconds, Tripletex.poll_all,
                                  phase=random.uniform(0, args.poll_seconds)))
                spread = 2 * args.poll_seconds
            for loop in loops:
                loop.start()
            try:
                latencies, missing = time_payments(tx, invoices, spread)
            finally:
                for loop in loops:
                    loop.stopped.set()
                for loop in loops:
                    loop.join(30)
            results[mode] = (latencies, missing)
        engine = settings.DATABASES["default"]["ENGINE"]
        database = "PostgreSQL" if "postgres" in engine else "SQLite"
        print(f"Payment registered in the Tripletex simulator -> 'Betalt' on the contract, "
              f"{args.payments} payments each ({database}):")
        for mode, (latencies, missing) in results.items():
            if not latencies:
                print(f"  {mode:8} no payment came back ({missing} missing)")
                continue
            print(f"  {mode:8} p50 {statistics.median(latencies):6.2f} s  "
                  f"p95 {percentile(latencies, 95):6.2f} s  max {max(latencies):6.2f} s  "
                  f"({len(latencies)} of {args.payments}; missing {missing})"
                  + (f"  [poll every {args.poll_seconds:.0f} s]" if mode == "poll" else ""))
        settle_before_teardown()
        if results["webhook"][0] and results["poll"][0]:
            ratio = percentile(results["poll"][0], 95) / percentile(results["webhook"][0], 95)
            print(f"  p95 poll / p95 webhook = {ratio:.1f}; goal: webhook p95 under 5 s: "
                  f"{'met' if percentile(results['webhook'][0], 95) < 5 else 'NOT met'}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
