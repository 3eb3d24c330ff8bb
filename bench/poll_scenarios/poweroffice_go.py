"""PowerOffice Go in `bench/poll_cost.py`: its balance feed (`balanceLastChangedDateTimeOffset
GreaterThan`) after 10 paid, with nothing changed, after 100 part-paid, and a catch-up of every
open invoice."""

import datetime
import uuid
from decimal import Decimal

from bench.poll_scenarios import QUERY_BASE, goal, link_all


def roomy():
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo
    from integrations.ratelimit import RateLimitPolicy

    PowerOfficeGo.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1)


def pogo_world(base_url, open_count):
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Customer, Organization
    from contracts.models import Car, Contract
    from integrations.models import SyncCursor
    from integrations.providers.poweroffice_go import services
    from sandbox.models import SandboxRecord
    from sandbox.poweroffice_go import seed, store

    settings.POWEROFFICE_GO_BASE_URL = base_url
    settings.POWEROFFICE_GO_WEB_URL = f"{base_url}/go"
    settings.POWEROFFICE_GO_APPLICATION_KEY = seed.APPLICATION_KEY
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = seed.SUBSCRIPTION_KEY
    seed.seed()
    company = seed.seed_company(f"Nordbil Poll {open_count}")
    org = Organization.objects.create(slug=f"nordbil-poll-{open_count}", name="Nordbil Poll",
                                      country="NO", currency="NOK", language="nb")
    connection = services.connect_with_client_key(organization=org, client_key=company.secret,
                                                  user=None)
    customer = Customer.objects.create(organization=org, kind="company", name="Fjordtransport")
    car = Car.objects.create(organization=org, make="Volvo", model="EX30")
    contracts = Contract.objects.bulk_create([
        Contract(organization=org, number=f"K-{n}", customer=customer, car=car, currency="NOK",
                 accounting_state="sent", invoice_number=str(10001 + n),
                 invoice_total=Decimal("100000.00"), amount_paid=Decimal("0.00"),
                 amount_remaining=Decimal("100000.00"),
                 invoice_due_date=timezone.localdate() + datetime.timedelta(days=30))
        for n in range(open_count)], batch_size=1000)
    old = store.stamp(timezone.now() - datetime.timedelta(days=1))
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    ids = [str(uuid.uuid4()) for _ in contracts]
    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider=store.SLUG, tenant=company, kind=store.INVOICE, remote_id=guid,
                      data={"Id": guid, "InvoiceNo": 10001 + n, "VoucherNo": n + 1,
                            "VoucherDate": timezone.localdate().isoformat(), "DueDate": due,
                            "CustomerNo": 10000, "TotalAmount": 100000.0,
                            "TotalPostedAmount": 100000.0, "Balance": 100000.0,
                            "BalanceLastChangedDateTimeOffset": old, "MatchId": None,
                            "CustomMatchingReference": None, "SentDateTimeOffset": old,
                            "LastChangedDateTimeOffset": old, "_CreatedBy": ""})
        for n, guid in enumerate(ids)], batch_size=1000)
    now = timezone.now()
    link_all(connection, "invoice", contracts, ids, synced_at=now)
    SyncCursor.objects.update_or_create(
        connection=connection, record_type="outgoing_invoice_balance",
        defaults={"organization": org, "value": store.stamp(now - datetime.timedelta(hours=1))})
    return connection, company, ids


def rows(counter, base_url, open_count, new_count):
    from django.utils import timezone

    from integrations.models import SyncCursor
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo
    from sandbox.models import SandboxRecord
    from sandbox.poweroffice_go import store

    connection, tenant, ids = pogo_world(base_url, open_count)
    poll = PowerOfficeGo(connection).poll
    records = SandboxRecord.objects.filter(tenant=tenant, kind=store.INVOICE)

    def move_balances(guids, balance):
        stamp = store.stamp()
        for record in records.filter(remote_id__in=guids):
            record.data.update(Balance=balance, BalanceLastChangedDateTimeOffset=stamp)
            record.save(update_fields=["data"])

    def rewind():
        SyncCursor.objects.filter(connection=connection).update(
            value=store.stamp(timezone.now() - datetime.timedelta(hours=1)))

    rows = []
    move_balances(ids[:10], 0.0)
    rows.append(("10 changed (10 paid)",) + counter.measure(poll))
    rows.append(("nothing changed (next poll)",) + counter.measure(poll))
    move_balances(ids[10:10 + new_count], 40000.0)
    rows.append((f"catch-up of {new_count} part-paid",) + counter.measure(poll))
    # Every open invoice in the feed at once (a long outage, or the first poll).
    stamp_all = store.stamp()
    for record in records.iterator():
        record.data["BalanceLastChangedDateTimeOffset"] = stamp_all
        record.data["Balance"] = 30000.0
        record.save(update_fields=["data"])
    rewind()
    rows.append((f"catch-up of all {open_count} open",) + counter.measure(poll))
    from integrations.providers.poweroffice_go.client import PAGE_SIZE

    # The list stops at a short page: a full last page costs one more request (a 204).
    pages = open_count // PAGE_SIZE + 1
    return [
        goal(rows[0], requests=1, queries=QUERY_BASE, note="1 request; queries per page"),
        goal(rows[1], requests=1, queries=QUERY_BASE, note="1 request"),
        goal(rows[2], requests=1, queries=QUERY_BASE, note="queries per page"),
        goal(rows[3], requests=pages, queries=QUERY_BASE * pages,
             note="queries per page, not per invoice"),
    ], pages
