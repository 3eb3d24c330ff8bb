"""Fortnox in `bench/poll_cost.py`: 10 invoices paid, the next poll a minute later
(`lastmodified` is inclusive and to the minute, so the 10 paid are listed again), and a first
import of new invoices we have never seen."""

import datetime
from decimal import Decimal

from bench.poll_scenarios import goal

PAGE = 500  # Fortnox's page size (the client asks for its largest)
FORTNOX_QUERIES = 50  # three lists (customers, invoices, payments), each with its page reads


def limiter_queries_per_request():
    """What the shared limiter costs one request, in queries (measured: one statement and its
    read-modify-write on PostgreSQL, more on SQLite): a new invoice's GET pays it, nothing of
    the import itself grows with the page."""
    from django.db import connection

    return 2 if connection.vendor == "postgresql" else 5


def roomy():
    from integrations.providers.fortnox.provider import Fortnox
    from integrations.ratelimit import RateLimitPolicy
    from sandbox.fortnox.simulator import RATE_LIMIT

    Fortnox.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1)
    RATE_LIMIT.limit = 100_000


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


def rows(counter, base_url, open_count, new_count):
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
        # New invoices need their rows (InvoiceRows is not in the list): one GET each, and
        # that GET's limiter queries; the page itself (customers resolved, invoices, lines,
        # links and log lines) is one insert each, whatever its size.
        goal(rows[2], requests=3 + new_count,
             queries=FORTNOX_QUERIES + limiter_queries_per_request() * new_count,
             note=f"3 lists + {new_count} GETs (InvoiceRows); queries <= {FORTNOX_QUERIES} per "
                  f"page + the limiter's {limiter_queries_per_request()} per GET"),
    ], pages
