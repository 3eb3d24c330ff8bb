"""The construction firm against the Fortnox simulator on the live server, over real HTTP and
through the same settings that point at api.fortnox.se in production: consent, the seven
exports read back, an update, imports, a conflict, a payment, a lost response, and a token
that sixteen workers find expired at once."""

import re
import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers import registry
from integrations.providers.fortnox import auth, sync
from integrations.providers.fortnox.client import FortnoxClient
from tests.integrations.fortnox.conftest import run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

try:
    from sandbox import registry as sandbox_registry

    HAVE_SIMULATOR = sandbox_registry.get("fortnox") is not None
except ImportError:  # pragma: no cover - the simulator is another package's
    HAVE_SIMULATOR = False

if not HAVE_SIMULATOR:
    pytest.skip("the Fortnox simulator is not registered in sandbox/registry.py",
                allow_module_level=True)


@pytest.fixture
def sim(live_server, settings):
    from sandbox.fortnox import seed
    from sandbox.framework import ratelimit as sandbox_ratelimit

    base = f"{live_server.url}/sandbox/fortnox"
    settings.FORTNOX_BASE_URL = base
    settings.FORTNOX_AUTH_URL = f"{base}/oauth-v1"
    settings.FORTNOX_WEB_URL = f"{base}/app"
    settings.FORTNOX_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.FORTNOX_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    settings.APP_BASE_URL = live_server.url
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    app, _ = seed.seed_demo()
    seed.add_redirect_uri(app, live_server.url + auth.CALLBACK_PATH)
    company = seed.seed_company("Frost Bygg E2E")
    sandbox_ratelimit.reset_all()
    return {"base": base, "company": company}


@pytest.fixture
def admin(make_user, frost):
    return make_user("frost-admin", frost, role="admin")


def consent(sim, organization, user, **kwargs):
    """What the admin does in the browser: open our authorization URL, approve the company,
    come back to our callback with code and state."""
    url = auth.authorization_url(organization=organization, user=user, **kwargs)
    browser = requests.Session()
    page = browser.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = browser.post(url, data={"csrfmiddlewaretoken": token, "decision": "approve",
                                     "tenant": sim["company"].external_id},
                          headers={"Referer": url}, allow_redirects=False, timeout=30)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert urlsplit(answer.headers["Location"]).path == auth.CALLBACK_PATH
    return auth.complete_authorization(code=query["code"][0], state=query["state"][0],
                                       user=user)


@pytest.fixture
def connected(sim, frost, admin, mappings):
    from integrations.models import PayTypeMapping

    PayTypeMapping.objects.filter(pay_type="overtime").update(salary_code="15")
    return consent(sim, frost, admin)


def remote(connection, path):
    return FortnoxClient(registry.for_connection(connection)).get_json(path)


def control(sim, **body):
    answer = requests.post(f"{sim['base']}/_control/records",
                           json={"tenant": sim["company"].external_id, **body}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_consent_stores_the_company(connected, sim):
    assert connected.status == Connection.Status.CONNECTED
    assert connected.remote_company_name == "Frost Bygg E2E"
    assert connected.remote_tenant_id == sim["company"].external_id
    assert connected.credentials["refresh_token"]
    info = registry.for_connection(connected).test_connection()
    assert info["company_name"] == "Frost Bygg E2E"
    accounts = {a["number"]: a for a in registry.for_connection(connected).list_accounts()}
    assert accounts["3041"]["vat_code"] == "MP1"


def test_all_seven_record_types_go_out_and_read_back(connected, customer, project, employee,
                                                     time_entry, quote, invoice, payslip):
    for operation, obj in (("customer.export", customer), ("project.export", project),
                           ("employee.export", employee), ("time_entry.export", time_entry),
                           ("quote.export", quote), ("invoice.export", invoice),
                           ("payslip.export", payslip)):
        outcome, job = run(connected, operation, obj)
        assert outcome == "done", f"{operation}: {job.last_error}"

    def link(record_type, obj):
        return Link.objects.get(connection=connected, record_type=record_type,
                                local_id=str(obj.pk)).remote_id

    number = link("customer", customer)
    fx_customer = remote(connected, f"/3/customers/{number}")["Customer"]
    assert (fx_customer["Name"], fx_customer["City"], fx_customer["OrganisationNumber"]) == (
        "Brf Solrosen", "Stockholm", "769600-1234")
    fx_project = remote(connected, f"/3/projects/{link('project', project)}")["Project"]
    assert fx_project["Description"] == "Stambyte Solrosen"
    fx_employee = remote(connected, f"/3/employees/{link('employee', employee)}")["Employee"]
    assert (fx_employee["FirstName"], fx_employee["Email"]) == ("Sven",
                                                                "sven@frostbygg.example.se")
    fx_time = remote(connected, f"/3/attendancetransactions/{link('time_entry', time_entry)}")
    assert fx_time["AttendanceTransaction"]["Hours"] in ("7.5", "7.50", 7.5)
    assert fx_time["AttendanceTransaction"]["Project"] == "P-2026-07"
    fx_offer = remote(connected, f"/3/offers/{link('quote', quote)}")["Offer"]
    assert fx_offer["CustomerNumber"] == number
    assert fx_offer["YourReferenceNumber"].startswith("hub-")
    fx_invoice = remote(connected, f"/3/invoices/{link('invoice', invoice)}")["Invoice"]
    assert fx_invoice["ExternalInvoiceReference1"] == f"hub-{invoice.organization_id}-invoice-" \
                                                      f"{invoice.pk}"
    assert [row["AccountNumber"] for row in fx_invoice["InvoiceRows"]] == [3041, 3051]
    assert Decimal(str(fx_invoice["Net"])) == Decimal("14426.80")  # 8125 + 18 * 389 * 0.9
    rows = Link.objects.get(connection=connected, record_type="payslip").data["rows"]
    codes = [remote(connected, f"/3/salarytransactions/{row}")["SalaryTransaction"][
        "SalaryCode"] for row in rows]
    assert codes == ["11", "15"]


def test_an_exported_invoice_is_updated_in_place(connected, invoice):
    assert run(connected, "invoice.export", invoice)[0] == "done"
    invoice.lines.filter(position=1).update(quantity=Decimal("20"))
    invoice.your_reference = "Stina Ek"
    invoice.save()
    outcome, job = run(connected, "invoice.export", invoice, variant="edit-1")
    assert outcome == "done", job.last_error
    invoices = remote(connected, "/3/invoices")["Invoices"]
    assert len(invoices) == 1
    fx = remote(connected, f"/3/invoices/{invoices[0]['DocumentNumber']}")["Invoice"]
    assert fx["YourReference"] == "Stina Ek"
    assert [str(row["DeliveredQuantity"]) for row in fx["InvoiceRows"]][1] in ("20", "20.00")


def test_customer_and_invoice_made_in_fortnox_come_in(connected, frost):
    from accounting.models import Customer, Invoice

    client = FortnoxClient(registry.for_connection(connected))
    client.send("POST", "/3/customers", {"Customer": {"CustomerNumber": "5001",
                                                      "Name": "Villa Björk", "City": "Täby"}})
    client.send("POST", "/3/invoices", {"Invoice": {
        "CustomerNumber": "5001", "InvoiceDate": timezone.localdate().isoformat(),
        "InvoiceRows": [{"Description": "Altan", "DeliveredQuantity": "10", "Price": 550,
                         "AccountNumber": 3051, "VATCode": "MP1"}]}})
    result = sync.import_changes(connected)
    assert result["customer"]["created"] == 1 and result["invoice"]["created"] == 1
    local = Invoice.objects.for_org(frost).get()
    assert local.customer == Customer.objects.for_org(frost).get(name="Villa Björk")
    line = local.lines.get()
    assert (line.quantity, line.unit_price, line.category) == (Decimal("10"), Decimal("550.00"),
                                                               "material")
    again = sync.import_changes(connected)
    assert again["customer"]["created"] == again["invoice"]["created"] == 0


def test_conflict_last_write_wins_and_the_loser_is_logged(connected, customer, sim):
    from accounting.models import Customer

    assert run(connected, "customer.export", customer)[0] == "done"
    number = Link.objects.get(record_type="customer").remote_id
    Customer.objects.filter(pk=customer.pk).update(
        phone="08-999 99 99", updated_at=timezone.now() - timedelta(minutes=10))
    moment = (timezone.now() - timedelta(minutes=2)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Stockholm"))
    control(sim, resource="customers", id=number, fields={"Phone1": "08-555 55 55"},
            modified_at=moment.strftime("%Y-%m-%d %H:%M:%S"))
    result = sync.import_changes(connected, record_types=("customer",),
                                 since=timezone.now() - timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    assert Customer.objects.get(pk=customer.pk).phone == "08-555 55 55"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["lost"] == {"phone": "08-999 99 99"}


def test_a_payment_reaches_the_local_invoice(connected, invoice):
    from accounting.models import Invoice

    assert run(connected, "invoice.export", invoice)[0] == "done"
    number = Link.objects.get(record_type="invoice").remote_id
    client = FortnoxClient(registry.for_connection(connected))
    total = Decimal(str(remote(connected, f"/3/invoices/{number}")["Invoice"]["Total"]))
    client.send("POST", "/3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": 5000.0,
        "PaymentDate": timezone.localdate().isoformat()}})
    sync.import_changes(connected, record_types=("invoice",))
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.paid_amount, local.remaining_amount) == (
        "partly_paid", Decimal("5000.00"), total - 5000)
    client.send("POST", "/3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": float(total - 5000),
        "PaymentDate": timezone.localdate().isoformat()}})
    sync.import_changes(connected, record_types=("invoice",))
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.remaining_amount) == ("paid", Decimal("0.00"))
    assert local.final_pay_date == timezone.localdate()
    assert local.payments.count() == 2


def test_a_lost_response_on_invoice_creation_leaves_one_invoice(connected, invoice):
    from integrations.engine import run_job
    from sandbox.framework import faults

    faults.lose_next_responses("fortnox", mode="reset", method="POST",
                               path_prefix="/3/invoices")
    outcome, job = run(connected, "invoice.export", invoice)
    assert outcome == "unknown", job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job.pk) == "adopted"
    found = remote(connected, "/3/invoices")["Invoices"]
    assert [row["ExternalInvoiceReference1"] for row in found] == [job.external_reference]
    assert Link.objects.get(record_type="invoice").remote_id == found[0]["DocumentNumber"]


def test_sixteen_workers_on_one_expired_token_refresh_once(connected, frost, sim):
    from accounting.models import Customer
    from integrations.engine import enqueue_job, run_job
    from sandbox.framework import tokens as sandbox_tokens
    from sandbox.models import SandboxToken

    customers = [Customer.objects.create(organization=frost, name=f"Kund {n}")
                 for n in range(16)]
    jobs = [enqueue_job(connection=connected, operation="customer.export",
                        record_type="customer", local_id=c.pk)[0] for c in customers]
    Connection.objects.filter(pk=connected.pk).update(token_expires_at=timezone.now())
    sandbox_tokens.expire_tokens("fortnox", tenant=sim["company"], kind=SandboxToken.ACCESS)
    refresh_before = SandboxToken.objects.filter(kind=SandboxToken.REFRESH).count()
    barrier = threading.Barrier(16)
    outcomes = []

    def work(job_id):
        try:
            barrier.wait()
            outcomes.append(run_job(job_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["done"] * 16
    assert SandboxToken.objects.filter(kind=SandboxToken.REFRESH).count() == refresh_before + 1
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED
    assert len(remote(connected, "/3/customers")["Customers"]) == 16
