"""What a Visma eAccounting poll costs: list rows are whole records, so no invoice is read on
its own; a row listed again at the stamp applied writes nothing; paid invoices are written
together, so a poll of 20 paid costs the same queries as a poll of 1. Counted (requests with
`responses`, queries with CaptureQueriesContext), never timed."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting.models import Invoice
from integrations.models import Link
from integrations.providers import registry

pytestmark = pytest.mark.django_db


def seed_invoices(visma, count):
    customer = {"Id": str(uuid.uuid4()), "Name": "Brf Solrosen", "IsPrivatePerson": False,
                "InvoicePostalCode": "11345", "InvoiceCity": "Stockholm", "IsActive": True,
                "ChangedUtc": timezone.now().isoformat()}
    visma.customers[customer["Id"]] = customer
    ids = []
    for n in range(count):
        invoice = {"Id": str(uuid.uuid4()), "InvoiceNumber": 1000 + n,
                   "CustomerId": customer["Id"], "InvoiceDate": "2026-11-05T00:00:00",
                   # Due a month from today: past its due date it would turn overdue.
                   "DueDate": f"{timezone.localdate() + timedelta(days=30)}T00:00:00",
                   "CurrencyCode": "SEK",
                   "YourReference": "Eva", "OurReference": "", "IncludesVat": False,
                   "Rows": [{"Text": "Altanbygge", "Quantity": 10, "UnitPrice": 550,
                             "DiscountPercentage": 0, "ArticleNumber": "HUB-LABOR",
                             "IsTextRow": False}],
                   "TotalAmount": 6875.0, "TotalAmountInvoiceCurrency": 6875.0,
                   "RemainingAmount": 6875.0, "RemainingAmountInvoiceCurrency": 6875.0,
                   "PaymentStatus": 1, "PaymentDate": None,
                   "ModifiedUtc": timezone.now().isoformat()}
        visma.invoices[invoice["Id"]] = invoice
        ids.append(invoice["Id"])
    return ids


def single_reads(visma):
    return sum(1 for call in visma.rsps.calls
               if "/v2/customerinvoices/" in call.request.url.split("?")[0])


def poll(connection):
    return registry.for_connection(connection).poll(record_types=["invoice"])


def queries_for_paid(visma, connection, count, total=25):
    ids = seed_invoices(visma, total)
    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=False):
        assert poll(connection)["invoice"]["created"] == total
    for remote_id in ids[:count]:
        visma.pay(remote_id, Decimal("6875"))
    before = len(visma.rsps.calls)
    with CaptureQueriesContext(db) as queries:
        result = poll(connection)
    assert result["invoice"]["updated"] == count
    assert len(visma.rsps.calls) - before == 1  # the list, nothing read on its own
    paid = Invoice.objects.get(pk=Link.objects.get(remote_id=ids[0]).local_id)
    assert (paid.status, paid.remaining_amount) == ("paid", Decimal("0.00"))
    return len(queries.captured_queries)


def test_paid_invoices_cost_the_same_queries_for_one_as_for_twenty(visma, connection):
    one = queries_for_paid(visma, connection, 1)
    Invoice.objects.all().delete()
    Link.objects.all().delete()
    visma.invoices.clear()
    visma.rsps.calls.reset()
    assert queries_for_paid(visma, connection, 20) == one


def test_an_invoice_listed_again_at_the_same_stamp_writes_nothing(visma, connection):
    ids = seed_invoices(visma, 3)
    poll(connection)
    visma.pay(ids[0], Decimal("6875"))
    assert poll(connection)["invoice"]["updated"] == 1
    # The cursor overlaps two minutes: all three are listed again, and skipped.
    again = poll(connection)
    assert again["invoice"] == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 3}
    assert single_reads(visma) == 0


def test_an_invoice_changed_beyond_its_payment_is_still_reconciled(visma, connection):
    ids = seed_invoices(visma, 1)
    poll(connection)
    visma.invoices[ids[0]].update(YourReference="Karin",
                                  ModifiedUtc=timezone.now().isoformat())
    assert poll(connection)["invoice"]["updated"] == 1
    local = Invoice.objects.get(pk=Link.objects.get(remote_id=ids[0]).local_id)
    assert local.your_reference == "Karin"


def queries_for_first_import(visma, connection, count):
    from integrations.models import SyncLogEntry

    visma.invoices.clear()  # only new invoices listed
    seed_invoices(visma, count)
    before, logged = len(visma.rsps.calls), SyncLogEntry.objects.filter(
        action="invoice.import").count()
    with CaptureQueriesContext(db) as queries:
        result = poll(connection)
    assert result["invoice"]["created"] == count
    # The invoices list, and their customer (new each time here: read once, then linked).
    assert len(visma.rsps.calls) - before == 2
    assert SyncLogEntry.objects.filter(action="invoice.import").count() == logged + count
    return len(queries.captured_queries)


def test_a_first_import_of_25_new_invoices_costs_the_queries_of_5(visma, connection):
    queries_for_first_import(visma, connection, 1)  # the cursor's row is made once
    five = queries_for_first_import(visma, connection, 5)
    assert queries_for_first_import(visma, connection, 25) == five
    invoice = Invoice.objects.get(number="1024")
    assert [(line.description, line.quantity) for line in invoice.lines.all()] == [
        ("Altanbygge", 10)]
    assert (invoice.status, invoice.remaining_amount) == ("invoiced", Decimal("6875.00"))
    link = Link.objects.get(local_id=str(invoice.pk), record_type="invoice")
    assert link.data["local"] == link.data["remote"]
