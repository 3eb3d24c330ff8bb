"""What one scheduled poll costs, in requests to the provider and database queries here, for
every provider that polls (Fortnox and PowerOffice Go), measured in one run against the
simulators.

The bench makes a throwaway test database, serves the simulators from a live server thread,
connects a fresh simulated company per provider, and seeds `--open` open invoices in the
simulator with their local records and links, as if an earlier import had brought them (seeded
in bulk: 10,000 would take long one request at a time). Then, per provider:

- 10 changed: 10 invoices paid in the simulator, one poll;
- nothing changed: the next poll a minute later (Fortnox's `lastmodified` is inclusive and to
  the minute, so the 10 paid in the cursor's minute are listed again);
- first import of 100: 100 invoices made at the provider that we have never seen (Fortnox),
  or 100 of ours whose balance moved at once (a PowerOffice Go catch-up), one poll;
- catch-up of every open invoice (PowerOffice Go): the balance feed answers all of them.

Requests are counted on the hub's side (every `requests` call the poll makes), queries with
Django's CaptureQueriesContext on the poll's own database connection (the simulator's queries
run on the server thread's). Both limiters are made roomy: the bench counts, it does not wait.

    .venv/bin/python bench/poll_cost.py [--open 2000] [--open 10000] [--new 100]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \
        .venv/bin/python bench/poll_cost.py --open 2000 --open 10000
"""

import argparse
import datetime
import os
import sys
import uuid
from collections import deque
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

PAGE = 500  # Fortnox's page size (the client asks for its largest)


class Counter:
    """Counts the hub's HTTP requests (patched onto requests.Session.send)."""

    def __init__(self):
        import requests

        self.count = 0
        self.paths = []
        original = requests.Session.send

        def send(session, request, **kwargs):
            self.count += 1
            self.paths.append(request.method + " " + request.url.split("/sandbox/", 1)[-1])
            return original(session, request, **kwargs)

        requests.Session.send = send

    def measure(self, poll):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.count, self.paths = 0, []
        # Django's query log keeps the last 9,000 only: a catch-up of 10,000 costs more (before
        # bulk reads it did), so each poll gets a log that keeps them all.
        connection.queries_log = deque(maxlen=10_000_000)
        with CaptureQueriesContext(connection) as queries:
            result = poll()
        if os.environ.get("POLL_COST_VERBOSE"):  # what was asked, to see where a count comes from
            print(self.paths[:20], result)
        return self.count, len(queries.captured_queries), result


def roomy_limits():
    from integrations.providers.fortnox.provider import Fortnox
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo
    from integrations.ratelimit import RateLimitPolicy
    from sandbox.fortnox.simulator import RATE_LIMIT

    Fortnox.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1)
    PowerOfficeGo.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1)
    RATE_LIMIT.limit = 100_000


# -- Fortnox ----------------------------------------------------------------------------------
def fortnox_world(base_url, open_count):
    """A connected company with one customer and `open_count` booked, unpaid invoices, each
    linked to its local invoice with the snapshot an import would have left. Returns
    (connection, tenant, template record)."""
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Customer, Invoice, InvoiceLine, Organization
    from integrations.links import store_link
    from integrations.models import AccountMapping, Connection, SyncCursor, VatMapping
    from integrations.providers.fortnox import auth, mappers
    from integrations.providers.fortnox.client import FortnoxClient
    from integrations.providers.fortnox.provider import Fortnox
    from integrations.providers.fortnox.sync import InvoiceImporter
    from sandbox.fortnox import seed
    from sandbox.models import SandboxRecord

    settings.FORTNOX_BASE_URL = base_url
    settings.FORTNOX_AUTH_URL = f"{base_url}/oauth-v1"
    settings.FORTNOX_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.FORTNOX_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    seed.seed_demo()
    company = seed.seed_company(f"Frost Bygg Poll {open_count}")
    seed.grant_service_account(company, seed.DEMO_CLIENT_ID)
    org = Organization.objects.create(slug=f"frost-poll-{open_count}", name="Frost Bygg Poll",
                                      country="SE", currency="SEK", language="sv")
    VatMapping.objects.create(organization=org, provider="fortnox", category="service",
                              vat_code="MP1")
    AccountMapping.objects.create(organization=org, provider="fortnox", category="service",
                                  account_number="3041")
    connection = Connection(organization=org, provider="fortnox",
                            status=Connection.Status.CONNECTED,
                            remote_tenant_id=company.external_id, remote_company_name=company.name)
    token = auth.token_request({"grant_type": "client_credentials"},
                               headers={"TenantId": company.external_id})
    connection.set_credentials({"mode": "service", "tenant_id": company.external_id,
                                "access_token": token["access_token"]},
                               expires_at=auth._expires_at(token))
    connection.save()

    client = FortnoxClient(Fortnox(connection))
    remote_customer = client.send("POST", "/3/customers", {"Customer": {
        "CustomerNumber": "K1", "Name": "Brf Solrosen", "Type": "COMPANY", "City": "Stockholm",
        "CountryCode": "SE"}})["Customer"]
    template = client.send("POST", "/3/invoices", {"Invoice": {
        "CustomerNumber": "K1", "InvoiceDate": timezone.localdate().isoformat(),
        "DueDate": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "YourReference": "Bench", "InvoiceRows": [
            {"Description": "Arbete", "DeliveredQuantity": "8", "Price": 650,
             "VATCode": "MP1", "AccountNumber": 3041}]}})["Invoice"]
    template = client.send("PUT", f"/3/invoices/{template['DocumentNumber']}/bookkeep",
                           None)["Invoice"]
    record = SandboxRecord.objects.get(tenant=company, kind="invoice",
                                       remote_id=template["DocumentNumber"])

    customer = Customer.objects.create(organization=org, kind="company", name="Brf Solrosen",
                                       city="Stockholm", country="SE")
    store_link(connection, "customer", customer.pk, remote_customer["CustomerNumber"],
               data={"local": mappers.customer_values(customer),
                     "remote": mappers.customer_values_from_remote(remote_customer)})
    numbers = [str(1000 + n) for n in range(open_count)]
    day_ago = timezone.now() - datetime.timedelta(days=1)
    clone_invoices(company, record, numbers, modified_at=day_ago)
    # The template customer and invoice were made before the earlier import, too.
    SandboxRecord.objects.filter(tenant=company).update(modified_at=day_ago)
    importer = InvoiceImporter(Fortnox(connection), client)
    invoices = Invoice.objects.bulk_create([
        Invoice(organization=org, customer=customer, currency="SEK", number=number,
                issue_date=timezone.localdate(), your_reference="Bench", status="invoiced",
                booked=True, remaining_amount=Decimal("6500.00"))
        for number in numbers])
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, description="Arbete", category="service",
                    quantity=Decimal("8"), unit_price=Decimal("650"))
        for invoice in invoices])
    local_values = mappers.invoice_values(invoices[0])
    remote_values = importer.remote_values(template)
    from integrations.models import Link

    now = timezone.now()
    Link.objects.bulk_create([
        Link(organization=org, connection=connection, record_type="invoice",
             local_id=str(invoice.pk), remote_id=invoice.number, remote_number=invoice.number,
             data={"local": local_values, "remote": remote_values,
                   **seen_data(importer, clone_data(record, invoice.number))}, synced_at=now,
             remote_modified_at=now)
        for invoice in invoices], batch_size=1000)
    hour_ago = (now - datetime.timedelta(hours=1)).isoformat()
    for name in ("customer", "invoice"):
        SyncCursor.objects.create(organization=org, connection=connection, record_type=name,
                                  value=hour_ago)
    return connection, company, record


def seen_data(importer, data):
    """What the importer keeps of a list row it has applied, as a poll would have left it
    (nothing, before importers kept anything)."""
    from sandbox.fortnox.fields import LIST_FIELDS

    row = {name: data.get(name) for name in LIST_FIELDS["invoice"] if name != "@url"}
    keep = getattr(importer, "seen_data", None)  # importers before kept nothing
    kept = keep(row) if keep is not None else None
    return {"seen": kept} if kept is not None else {}


def clone_data(record, number):
    return {**record.data, "DocumentNumber": number, "OCR": number}


def clone_invoices(tenant, record, numbers, *, modified_at):
    from sandbox.models import SandboxRecord

    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider="fortnox", tenant=tenant, kind="invoice", remote_id=number,
                      data=clone_data(record, number))
        for number in numbers], batch_size=1000)
    (SandboxRecord.objects.filter(tenant=tenant, kind="invoice", remote_id__in=numbers)
     .update(modified_at=modified_at))


def fortnox_rows(counter, base_url, open_count, new_count):
    import time_machine
    from django.utils import timezone

    from integrations.providers.fortnox.provider import Fortnox
    from sandbox.fortnox import documents

    connection, tenant, record = fortnox_world(base_url, open_count)
    poll = Fortnox(connection).poll
    minute = timezone.now().replace(second=5, microsecond=0) + datetime.timedelta(minutes=1)
    rows = []
    with time_machine.travel(minute, tick=True):
        for n in range(10):
            documents.register_payment(tenant, str(1000 + n), Decimal(str(record.data["Total"])),
                                       timezone.localdate(), {"Source": "manual"})
        rows.append(("10 changed (10 paid)",) + counter.measure(poll))
    with time_machine.travel(minute + datetime.timedelta(minutes=1), tick=True):
        rows.append(("nothing changed (next poll, a minute later)",) + counter.measure(poll))
    with time_machine.travel(minute + datetime.timedelta(minutes=2), tick=True):
        numbers = [str(900_000 + n) for n in range(new_count)]
        clone_invoices(tenant, record, numbers, modified_at=timezone.now())
        rows.append((f"first import of {new_count} new invoices",) + counter.measure(poll))
    pages = -(-open_count // PAGE)
    return [
        goal(rows[0], requests=3, queries=FORTNOX_QUERIES, note="3 lists; status from the list"),
        goal(rows[1], requests=3, queries=FORTNOX_QUERIES, note="3 lists"),
        # New invoices need their rows (InvoiceRows is not in the list): one GET each.
        goal(rows[2], requests=3 + new_count, queries=None,
             note=f"3 lists + {new_count} GETs (InvoiceRows)"),
    ], pages


# -- PowerOffice Go ---------------------------------------------------------------------------
def pogo_world(base_url, open_count):
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Customer, Organization
    from contracts.models import Car, Contract
    from integrations.models import Link, SyncCursor
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
    Link.objects.bulk_create([
        Link(organization=org, connection=connection, record_type="invoice",
             local_id=str(contract.pk), remote_id=guid, synced_at=now)
        for contract, guid in zip(contracts, ids, strict=True)], batch_size=1000)
    SyncCursor.objects.update_or_create(
        connection=connection, record_type="outgoing_invoice_balance",
        defaults={"organization": org, "value": store.stamp(now - datetime.timedelta(hours=1))})
    return connection, company, ids


def pogo_rows(counter, base_url, open_count, new_count):
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


# A poll's fixed queries (the shared limiter's five per request, cursors, overdue...) plus one
# read of links, one of records and one bulk write per page: a constant, whatever is open.
QUERY_BASE = 40
FORTNOX_QUERIES = 50  # three lists (customers, invoices, payments), each with its page reads


def goal(row, *, requests, queries, note):
    name, sent, ran, _result = row
    met = sent <= requests and (queries is None or ran <= queries)
    return name, sent, ran, requests, queries, note, met


def print_rows(provider, open_count, rows):
    print(f"\n{provider}, {open_count} open invoices")
    print(f"  {'poll':46} {'requests':>8} {'queries':>8}  goal")
    for name, sent, ran, requests, queries, note, met in rows:
        limit = f"requests <= {requests}" + (f", queries <= {queries}" if queries else "")
        print(f"  {name:46} {sent:8} {ran:8}  {limit} ({note}): "
              f"{'GOAL MET' if met else 'NOT MET'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, action="append",
                        help="open invoices to seed (repeatable; default 2000 and 10000)")
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--provider", choices=("fortnox", "poweroffice_go"), action="append")
    args = parser.parse_args()
    sizes = args.open or [2000, 10000]
    providers = args.provider or ["fortnox", "poweroffice_go"]

    from bench.harness import served_app

    failed = False
    with served_app() as url:
        from django.db import connection as db

        roomy_limits()
        counter = Counter()
        root = f"{url}/sandbox"
        print(f"database={db.vendor}")
        for size in sizes:
            if "fortnox" in providers:
                rows, _pages = fortnox_rows(counter, f"{root}/fortnox", size, args.new)
                print_rows("Fortnox", size, rows)
                failed |= not all(row[-1] for row in rows)
            if "poweroffice_go" in providers:
                rows, _pages = pogo_rows(counter, f"{root}/poweroffice_go", size, args.new)
                print_rows("PowerOffice Go", size, rows)
                failed |= not all(row[-1] for row in rows)
    print("\nALL GOALS MET" if not failed else "\nSOME GOALS NOT MET")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
