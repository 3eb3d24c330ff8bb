"""Visma eAccounting in `bench/poll_cost.py`: customers by `$filter=ChangedUtc gt`, invoices by
`modifiedSinceUtc`, 1,000 rows a page. 10 invoices paid, the next poll (the cursor overlaps
two minutes, so the 10 paid are listed again), and a first import of new invoices made in
Visma. List rows are whole records, so no poll reads one invoice on its own, and a page of new
invoices is made here in a few inserts."""

import datetime
import uuid
from decimal import Decimal

from bench.poll_scenarios import goal

KEY = "visma_eaccounting"
PAGE = 1000  # Visma's largest page
# Two lists (customers, invoices) with the limiter's queries, cursors, overdue, and per page
# one read of links, one of invoices and one bulk write: a constant, whatever is open.
QUERIES = 40


def roomy():
    from integrations.providers.visma_eaccounting.provider import VismaEaccounting
    from integrations.ratelimit import RateLimitPolicy
    from sandbox.visma_eaccounting.simulator import RATE_LIMIT

    VismaEaccounting.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1,
                                                  per_endpoint=True)
    RATE_LIMIT.limit = 100_000


def connect(organization, key, company_name, *, hours):
    """A company `company_name` in the Visma simulator (the demo client seeded, its id and
    secret in the settings) and `organization`'s `key` connection to it on a shared grant, with
    a token fetched up front, valid for `hours`: a bench measures polls and exports, not a
    refresh. The Visma integrations (eAccounting, payroll) share the grant and its identity
    server. Returns (connection, company)."""
    from django.conf import settings
    from django.utils import timezone

    from integrations.models import Connection
    from integrations.providers.visma_eaccounting.models import VismaGrant
    from sandbox.visma_eaccounting import seed

    settings.VISMA_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.VISMA_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    seed.seed_demo()
    company = seed.seed_company(company_name)
    access = seed.access_headers(company)["Authorization"].removeprefix("Bearer ")
    expires = timezone.now() + datetime.timedelta(hours=hours)
    grant = VismaGrant(organization=organization, customer_id=company.external_id,
                       company_name=company.name)
    grant.set_credentials({"access_token": access, "refresh_token": "",
                           "scope": seed.ALL_SCOPES}, expires_at=expires)
    grant.save()
    connection = Connection(organization=organization, provider=key,
                            status=Connection.Status.CONNECTED,
                            remote_tenant_id=company.external_id,
                            remote_company_name=company.name)
    connection.set_credentials({"grant_id": grant.pk, "access_token": access,
                                "scope": seed.ALL_SCOPES}, expires_at=expires)
    connection.save()
    return connection, company


def world(base_url, open_count):
    """A connected company with one customer and `open_count` unpaid invoices in Visma, each
    linked to its local invoice with the snapshot an import would have left. Returns
    (connection, tenant, template record)."""
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Customer, Invoice, InvoiceLine, Organization
    from integrations.links import store_link
    from integrations.models import Link, SyncCursor
    from integrations.providers.visma_eaccounting import mappers
    from integrations.providers.visma_eaccounting.client import VismaClient
    from integrations.providers.visma_eaccounting.provider import VismaEaccounting
    from integrations.providers.visma_eaccounting.sync import InvoiceImporter
    from sandbox.models import SandboxRecord
    from sandbox.visma_eaccounting import seed

    settings.VISMA_EACCOUNTING_BASE_URL = base_url
    settings.VISMA_IDENTITY_URL = base_url
    org = Organization.objects.create(slug=f"frost-visma-poll-{open_count}",
                                      name="Frost Bygg Poll", country="SE", currency="SEK",
                                      language="sv")
    connection, company = connect(org, KEY, f"Frost Bygg Poll {open_count}", hours=2)

    client = VismaClient(VismaEaccounting(connection))
    remote_customer = client.send("POST", "/v2/customers", {
        "Name": "Brf Solrosen", "InvoicePostalCode": "11345", "InvoiceCity": "Stockholm",
        "IsActive": True, "IsPrivatePerson": False,
        "TermsOfPaymentId": seed.ref_id(company, "termsofpayment", seed.TERMS[0][0])})
    article = seed.ref_id(company, "article", seed.ARTICLES[0][0])
    template = client.send("POST", "/v2/customerinvoices", {
        "CustomerId": remote_customer["Id"], "EuThirdParty": False,
        "RotReducedInvoicingType": 0, "YourReference": "Bench",
        "InvoiceDate": timezone.localdate().isoformat(),
        "DueDate": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "Rows": [{"ArticleId": article, "Text": "Arbete", "Quantity": 8, "UnitPrice": 650}]})
    record = SandboxRecord.objects.get(tenant=company, kind="customerinvoice",
                                       remote_id=template["Id"])
    customer = Customer.objects.create(organization=org, kind="company", name="Brf Solrosen",
                                       postal_code="11345", city="Stockholm", country="SE")
    store_link(connection, "customer", customer.pk, remote_customer["Id"],
               data={"local": mappers.customer_values(customer),
                     "remote": mappers.customer_values_from_remote(remote_customer)})
    day_ago = timezone.now() - datetime.timedelta(days=1)
    ids = clone_invoices(company, record, open_count, 5000, modified_at=day_ago)
    SandboxRecord.objects.filter(tenant=company).exclude(remote_id__in=ids).update(
        modified_at=day_ago)
    stamp_day_ago = day_ago.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for kind, field in (("customer", "ChangedUtc"), ("customerinvoice", "ModifiedUtc")):
        for row in SandboxRecord.objects.filter(tenant=company, kind=kind,
                                                remote_id__in=[remote_customer["Id"],
                                                               template["Id"]]):
            row.data[field] = stamp_day_ago
            row.save(update_fields=["data"])
    importer = InvoiceImporter(VismaEaccounting(connection), client)
    invoices = Invoice.objects.bulk_create([
        Invoice(organization=org, customer=customer, currency="SEK", number=str(5000 + n),
                issue_date=timezone.localdate(), your_reference="Bench", status="invoiced",
                booked=True, remaining_amount=Decimal("6500.00"))
        for n in range(open_count)], batch_size=1000)
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, description="Arbete", category="service",
                    quantity=Decimal("8"), unit_price=Decimal("650"))
        for invoice in invoices], batch_size=1000)
    local_values = mappers.invoice_values(invoices[0]) if invoices else {}
    remote_values = importer.remote_values(record.data)
    data_of = {r.remote_id: r.data for r in SandboxRecord.objects.filter(
        tenant=company, kind="customerinvoice", remote_id__in=ids)}
    now = timezone.now()
    Link.objects.bulk_create([
        Link(organization=org, connection=connection, record_type="invoice",
             local_id=str(invoice.pk), remote_id=remote_id, remote_number=invoice.number,
             data={"local": local_values, "remote": remote_values,
                   "seen": importer.seen_data(data_of[remote_id])},
             synced_at=now, remote_modified_at=now)
        for invoice, remote_id in zip(invoices, ids, strict=True)], batch_size=1000)
    hour_ago = (now - datetime.timedelta(hours=1)).isoformat()
    for name in ("customer", "invoice"):
        SyncCursor.objects.create(organization=org, connection=connection, record_type=name,
                                  value=hour_ago)
    return connection, company, ids


def clone_invoices(tenant, record, count, first_number, *, modified_at):
    """`count` copies of the template invoice, numbered from `first_number`, stamped
    `modified_at`; returns their ids."""
    from sandbox.models import SandboxRecord

    stamp = modified_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{modified_at.microsecond // 1000:03d}Z"
    ids = [str(uuid.uuid4()) for _ in range(count)]
    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider=KEY, tenant=tenant, kind="customerinvoice", remote_id=remote_id,
                      data={**record.data, "Id": remote_id, "InvoiceNumber": first_number + n,
                            "VoucherNumber": f"F {first_number + n}", "CreatedUtc": stamp,
                            "ModifiedUtc": stamp})
        for n, remote_id in enumerate(ids)], batch_size=1000)
    return ids


def rows(counter, base_url, open_count, new_count):
    from django.utils import timezone

    from integrations.providers.visma_eaccounting.provider import VismaEaccounting
    from sandbox.visma_eaccounting import invoices

    connection, tenant, ids = world(base_url, open_count)
    poll = VismaEaccounting(connection).poll
    result = []
    for remote_id in ids[:10]:
        invoices.register_payment(tenant, remote_id, Decimal("6500"), timezone.localdate())
    result.append(("10 changed (10 paid)",) + counter.measure(poll))
    result.append(("nothing changed (next poll, 10 listed again)",) + counter.measure(poll))
    from sandbox.models import SandboxRecord

    template = SandboxRecord.objects.get(tenant=tenant, kind="customerinvoice",
                                         remote_id=ids[-1])
    clone_invoices(tenant, template, new_count, 900_000, modified_at=timezone.now())
    result.append((f"first import of {new_count} new invoices",) + counter.measure(poll))
    pages = -(-new_count // PAGE)
    return [
        goal(result[0], requests=2, queries=QUERIES, note="2 lists; status from the list"),
        goal(result[1], requests=2, queries=QUERIES, note="2 lists; nothing read again"),
        # List rows are whole invoices: nothing forces a GET. A page of new invoices is made
        # here together: their customers resolved once, the invoices, their lines, links and
        # log lines one insert each.
        goal(result[2], requests=1 + pages, queries=QUERIES * pages,
             note=f"2 lists, no GET (rows are whole invoices); queries <= {QUERIES} per page, "
                  "none per invoice"),
    ], pages
