"""Frost Bygg against the Visma eAccounting simulator on the live server, over real HTTP and
through the same settings that point at Visma in production: consent on the identity server's
page, customers and invoices out and read back, a change made in Visma imported, a conflict
decided by last write wins with the loser logged, a payment on the accountant page reaching our
invoice, a lost answer on invoice creation leaving one invoice, and sixteen jobs on one expired
token making one refresh."""

import re
import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations.engine import run_job
from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers import registry
from integrations.providers.visma_eaccounting import provider as visma_provider
from integrations.providers.visma_eaccounting.client import VismaClient
from integrations.providers.visma_eaccounting.models import VismaGrant
from tests.integrations.visma_eaccounting.conftest import run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

try:
    from sandbox import registry as sandbox_registry

    HAVE_SIMULATOR = sandbox_registry.get("visma_eaccounting") is not None
except ImportError:  # pragma: no cover - the simulator is another package's
    HAVE_SIMULATOR = False

if not HAVE_SIMULATOR:
    pytest.skip("the Visma eAccounting simulator is not registered in sandbox/registry.py",
                allow_module_level=True)


@pytest.fixture
def sim(live_server, settings):
    from sandbox.framework import ratelimit as sandbox_ratelimit
    from sandbox.visma_eaccounting import seed

    base = f"{live_server.url}/sandbox/visma_eaccounting"
    settings.VISMA_EACCOUNTING_BASE_URL = base
    settings.VISMA_IDENTITY_URL = base
    settings.VISMA_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.VISMA_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    settings.APP_BASE_URL = live_server.url
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    app, _ = seed.seed_demo()
    seed.add_redirect_uri(app, live_server.url + visma_provider.CALLBACK_PATH)
    company = seed.seed_company("Frost Bygg E2E")
    sandbox_ratelimit.reset_all()
    return {"base": base, "company": company, "live": live_server.url}


@pytest.fixture
def admin(make_user, frost):
    return make_user("frost-admin", frost, role="admin")


def consent(sim, organization, user):
    """What the admin does: press Connect (our API), approve the company on Visma's page, come
    back to our callback with code and state (through the hub's own URLs, as a browser)."""
    from django.test import Client

    hub = Client()
    hub.force_login(user)
    answer = hub.post("/api/integrations/visma/connect", {}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    url = answer.json()["authorization_url"]
    browser = requests.Session()
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    approved = browser.post(url, data={"csrfmiddlewaretoken": token, "decision": "approve",
                                       "tenant": sim["company"].external_id},
                            headers={"Referer": url}, allow_redirects=False, timeout=30)
    location = urlsplit(approved.headers["Location"])
    assert location.path == "/api/integrations/visma/callback"
    back = hub.get(location.path, {k: v[0] for k, v in parse_qs(location.query).items()})
    assert back.status_code == 302, back.content[:300]
    return Connection.objects.get(organization=organization, provider="visma_eaccounting")


@pytest.fixture
def connected(sim, frost, admin, mappings):
    return consent(sim, frost, admin)


def client_of(connection):
    return VismaClient(registry.for_connection(connection))


def import_changes(connection, **kwargs):
    return registry.for_connection(connection).poll(**kwargs)


def test_consent_shows_the_company_and_its_tenant_id(connected, sim):
    assert connected.status == Connection.Status.CONNECTED
    assert connected.remote_company_name == "Frost Bygg E2E"
    assert connected.remote_tenant_id == sim["company"].external_id
    assert "refresh_token" not in connected.credentials  # it lives once, on the grant
    assert VismaGrant.objects.get().credentials["refresh_token"]
    provider = registry.for_connection(connected)
    assert provider.test_connection()["company_name"] == "Frost Bygg E2E"
    codes = {v["code"]: v for v in provider.list_vat_codes()}
    assert codes["10"]["rate"] == Decimal("25.00")
    accounts = {a["number"]: a for a in provider.list_accounts()}
    assert accounts["3041"]["vat_code"] == "10" and accounts["1930"]["vat_code"] == ""


def test_customers_and_invoices_go_out_and_read_back(connected, invoice):
    outcome, job = run(connected, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    customer_id = Link.objects.get(record_type="customer").remote_id
    remote_customer = client_of(connected).get_json(f"/v2/customers/{customer_id}")
    assert (remote_customer["Name"], remote_customer["CustomerNumber"],
            remote_customer["CorporateIdentityNumber"]) == (
        "Brf Solrosen", f"H{invoice.customer_id}", "769600-1234")
    remote_id = Link.objects.get(record_type="invoice").remote_id
    remote = client_of(connected).get_json(f"/v2/customerinvoices/{remote_id}")
    assert remote["OurReference"] == job.external_reference
    assert remote["InvoiceDate"][:10] == "2026-11-20"
    assert Decimal(str(remote["TotalVatAmount"])) == Decimal("1381.34")
    assert [row["ArticleNumber"] for row in remote["Rows"]] == ["HUB-LABOR", "HUB-MATERIAL"]
    invoice.refresh_from_db()
    assert invoice.number == str(remote["InvoiceNumber"]) and invoice.status == "invoiced"


def test_a_change_made_in_visma_comes_in_and_new_ones_are_created(connected, frost, customer):
    from accounting.models import Customer

    assert run(connected, "customer.export", customer)[0] == "done"
    import_changes(connected)  # the first poll sets the watermark
    remote_id = Link.objects.get(record_type="customer").remote_id
    client = client_of(connected)
    current = client.get_json(f"/v2/customers/{remote_id}")
    client.send("PUT", f"/v2/customers/{remote_id}", {
        **{k: v for k, v in current.items() if k in visma_mappers().CUSTOMER_WRITABLE},
        "InvoiceCity": "Solna"})
    client.send("POST", "/v2/customers", {
        "Name": "Villa Björk", "InvoicePostalCode": "183 30", "InvoiceCity": "Täby",
        "IsActive": True, "IsPrivatePerson": True, "TermsOfPaymentId": current[
            "TermsOfPaymentId"]})
    result = import_changes(connected, record_types=["customer"])
    assert result["customer"]["updated"] == 1 and result["customer"]["created"] == 1
    assert Customer.objects.get(pk=customer.pk).city == "Solna"
    assert Customer.objects.for_org(frost).filter(name="Villa Björk", kind="person").exists()
    again = import_changes(connected, record_types=["customer"])
    assert again["customer"]["created"] == 0 and again["customer"]["updated"] == 0


def visma_mappers():
    from integrations.providers.visma_eaccounting import mappers

    return mappers


def test_a_conflict_goes_to_the_later_write_and_the_loser_is_logged(connected, customer):
    from accounting.models import Customer

    assert run(connected, "customer.export", customer)[0] == "done"
    remote_id = Link.objects.get(record_type="customer").remote_id
    # Changed here ten minutes ago, then in Visma now: Visma's is the later write.
    Customer.objects.filter(pk=customer.pk).update(
        phone="08-999 99 99", updated_at=timezone.now() - timedelta(minutes=10))
    client = client_of(connected)
    current = client.get_json(f"/v2/customers/{remote_id}")
    client.send("PUT", f"/v2/customers/{remote_id}", {
        **{k: v for k, v in current.items() if k in visma_mappers().CUSTOMER_WRITABLE},
        "Telephone": "08-555 55 55"})
    result = import_changes(connected, record_types=["customer"],
                            since=timezone.now() - timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    assert Customer.objects.get(pk=customer.pk).phone == "08-555 55 55"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["lost"] == {"phone": "08-999 99 99"}
    assert entry.details["winner"] == "visma_eaccounting"


def test_a_payment_on_the_accountant_page_reaches_our_invoice(connected, invoice, sim):
    from accounting.models import Invoice

    assert run(connected, "invoice.export", invoice)[0] == "done"
    import_changes(connected, record_types=["invoice"])
    remote_id = Link.objects.get(record_type="invoice").remote_id
    total = Decimal(str(client_of(connected).get_json(
        f"/v2/customerinvoices/{remote_id}")["TotalAmountInvoiceCurrency"]))

    def pay(amount):
        page_url = f"{sim['base']}/accountant/?tenant={sim['company'].external_id}"
        browser = requests.Session()
        page = browser.get(page_url, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = browser.post(f"{sim['base']}/accountant/", data={
            "csrfmiddlewaretoken": token, "tenant": sim["company"].external_id,
            "invoice": remote_id, "amount": str(amount),
            "paid_on": timezone.localdate().isoformat()},
            headers={"Referer": page_url}, allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:500]

    pay(Decimal("1000"))
    import_changes(connected, record_types=["invoice"])
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.paid_amount, local.remaining_amount) == (
        "partly_paid", Decimal("1000.00"), total - 1000)
    pay(total - 1000)
    import_changes(connected, record_types=["invoice"])
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.remaining_amount) == ("paid", Decimal("0.00"))
    assert local.final_pay_date == timezone.localdate()
    from django.test import Client

    from accounting.models import Membership

    staff = Client()
    staff.force_login(Membership.objects.filter(organization=invoice.organization).first().user)
    staff.cookies["django_language"] = "sv"
    page = staff.get(f"/invoices/{invoice.pk}/")
    assert page.status_code == 200
    assert 'id="visma-eaccounting-panel"' in page.content.decode()


def test_a_lost_answer_on_invoice_creation_leaves_one_invoice(connected, invoice):
    from sandbox.framework import faults

    faults.lose_next_responses("visma_eaccounting", mode="reset", method="POST",
                               path_prefix="/v2/customerinvoicedrafts")
    outcome, job = run(connected, "invoice.export", invoice)
    assert outcome == "unknown", job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job.pk) == "adopted"
    client = client_of(connected)
    invoices = list(client.iterate("/v2/customerinvoices"))
    assert [row["OurReference"] for row in invoices] == [job.external_reference]
    assert list(client.iterate("/v2/customerinvoicedrafts")) == []
    assert Link.objects.get(record_type="invoice").remote_id == invoices[0]["Id"]


def test_a_webhook_from_visma_wakes_the_import(connected, customer, sim, monkeypatch):
    from accounting.models import Customer
    from integrations.models import WebhookEvent
    from integrations.providers.visma_eaccounting import webhooks
    from integrations.webhooks import new_secret
    from sandbox.visma_eaccounting import webhooks as sender
    from tests.integrations.test_integrations_api_fake_provider import run_queued

    monkeypatch.setattr(sender, "IN_BACKGROUND", False)  # delivered before the PUT answers
    assert run(connected, "customer.export", customer)[0] == "done"
    import_changes(connected)  # the watermark
    secret = new_secret(connected)
    webhooks.register(registry.for_connection(connected), secret=secret,
                      endpoint=f"{sim['live']}/api/webhooks/visma")
    remote_id = Link.objects.get(record_type="customer").remote_id
    client = client_of(connected)
    current = client.get_json(f"/v2/customers/{remote_id}")
    client.send("PUT", f"/v2/customers/{remote_id}", {
        **{k: v for k, v in current.items() if k in visma_mappers().CUSTOMER_WRITABLE},
        "InvoiceCity": "Sundbyberg"})
    events = WebhookEvent.objects.filter(provider="visma_eaccounting", valid=True)
    assert events.count() == 2  # Visma's test call and the change
    run_queued()
    assert Customer.objects.get(pk=customer.pk).city == "Sundbyberg"
    assert events.filter(status=WebhookEvent.Status.PROCESSED).count() == 2


def test_sixteen_jobs_on_one_expired_token_refresh_once(connected, frost, sim):
    from accounting.models import Customer
    from integrations.engine import enqueue_job
    from sandbox.framework import tokens as sandbox_tokens
    from sandbox.models import SandboxToken
    from sandbox.visma_eaccounting import identity as sandbox_identity

    customers = [Customer.objects.create(organization=frost, name=f"Kund {n}",
                                         postal_code="11345", city="Stockholm")
                 for n in range(16)]
    jobs = [enqueue_job(connection=connected, operation="customer.export",
                        record_type="customer", local_id=c.pk)[0] for c in customers]
    Connection.objects.filter(pk=connected.pk).update(token_expires_at=timezone.now())
    VismaGrant.objects.update(token_expires_at=timezone.now())
    sandbox_tokens.expire_tokens(sandbox_identity.REALM, tenant=sim["company"],
                                 kind=SandboxToken.ACCESS)
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
    assert len(list(client_of(connected).iterate("/v2/customers"))) == 16
