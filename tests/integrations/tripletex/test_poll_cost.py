"""What the Tripletex poll costs: one request per 1,000 open invoices (the list answers
everything the badge needs), and queries per poll, not per contract: 20 paid cost the same as
1, and nothing changed writes no contract. Counted, never timed."""

from decimal import Decimal

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract
from integrations.models import Link, SyncLogEntry
from integrations.providers.tripletex.provider import Tripletex
from tests.integrations.tripletex.fake import TripletexEdge

pytestmark = pytest.mark.django_db


@pytest.fixture
def edge(tx_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield TripletexEdge(rsps)


def open_contracts(connection, edge, count):
    from accounting.models import Customer
    from contracts.models import Car

    org = connection.organization
    customer = Customer.objects.create(organization=org, kind="company", name="Fjordtransport")
    car = Car.objects.create(organization=org, make="Volvo", model="EX30")
    contracts = Contract.objects.bulk_create([
        Contract(organization=org, number=f"K-{n}", customer=customer, car=car, currency="NOK",
                 accounting_state="sent", invoice_number=str(31 + n),
                 invoice_total=Decimal("1000.00"), amount_paid=Decimal("0.00"),
                 amount_remaining=Decimal("1000.00"))
        for n in range(count)])
    invoices = []
    for n, contract in enumerate(contracts):
        invoice = {"id": 7001 + n, "invoiceNumber": 31 + n, "amount": 1000.0,
                   "amountOutstanding": 1000.0, "invoiceDueDate": "2099-01-31",
                   "orders": [{"id": n + 1}], "version": 0}
        edge.store["invoice"].append(invoice)
        invoices.append(invoice)
        Link.objects.create(organization=org, connection=connection, record_type="invoice",
                            local_id=str(contract.pk), remote_id=str(invoice["id"]))
    return invoices


def poll_counted(connection, edge):
    before = len(edge.rsps.calls)
    with CaptureQueriesContext(db) as queries:
        result = Tripletex(connection).poll()
    return result, len(edge.rsps.calls) - before, len(queries.captured_queries)


def queries_for_paid(connection, edge, paid):
    invoices = open_contracts(connection, edge, 25)
    poll_counted(connection, edge)
    for invoice in invoices[:paid]:
        invoice.update(amountOutstanding=0.0, version=1)
    result, sent, ran = poll_counted(connection, edge)
    assert result["payment"] == {"read": 25, "updated": paid}
    assert sent == 1  # every open invoice in one request
    assert Contract.objects.filter(accounting_state="paid").count() == paid
    assert SyncLogEntry.objects.filter(action="payment.synced").count() == paid
    return ran


def test_twenty_paid_cost_the_same_queries_as_one(connection, edge):
    edge.grant("test-employee-5ecret", "session-1")
    one = queries_for_paid(connection, edge, 1)
    Contract.objects.all().delete()
    Link.objects.filter(record_type="invoice").delete()
    SyncLogEntry.objects.all().delete()
    edge.store["invoice"].clear()
    assert queries_for_paid(connection, edge, 20) == one


def test_nothing_changed_writes_no_contract(connection, edge):
    edge.grant("test-employee-5ecret", "session-1")
    open_contracts(connection, edge, 5)
    poll_counted(connection, edge)
    with CaptureQueriesContext(db) as queries:
        result = Tripletex(connection).poll()
    assert result["payment"] == {"read": 5, "updated": 0}
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith("UPDATE") and "contracts_contract" in q["sql"]]
    # Only "Last sync" of the contracts read, in one statement.
    assert len(writes) == 1 and "accounting_state" not in writes[0]
