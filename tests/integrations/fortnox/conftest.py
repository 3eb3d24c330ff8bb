"""The construction firm with its Fortnox connection, mappings and one of each record, and
Fortnox's HTTP edge for the unit tests: `responses`, with each test saying what Fortnox answers
(flows against a Fortnox that keeps state run on the simulator: test_end_to_end.py)."""

import datetime
import json
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
import time_machine
from django.utils import timezone

API = "https://api.fortnox.se/3"
AUTH = "https://apps.fortnox.se/oauth-v1"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The records below are dated autumn 2026, so every test here runs on a day in that season: an
# invoice is not overdue, nor a date in a locked period, just because the calendar moved on.
SCENARIO_MOMENT = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=STOCKHOLM)


@pytest.fixture(autouse=True)
def scenario_clock():
    # Ticking: the live server, the limiter and the token expiry see time pass as usual.
    with time_machine.travel(SCENARIO_MOMENT, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fortnox_settings(settings):
    settings.FORTNOX_BASE_URL = "https://api.fortnox.se"
    settings.FORTNOX_AUTH_URL = AUTH
    settings.FORTNOX_CLIENT_ID = "hub-client"
    settings.FORTNOX_CLIENT_SECRET = "hub-secret"
    settings.APP_BASE_URL = "https://hub.example.se"
    return settings


@pytest.fixture
def roomy_limit(monkeypatch):
    """Unit tests are not about waiting for the 25-per-5-s window."""
    from integrations.providers.fortnox.provider import Fortnox
    from integrations.ratelimit import RateLimitPolicy

    monkeypatch.setattr(Fortnox, "rate_limit", RateLimitPolicy(limit=10_000, window_seconds=1))


@pytest.fixture
def rsps(roomy_limit):
    """Fortnox's edge. A request no test answers meets a refused connection."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# -- what Fortnox answers, in its own shapes ----------------------------------------------------
def error_body(code, message):
    return {"ErrorInformation": {"error": 1, "message": message, "code": code}}


def listing(collection, rows, *, page=1, pages=1):
    """One page of a Fortnox list endpoint."""
    return {"MetaInformation": {"@TotalResources": len(rows), "@TotalPages": pages,
                                "@CurrentPage": page}, collection: rows}


def echo(rsps, method, path, wrapper, *, status=200, **added):
    """Fortnox answering a create or update with the record as sent, plus `added` fields."""
    def answer(request):
        record = {**json.loads(request.body)[wrapper], **added}
        return status, {}, json.dumps({wrapper: record})

    rsps.add_callback(method, f"{API}{path}", callback=answer,
                      content_type="application/json")


def answer_invoice_create(rsps, number="1"):
    """Fortnox creating an invoice: the invoice as sent, under `number`, with its row ids,
    totals (25 % VAT) and a balance still owing."""
    def created(request):
        posted = json.loads(request.body)["Invoice"]
        total = sum(Decimal(str(r["Price"])) * Decimal(str(r["DeliveredQuantity"]))
                    * (1 - Decimal(str(r.get("Discount") or 0)) / 100)
                    for r in posted["InvoiceRows"]) * Decimal("1.25")
        rows = [{**row, "RowId": 100 + i} for i, row in enumerate(posted["InvoiceRows"])]
        return 201, {}, json.dumps({"Invoice": {
            **posted, "DocumentNumber": number, "InvoiceRows": rows, "Total": float(total),
            "Balance": float(total), "Booked": False, "Cancelled": False, "Sent": False,
            "FinalPayDate": ""}})

    rsps.add_callback("POST", f"{API}/invoices", callback=created,
                      content_type="application/json")


def lose(rsps, method, path):
    """Fortnox stores what the next request sends, and its answer never arrives."""
    rsps.add(method, f"{API}{path}", body=requests.exceptions.ReadTimeout("read timed out"))


def requests_to(rsps, method, path):
    """The requests that reached Fortnox's `path` (under /3, without the query)."""
    return [call.request for call in rsps.calls if call.request.method == method
            and urlsplit(call.request.url).path == f"/3{path}"]


def sent(request):
    return json.loads(request.body)


def stockholm_minutes(moment):
    """How Fortnox's `lastmodified` filter writes a moment."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def frost(make_org):
    return make_org("frost-bygg", name="Frost Bygg AB", country="SE", currency="SEK",
                    language="sv", org_number="556677-8899")


@pytest.fixture
def connection(frost):
    from integrations.models import Connection

    conn = Connection(organization=frost, provider="fortnox",
                      status=Connection.Status.CONNECTED, remote_tenant_id="123456",
                      remote_company_name="Frost Bygg AB")
    conn.set_credentials({"mode": "code", "access_token": "at-0", "refresh_token": "rt-0"},
                         expires_at=timezone.now() + datetime.timedelta(hours=1))
    conn.save()
    return conn


@pytest.fixture
def mappings(frost):
    from integrations.models import AccountMapping, PayTypeMapping, VatMapping

    for category, vat, account in (("service", "MP1", "3041"), ("material", "MP1", "3051")):
        VatMapping.objects.create(organization=frost, provider="fortnox", category=category,
                                  vat_code=vat)
        AccountMapping.objects.create(organization=frost, provider="fortnox",
                                      category=category, account_number=account)
    for pay_type, code in (("monthly_salary", "11"), ("overtime", "310")):
        PayTypeMapping.objects.create(organization=frost, provider="fortnox", pay_type=pay_type,
                                      salary_code=code)


@pytest.fixture
def customer(frost):
    from accounting.models import Customer

    return Customer.objects.create(
        organization=frost, kind="company", name="Brf Solrosen", org_number="769600-1234",
        email="styrelsen@solrosen.example.se", phone="08-123 45 67", street="Solvägen 4",
        postal_code="11345", city="Stockholm", country="SE")


@pytest.fixture
def project(frost, customer):
    from accounting.models import Project

    return Project.objects.create(organization=frost, number="P-2026-07", name="Stambyte Solrosen",
                                  customer=customer, start_date=datetime.date(2026, 3, 1))


@pytest.fixture
def invoice(frost, customer, project, mappings):
    from accounting.models import Invoice, InvoiceLine

    invoice = Invoice.objects.create(
        organization=frost, customer=customer, project=project, currency="SEK",
        issue_date=datetime.date(2026, 11, 2), due_date=datetime.date(2026, 12, 2),
        our_reference="Karin Frost", your_reference="Olle Ek")
    InvoiceLine.objects.create(invoice=invoice, description="Rivning badrum", category="service",
                               quantity=Decimal("12.5"), unit_price=Decimal("650.00"),
                               position=0)
    InvoiceLine.objects.create(invoice=invoice, description="Kakel", category="material",
                               quantity=Decimal("18"), unit_price=Decimal("389.00"),
                               discount_percent=Decimal("10"), position=1)
    return invoice


@pytest.fixture
def quote(frost, customer, mappings):
    from accounting.models import Quote, QuoteLine

    quote = Quote.objects.create(organization=frost, customer=customer, currency="SEK",
                                 issue_date=datetime.date(2026, 10, 1),
                                 valid_until=datetime.date(2026, 10, 31),
                                 your_reference="Olle Ek")
    QuoteLine.objects.create(quote=quote, description="Stambyte, fast pris", category="service",
                             quantity=Decimal("1"), unit_price=Decimal("420000.00"))
    return quote


@pytest.fixture
def employee(frost):
    from accounting.models import Employee

    return Employee.objects.create(
        organization=frost, employee_number="17", first_name="Sven", last_name="Snickare",
        email="sven@frostbygg.example.se", personal_identity_number="19800101-1234",
        employed_from=datetime.date(2020, 4, 1), monthly_salary=Decimal("36500.00"))


@pytest.fixture
def time_entry(frost, employee, project):
    from accounting.models import TimeEntry

    return TimeEntry.objects.create(organization=frost, employee=employee, project=project,
                                    date=datetime.date(2026, 11, 3), hours=Decimal("7.5"),
                                    description="Rivning")


@pytest.fixture
def payslip(frost, employee, mappings):
    from accounting.models import Payslip, PayslipLine

    payslip = Payslip.objects.create(
        organization=frost, employee=employee, period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31), pay_date=datetime.date(2026, 10, 25),
        currency="SEK")
    PayslipLine.objects.create(payslip=payslip, pay_type="monthly_salary",
                               description="Månadslön oktober", quantity=Decimal("1"),
                               unit_amount=Decimal("36500.00"))
    PayslipLine.objects.create(payslip=payslip, pay_type="overtime", description="Övertid",
                               quantity=Decimal("6"), unit_amount=Decimal("312.50"))
    return payslip


def run(connection, operation, obj, **kwargs):
    """Enqueue and run one job the way the engine does; returns (outcome, job)."""
    from integrations.engine import enqueue_job, run_job

    record_type = operation.split(".")[0]
    job, _ = enqueue_job(connection=connection, operation=operation, record_type=record_type,
                         local_id=obj.pk, **kwargs)
    outcome = run_job(job.pk)
    job.refresh_from_db()
    return outcome, job
