"""Tripletex in `bench/poll_cost.py`: its safety-net poll behind the webhooks. `GET /invoice` has
no changed-since (v2.74), so each poll reads our open invoices by id, 1,000 a request: 10 paid,
nothing changed, and 100 partly paid at once (Tripletex makes no invoices we import)."""

import datetime
from decimal import Decimal

from bench.poll_scenarios import goal, link_all

KEY = "tripletex"
CHUNK = 1000  # invoice ids per request
# The poll's fixed queries (session, cursors) plus, per poll, the open contracts, their links,
# the links and contracts of the rows read, one bulk write, one "Last sync" update and one
# insert of log lines: a constant, whatever changed; and the shared limiter's few per request
# (one request per 1,000 open).
QUERIES, PER_REQUEST = 20, 4


def roomy():
    from integrations.providers.tripletex.provider import Tripletex
    from integrations.ratelimit import RateLimitPolicy

    Tripletex.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1)


def world(base_url, open_count):
    """A dealer connected to a simulated company (no webhook subscriptions: the poll alone),
    `open_count` sent contracts each linked to its invoice in Tripletex."""
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Customer, Organization
    from contracts.models import Car, Contract
    from integrations.providers.tripletex import inbound, views
    from sandbox.models import SandboxRecord
    from sandbox.tripletex import seed

    settings.TRIPLETEX_BASE_URL = f"{base_url}/v2"
    settings.TRIPLETEX_CONSUMER_TOKEN = seed.CONSUMER_TOKEN
    seed.seed()
    company = seed.seed_company(f"Nordbil Poll {open_count}", organization_number="923456781")
    org = Organization.objects.create(slug=f"nordbil-tx-poll-{open_count}",
                                      name="Nordbil Poll", country="NO", currency="NOK",
                                      language="nb")
    original = inbound.subscribe_rollback_unsafe
    inbound.subscribe_rollback_unsafe = lambda provider, secret: []
    try:
        connection = views.connect_with_employee_token_rollback_unsafe(
            organization=org, employee_token=company.secret, user=None)
    finally:
        inbound.subscribe_rollback_unsafe = original
    customer = Customer.objects.create(organization=org, kind="company", name="Fjordtransport")
    car = Car.objects.create(organization=org, make="Volvo", model="EX30")
    due = timezone.localdate() + datetime.timedelta(days=30)
    contracts = Contract.objects.bulk_create([
        Contract(organization=org, number=f"K-{n}", customer=customer, car=car, currency="NOK",
                 accounting_state="sent", invoice_number=str(10001 + n),
                 invoice_total=Decimal("100000.00"), amount_paid=Decimal("0.00"),
                 amount_remaining=Decimal("100000.00"), invoice_due_date=due)
        for n in range(open_count)], batch_size=1000)
    ids = [str(700_000 + n) for n in range(open_count)]
    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider=KEY, tenant=company, kind="Invoice", remote_id=remote_id, data={
            "id": int(remote_id), "version": 0, "invoiceNumber": 10001 + n,
            "invoiceDate": timezone.localdate().isoformat(),
            "invoiceDueDate": due.isoformat(), "amount": 100000.0,
            "amountOutstanding": 100000.0, "amountCurrency": 100000.0,
            "amountCurrencyOutstanding": 100000.0, "isCredited": False, "orders": []})
        for n, remote_id in enumerate(ids)], batch_size=1000)
    now = timezone.now()
    link_all(connection, "invoice", contracts, ids, synced_at=now)
    return connection, company, ids


def rows(counter, base_url, open_count, new_count):
    from integrations.providers.tripletex.provider import Tripletex
    from sandbox.models import SandboxRecord

    connection, tenant, ids = world(base_url, open_count)
    poll = Tripletex(connection).poll
    records = SandboxRecord.objects.filter(tenant=tenant, kind="Invoice")

    def pay(remote_ids, outstanding):
        # What a payment moves on the invoice (the simulator's `:payment` also books postings).
        for record in records.filter(remote_id__in=remote_ids):
            record.data.update(amountOutstanding=outstanding,
                               amountCurrencyOutstanding=outstanding,
                               version=record.data["version"] + 1)
            record.save(update_fields=["data"])

    poll()  # an earlier poll: every contract's "Last sync" set once
    result = []
    pay(ids[:10], 0.0)
    result.append(("10 changed (10 paid)",) + counter.measure(poll))
    result.append(("nothing changed (next poll)",) + counter.measure(poll))
    pay(ids[10:10 + new_count], 40000.0)
    result.append((f"{new_count} part-paid at once",) + counter.measure(poll))
    # Paid contracts are no longer open: the next polls read what is left.
    pages = -(-open_count // CHUNK)
    queries = QUERIES + PER_REQUEST * pages
    return [
        goal(result[0], requests=pages, queries=queries,
             note=f"1 request per {CHUNK} open; queries per poll"),
        goal(result[1], requests=pages, queries=queries, note="nothing written"),
        goal(result[2], requests=pages, queries=queries, note="queries per poll, not per row"),
    ], pages
