"""What one exported PowerOffice Go order costs in database queries: the same for a contract of
1, 10 or 50 lines (the lines are read once, the mappings once), and no more than 20 on
PostgreSQL and on SQLite alike: the limiter's books cost one statement per request (each
release is written by the next admission) and one at the end, and a link is one statement.
Counted with CaptureQueriesContext around the worker's `run_job`, never timed."""

import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations import ratelimit
from integrations.engine import enqueue_job, run_job
from integrations.models import RateLimitBucket, SyncJob
from tests.integrations.poweroffice_go.conftest import FAKE_BASE

API = f"{FAKE_BASE}/v2"
CATEGORIES = ("addon", "part", "labor")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pogo_at_fake_host")]


def _with_lines(contract, count):
    from contracts.models import ContractLine

    contract.lines.exclude(category="car").delete()
    for n in range(count - 1):
        ContractLine.objects.create(contract=contract, category=CATEGORIES[n % 3],
                                    description=f"Line {n}", quantity=Decimal("1"),
                                    unit_price=Decimal("100"), position=n + 1)
    return contract


class Products:
    """Go's products, kept between orders as Go keeps them. A second product with a code Go
    already has is refused with 400, as the simulator does (`created` counts the POSTs that
    made one)."""

    def __init__(self):
        self.rows = {}
        self.created = []

    def post(self, request):
        body = json.loads(request.body)
        if body["Code"] in self.rows:
            return 400, {}, json.dumps({
                "title": "One or more validation errors occurred.", "status": 400,
                "errors": {"Code": [f"A product with Code '{body['Code']}' already exists."]}})
        row = {**body, "Id": 100 + len(self.rows)}
        self.rows[body["Code"]] = row
        self.created.append(body["Code"])
        return 201, {}, json.dumps(row)

    def get(self, request):
        codes = parse_qs(urlsplit(request.url).query).get("codes", [""])[0].split(",")
        rows = [self.rows[code] for code in codes if code in self.rows]
        return (200, {}, json.dumps(rows)) if rows else (204, {}, "")


def mock_go(rsps, products, *, order_id, order_no):
    """PowerOffice Go at the HTTP edge for one order: the accounts (VAT code 3), customer 501,
    `products` (a `Products`) and the order answered with `order_id` and `order_no`."""
    rsps.get(f"{API}/GeneralLedgerAccounts", json=[
        {"AccountNo": n, "VatCode": "3"} for n in (3000, 3010, 3020, 3100)])
    rsps.get(f"{API}/Customers/501", json={"Id": 501, "Number": 10001})
    rsps.get(f"{API}/Customers", status=204)
    rsps.post(f"{API}/Customers", status=201, json={"Id": 501, "Number": 10001})
    rsps.add_callback("GET", f"{API}/Products", callback=products.get)
    rsps.add_callback("POST", f"{API}/Products", callback=products.post)
    rsps.post(f"{API}/SalesOrders/Complete", status=201,
              json={"Id": order_id, "SalesOrderNo": order_no})


def _order_queries(connection, contract, lines, products):
    _with_lines(contract, lines)
    SyncJob.objects.all().delete()
    RateLimitBucket.objects.all().delete()  # a quiet budget: no waiting, which is not work
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_go(rsps, products, order_id=f"6f0c0a4e-0000-4000-8000-{lines:012d}",
                order_no=1000 + lines)
        job, _ = enqueue_job(connection=connection, operation="order.create",
                             record_type="order", local_id=contract.pk, variant=str(lines))
        with CaptureQueriesContext(db) as queries:
            run_job(job.pk)
        sent = len(rsps.calls)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.last_error
    # Every release was written by the job (the last when it ended): nothing is left in flight.
    in_flight = [t for bucket in RateLimitBucket.objects.all() for t in bucket.admitted
                 if t > time.time() + ratelimit.in_flight_hold() / 2]
    assert not in_flight
    # Savepoints stand in for the test's own transaction; in production they are the BEGIN and
    # COMMIT of the same blocks, which are not queries.
    counted = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(counted), sent


def test_an_orders_queries_do_not_grow_with_its_lines(connection, mappings, contract):
    products = Products()
    _order_queries(connection, contract, 10, products)  # the customer and products exist now
    counts = {lines: _order_queries(connection, contract, lines, products)
              for lines in (1, 10, 50)}
    print(f"(queries, requests) per order by lines on {db.vendor}: {counts}")
    assert counts[1] == counts[10] == counts[50], counts
    # 1 request: the order. The accounts' VAT codes, the products (the car's too: the same car)
    # and the unchanged linked customer are remembered from the first order
    # (test_fewer_requests.py); the count below is for those.
    assert counts[50] == (counts[50][0], 1), counts
    assert counts[50][0] <= 20, counts


def test_a_new_cars_order_costs_the_same_at_any_number_of_lines(connection, mappings, contract):
    """A click for a new car: the car's product is created (its intent linked first) and the
    order sent; the rest is remembered."""
    from contracts.models import Car

    products = Products()
    _order_queries(connection, contract, 10, products)
    counts = {}
    for lines in (1, 10, 50):
        contract.car = Car.objects.create(organization=contract.organization,
                                          vin=f"YV1XZK9V1P20{lines:05d}", make="Volvo",
                                          model="EX30", year=2024)
        contract.save()
        counts[lines] = _order_queries(connection, contract, lines, products)
    print(f"(queries, requests) per new car's order by lines on {db.vendor}: {counts}")
    assert counts[1] == counts[10] == counts[50], counts
    assert counts[50] == (counts[50][0], 2), counts  # the car's product and the order
    assert counts[50][0] <= 22, counts
