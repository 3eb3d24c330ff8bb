"""What one exported Fortnox invoice costs in database queries: the same for 1, 10 or 50 lines
(its lines are read once, with the invoice), and no more than 21 (26 for the first, which also
sends its customer and project), on PostgreSQL and on SQLite alike. Counted with
CaptureQueriesContext around the worker's `run_job`, never timed."""

import json
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from tests.integrations.fortnox.conftest import API, echo

pytestmark = pytest.mark.django_db


def _export_queries(connection, invoice, number):
    from integrations.engine import enqueue_job, run_job

    job, _ = enqueue_job(connection=connection, operation="invoice.export",
                         record_type="invoice", local_id=invoice.pk)
    with CaptureQueriesContext(db) as queries:
        outcome = run_job(job.pk)
    job.refresh_from_db()
    assert outcome == "done", job.last_error
    return len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]])


def _invoice_like(invoice, lines):
    from accounting.models import Invoice, InvoiceLine

    copy = Invoice.objects.create(organization=invoice.organization, customer=invoice.customer,
                                  project=invoice.project, currency="SEK",
                                  issue_date=invoice.issue_date, due_date=invoice.due_date)
    for n in range(lines):
        InvoiceLine.objects.create(invoice=copy, description=f"Rad {n}",
                                   category=("service", "material")[n % 2],
                                   quantity=Decimal("1"), unit_price=Decimal("100"), position=n)
    return copy


def test_an_invoices_queries_do_not_grow_with_its_lines(connection, rsps, invoice):
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    numbers = iter(range(1, 100))

    def created(request):  # Fortnox numbering each new invoice
        posted = json.loads(request.body)["Invoice"]
        rows = [{**row, "RowId": 100 + i} for i, row in enumerate(posted["InvoiceRows"])]
        return 201, {}, json.dumps({"Invoice": {
            **posted, "DocumentNumber": str(next(numbers)), "InvoiceRows": rows, "Total": 100,
            "Balance": 100, "Booked": False, "Cancelled": False, "Sent": False,
            "FinalPayDate": ""}})

    rsps.add_callback("POST", f"{API}/invoices", callback=created,
                      content_type="application/json")
    first = _export_queries(connection, invoice, "1")  # also sends the customer and project
    counts = {lines: _export_queries(connection, _invoice_like(invoice, lines), str(lines))
              for lines in (1, 10, 50)}
    print(f"queries per Fortnox invoice on {db.vendor}: first {first}, then by lines {counts}")
    assert counts[1] == counts[10] == counts[50], counts
    assert counts[50] <= 21, counts
    assert first <= 26, first
