"""What a Fortnox poll costs: a list row that answers by itself is not read again, and a page
costs the same number of queries whatever its size. Counted (requests with `responses`,
queries with CaptureQueriesContext), never timed."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting.models import Invoice
from integrations.providers.fortnox import sync
from tests.integrations.fortnox.conftest import API, listing

pytestmark = pytest.mark.django_db

CUSTOMER = {"CustomerNumber": "1001", "Name": "Villa Ek", "Type": "PRIVATE", "City": "Täby",
            "CountryCode": "SE"}


def _invoice(number, **extra):
    # Due a month from today, whenever the test runs: past its due date it would turn overdue.
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    return {"DocumentNumber": str(number), "CustomerNumber": "1001", "CustomerName": "Villa Ek",
            "InvoiceDate": "2026-11-05", "DueDate": due, "Currency": "SEK",
            "OurReference": "Karin", "YourReference": "Eva", "VATIncluded": False,
            "InvoiceRows": [{"Description": "Altanbygge", "DeliveredQuantity": "10",
                             "Price": 550, "AccountNumber": 3051, "VAT": 25, "RowId": 1}],
            "Total": 6875, "Balance": 6875, "Booked": True, "Cancelled": False, "Sent": True,
            "FinalPayDate": None, "OCR": str(number), **extra}


class Fortnox:
    """Fortnox holding `invoices`, each listed as its list row (only the fields the real list
    returns) by the `lastmodified` list; tests change the dict between polls."""

    def __init__(self, rsps, invoices):
        self.rsps = rsps
        self.invoices = {i["DocumentNumber"]: i for i in invoices}
        rsps.add("GET", f"{API}/customers", json=listing("Customers", []))
        rsps.add("GET", f"{API}/customers/1001", json={"Customer": CUSTOMER})
        rsps.add("GET", f"{API}/invoicepayments", json=listing("InvoicePayments", []))
        rsps.add_callback("GET", f"{API}/invoices", callback=self.listed)
        rsps.add_callback("GET", re.compile(rf"{re.escape(API)}/invoices/\d+$"),
                          callback=self.one)

    def listed(self, request):
        rows = [{k: v for k, v in i.items() if k in sync.INVOICE_LIST_FIELDS}
                for i in self.invoices.values()]
        return 200, {}, json.dumps(listing("Invoices", rows))

    def one(self, request):
        return 200, {}, json.dumps({"Invoice": self.invoices[request.url.rsplit("/", 1)[-1]]})

    def reads(self):
        """How many single invoices were read so far."""
        return sum(1 for call in self.rsps.calls
                   if re.search(r"/invoices/\d+$", call.request.url.split("?")[0]))


def _poll(rsps):
    before = len(rsps.calls)
    result = sync.import_changes(db_connection(), record_types=sync.IMPORT_TYPES)
    return result, len(rsps.calls) - before


def db_connection():
    from integrations.models import Connection

    return Connection.objects.get(provider="fortnox")


def test_nothing_changed_is_three_list_requests(connection, rsps, mappings):
    fortnox = Fortnox(rsps, [_invoice(n) for n in range(1, 11)])
    result, _sent = _poll(rsps)
    assert result["invoice"]["created"] == 10
    assert fortnox.reads() == 10
    # The next poll: `lastmodified` is to the minute and inclusive, so all ten are listed again.
    result, sent = _poll(rsps)
    assert sent == 3  # customers, invoices, payments: no invoice read again
    assert fortnox.reads() == 10
    assert result["invoice"] == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 10}


def test_paid_booked_invoice_is_applied_from_its_list_row(connection, rsps, mappings):
    fortnox = Fortnox(rsps, [_invoice(n) for n in range(1, 4)])
    _poll(rsps)
    local = Invoice.objects.get(number="2")
    fortnox.invoices["2"].update(Balance=0, FinalPayDate="2026-11-25")
    result, sent = _poll(rsps)
    assert sent == 3 and fortnox.reads() == 3
    assert result["invoice"]["updated"] == 1
    paid = Invoice.objects.get(pk=local.pk)
    assert (paid.status, str(paid.remaining_amount), str(paid.final_pay_date)) == (
        "paid", "0.00", "2026-11-25")
    assert paid.updated_at == local.updated_at  # an import is not a person's change


def test_unbooked_invoice_listed_again_is_read_again(connection, rsps, mappings):
    # Its rows may have been edited in the same minute after our read: the list would not say.
    fortnox = Fortnox(rsps, [_invoice(1, Booked=False)])
    _poll(rsps)
    _poll(rsps)
    assert fortnox.reads() == 2


def test_booked_invoice_whose_list_row_changed_beyond_status_is_read(connection, rsps,
                                                                      mappings):
    fortnox = Fortnox(rsps, [_invoice(1)])
    _poll(rsps)
    fortnox.invoices["1"].update(Total=7000, InvoiceRows=[
        {"Description": "Altanbygge", "DeliveredQuantity": "10", "Price": 560,
         "AccountNumber": 3051, "VAT": 25, "RowId": 1}])
    _poll(rsps)
    assert fortnox.reads() == 2
    assert Invoice.objects.get(number="1").lines.get().unit_price == 560


def _queries_for_paid_page(rsps, count):
    fortnox = Fortnox(rsps, [_invoice(n) for n in range(1, count + 1)])
    _poll(rsps)
    for invoice in fortnox.invoices.values():
        invoice.update(Balance=0, FinalPayDate="2026-11-25")
    with CaptureQueriesContext(db) as queries:
        result, _sent = _poll(rsps)
    assert result["invoice"]["updated"] == count
    return len(queries.captured_queries)


@pytest.mark.parametrize("count", [100])
def test_a_page_of_list_rows_costs_the_same_queries_as_a_few(connection, rsps, mappings,
                                                            count):
    few = _queries_for_paid_page(rsps, 5)
    Invoice.objects.all().delete()
    from integrations.models import Link

    Link.objects.filter(record_type="invoice").delete()
    rsps.reset()
    assert _queries_for_paid_page(rsps, count) == few


def _queries_for_first_import(rsps, monkeypatch, count, first):
    from integrations.models import SyncLogEntry
    from integrations.providers.fortnox.provider import Fortnox as FortnoxProvider

    # Each new invoice is one GET (its rows are not in the list), and each request costs the
    # shared limiter its own few queries: counted where the limiter is, not here.
    monkeypatch.setattr(FortnoxProvider, "rate_limit", None)
    fortnox = Fortnox(rsps, [_invoice(n) for n in range(first, first + count)])
    logged = SyncLogEntry.objects.filter(action="invoice.import").count()
    with CaptureQueriesContext(db) as queries:
        result, sent = _poll(rsps)
    assert result["invoice"]["created"] == count
    assert fortnox.reads() == count
    assert sent == 3 + count + (1 if first == 1 else 0)  # lists, rows (and the customer once)
    assert SyncLogEntry.objects.filter(action="invoice.import").count() == logged + count
    return len(queries.captured_queries)


def test_a_first_import_of_25_new_invoices_costs_the_queries_of_5(connection, rsps, mappings,
                                                                   monkeypatch):
    # The customer is imported (one GET, once) by a first poll, so both measured polls find
    # it linked: what they cost beyond that is the page's.
    _queries_for_first_import(rsps, monkeypatch, 1, 1)
    rsps.reset()
    five = _queries_for_first_import(rsps, monkeypatch, 5, 100)
    rsps.reset()
    assert _queries_for_first_import(rsps, monkeypatch, 25, 200) == five
    invoice = Invoice.objects.get(number="210")
    assert [line.description for line in invoice.lines.all()] == ["Altanbygge"]
    assert (invoice.status, invoice.booked, str(invoice.remaining_amount)) == (
        "sent", True, "6875.00")
