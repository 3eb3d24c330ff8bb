"""What a PowerOffice Go balance poll costs in queries: a page of changed invoices is read and
written in bulk, so 200 rows cost what 5 do. Counted with CaptureQueriesContext, never timed."""

from decimal import Decimal

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import Link, SyncLogEntry
from tests.integrations.poweroffice_go.conftest import FAKE_BASE

BASE = FAKE_BASE
API = f"{BASE}/v2"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pogo_at_fake_host")]


def _sent_contracts(connection, count, *, start=0, record_type="invoice"):
    """`count` contracts sent as invoices (linked), and Go's balance rows for them, part
    paid."""
    from contracts.models import Contract

    template = Contract.objects.for_org(connection.organization).first()
    rows = []
    for n in range(start, start + count):
        contract = Contract.objects.create(
            organization=connection.organization, number=f"P-{n}",
            customer=template.customer, car=template.car, currency="NOK",
            accounting_state="sent", invoice_total=Decimal("1000"),
            amount_remaining=Decimal("1000"))
        Link.objects.create(organization=connection.organization, connection=connection,
                            record_type=record_type, local_id=str(contract.pk),
                            remote_id=f"inv-{n}")
        rows.append({"Id": f"inv-{n}", "InvoiceNo": 10000 + n, "TotalAmount": 1000,
                     "Balance": 250, "DueDate": "2099-01-01",
                     "BalanceLastChangedDateTimeOffset": timezone.now().isoformat()})
    return rows


def _poll_queries(connection, rows):
    from integrations.providers.poweroffice_go import poller

    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/OutgoingInvoices", json=rows + [
            {"Id": "made-in-go", "InvoiceNo": 1, "TotalAmount": 5, "Balance": 0,
             "BalanceLastChangedDateTimeOffset": timezone.now().isoformat()}])
        with CaptureQueriesContext(db) as queries:
            result = poller.poll_connection(connection)
        assert len(rsps.calls) == 1
    assert result == {"changed": len(rows) + 1, "updated": len(rows)}
    return len(queries.captured_queries)


def test_a_page_of_changed_invoices_costs_the_same_queries_as_a_few(connection, contract):
    _poll_queries(connection, _sent_contracts(connection, 1, start=900))  # the cursor is made
    few = _poll_queries(connection, _sent_contracts(connection, 5))
    many = _poll_queries(connection, _sent_contracts(connection, 200, start=5))
    # Equal on PostgreSQL; on SQLite Django splits a bulk write every 999 parameters, which
    # for 200 rows is a few queries more, still nowhere near one per invoice.
    assert many <= few + 6
    from contracts.models import Contract

    moved = Contract.objects.filter(number__startswith="P-")
    assert {(c.accounting_state, c.amount_paid, c.amount_remaining, c.invoice_number)
            for c in moved.filter(number="P-7")} == {
        ("partly_paid", Decimal("750.00"), Decimal("250.00"), "10007")}
    assert set(moved.values_list("accounting_state", flat=True)) == {"partly_paid"}
    assert SyncLogEntry.objects.filter(action="payment.synced").count() == 206


def test_an_order_link_still_finds_its_contract(connection, contract):
    # An invoice made from our order keeps the order's id in Go; an invoice link wins if both.
    rows = _sent_contracts(connection, 2, record_type="order")
    _poll_queries(connection, rows)
    from contracts.models import Contract

    assert set(Contract.objects.filter(number__startswith="P-")
               .values_list("accounting_state", flat=True)) == {"partly_paid"}
