"""The dealer's whole story against the live server and the PowerOffice Go simulator, through
the same URLs a person uses (`acceptance.Browser`). Jobs run with `acceptance.drain` (the
worker's own `run_job`); the payment poll is the scheduled `PowerOfficeGo.poll_all`."""

import pytest
from django.core.cache import cache
from django.core.management import call_command

from integrations.models import Connection, Link, SyncJob
from integrations.providers.poweroffice_go import acceptance
from integrations.providers.poweroffice_go.provider import PowerOfficeGo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stack(live_server, settings):
    from sandbox.poweroffice_go import seed

    base = f"{live_server.url}/sandbox/poweroffice_go"
    settings.POWEROFFICE_GO_BASE_URL = base
    settings.POWEROFFICE_GO_WEB_URL = f"{base}/go"
    settings.POWEROFFICE_GO_APPLICATION_KEY = seed.APPLICATION_KEY
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = seed.SUBSCRIPTION_KEY
    settings.APP_BASE_URL = live_server.url
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    seed.seed()
    call_command("load_demo", verbosity=0)
    company = seed.seed_company("Testbil AS", organization_number="912345678")
    go = acceptance.PowerOfficeGoSandbox(base, application_key=seed.APPLICATION_KEY,
                                         subscription_key=seed.SUBSCRIPTION_KEY)
    # The simulator's rate-limit window lives in its process; our limiter's in the database,
    # which each test starts empty: forget the earlier tests' requests on both sides.
    go.session.delete(f"{base}/_control/requests", timeout=30)
    return {"url": live_server.url, "go": go, "company": company}


@pytest.fixture
def dealer(stack):
    from accounting.models import Organization

    return Organization.objects.get(slug="nordbil")


@pytest.fixture
def admin(stack):
    browser = acceptance.Browser(stack["url"])
    browser.login("nordbil-admin", "demo1234")
    return browser


@pytest.fixture
def connected(stack, admin, dealer):
    response = admin.post("/settings/accounting/client-key/",
                          {"client_key": stack["company"].secret})
    assert "Testbil AS" in response.text
    return Connection.objects.get(organization=dealer, provider="poweroffice_go")


def _new_contract(browser, dealer, number, lines):
    from accounting.models import Customer
    from contracts.models import Car

    customer = Customer.objects.for_org(dealer).get(name="Fjordtransport AS")
    car = Car.objects.for_org(dealer).get(registration_number="EL 12345")
    return browser.create_contract(number=number, customer_id=customer.pk, car_id=car.pk,
                                   lines=lines)


CAR_AND_ADDON = [("car", "Volvo EX30 Plus", "1", "389900.00"),
                 ("addon", "Vinterhjul", "4", "2490.50")]


def _orders_with_reference(go, company, reference):
    rows = go.api(company.secret, "/SalesOrders")
    return [row for row in rows if row.get("ExternalImportReference") == reference]


def test_contract_becomes_order_then_invoice_then_betalt(stack, admin, dealer, connected):
    go, company = stack["go"], stack["company"]
    pk = _new_contract(admin, dealer, "E2E-1", CAR_AND_ADDON)
    page = admin.post(f"/contracts/{pk}/pogo/send/").text
    assert "Sender til PowerOffice Go" in page
    assert acceptance.drain()
    order = Link.objects.get(connection=connected, record_type="order", local_id=str(pk))
    remote = go.api(company.secret, f"/SalesOrders/{order.remote_id}/Complete")
    lines = remote["SalesOrderLines"]
    assert [(line["Quantity"], line["ProductUnitPrice"]) for line in lines] == [
        (1, 389900.0), (4, 2490.5)]
    assert {line["VatCode"] for line in lines} == {"3"}
    products = {p["Id"]: p for p in go.api(company.secret, "/Products")}
    car, addon = (products[line["ProductId"]] for line in lines)
    assert (car["Code"], car["StandardSalesAccount"]) == ("YV1XZK9V1P2012345", 3000)
    assert car["Name"] == "2024 Volvo EX30 (EL 12345)"
    assert (addon["Code"], addon["StandardSalesAccount"]) == ("HUB-ADDON", 3010)
    assert remote["ExternalImportReference"] == f"hub-{dealer.pk}-order-{pk}"
    page = admin.get(f"/contracts/{pk}/").text
    assert f"Ordre #{remote['SalesOrderNo']} opprettet i PowerOffice Go" in page
    assert "Sendt til PowerOffice Go ✔" in page

    admin.post(f"/contracts/{pk}/pogo/invoice/")
    assert acceptance.drain(timeout=90)
    invoice_link = Link.objects.get(connection=connected, record_type="invoice",
                                    local_id=str(pk))
    invoice = go.api(company.secret, f"/OutgoingInvoices/{invoice_link.remote_id}")
    assert invoice["Id"] == order.remote_id  # Go keeps the order's GUID
    assert invoice_link.remote_url.endswith(f"/go/invoices/{invoice['Id']}")
    page = admin.get(f"/contracts/{pk}/").text
    assert invoice_link.remote_url in page and f"#{invoice['InvoiceNo']}" in page
    assert admin.session.get(invoice_link.remote_url).status_code == 200

    total = invoice["TotalAmount"]
    stack["go"].register_payment(tenant=company.external_id, invoice_id=invoice["Id"],
                                 amount=f"{total / 2:.2f}")
    PowerOfficeGo.poll_all()
    assert 'data-state="partly_paid"' in admin.get(f"/contracts/{pk}/").text
    stack["go"].register_payment(tenant=company.external_id, invoice_id=invoice["Id"],
                                 amount=f"{total - round(total / 2, 2):.2f}")
    PowerOfficeGo.poll_all()
    page = admin.get(f"/contracts/{pk}/").text
    assert 'data-state="paid"' in page and ">Betalt<" in page
    status = admin.get(f"/api/accounting/pogo/contracts/{pk}/status").json()
    assert status["state"] == "paid" and status["amountRemaining"] == "0.00"


def test_missing_mapping_blocks_with_the_deep_link(stack, admin, dealer, connected):
    pk = _new_contract(admin, dealer, "E2E-2", [*CAR_AND_ADDON,
                                                ("fee", "Omregistrering", "1", "1500")])
    page = admin.post(f"/contracts/{pk}/pogo/send/").text
    assert "Mangler MVA-mapping for" in page
    assert "/admin/integrations/vatmapping/add/?provider=poweroffice_go&amp;category=fee" in page
    assert not SyncJob.objects.filter(local_id=str(pk)).exists()
    fix = admin.get("/admin/integrations/vatmapping/add/?provider=poweroffice_go&category=fee")
    assert fix.status_code == 200 and 'value="fee"' in fix.text


CLICKS = 20


def _people_at_their_browsers(url, count):
    """`count` signed-in browser sessions, the dealer's admin and staff taking turns."""
    browsers = []
    for n in range(count):
        browser = acceptance.Browser(url)
        browser.login("nordbil-admin" if n % 2 else "nordbil-staff", "demo1234")
        browsers.append(browser)
    return browsers


def _click_all_at_once(browsers, path):
    """Every browser POSTs `path` at the same moment; the status of every response on the way
    (the redirect's target included)."""
    answers = acceptance.run_concurrently([lambda b=b: b.post(path) for b in browsers])
    assert None not in answers, "a click got no answer"
    return [step.status_code for answer in answers for step in (*answer.history, answer)]


def test_20_concurrent_clicks_make_one_order_and_one_invoice_and_never_a_5xx(stack, admin,
                                                                             dealer, connected):
    browsers = _people_at_their_browsers(stack["url"], CLICKS)
    pk = _new_contract(admin, dealer, "E2E-3", CAR_AND_ADDON)
    cache.clear()  # every click asks Go for the accounts' VAT codes, as after a quiet minute
    statuses = _click_all_at_once(browsers, f"/contracts/{pk}/pogo/send/")
    assert [s for s in statuses if s >= 500] == [] and statuses.count(302) == CLICKS
    assert acceptance.drain()
    admin.post(f"/contracts/{pk}/pogo/send/")  # after it is done: still nothing new
    assert acceptance.drain()
    reference = f"hub-{dealer.pk}-order-{pk}"
    assert len(_orders_with_reference(stack["go"], stack["company"], reference)) == 1

    statuses = _click_all_at_once(browsers, f"/contracts/{pk}/pogo/invoice/")
    assert [s for s in statuses if s >= 500] == [] and statuses.count(302) == CLICKS
    assert acceptance.drain(timeout=90)
    invoices = stack["go"].api(stack["company"].secret, "/OutgoingInvoices",
                               {"customMatchingReferences": reference})
    assert len(invoices) == 1
    assert Link.objects.filter(connection=connected, record_type="invoice",
                               local_id=str(pk)).count() == 1
    assert SyncJob.objects.filter(operation__in=("order.create", "invoice.create")).count() == 2


def test_lost_response_on_order_creation_still_makes_one_order(stack, admin, dealer, connected):
    pk = _new_contract(admin, dealer, "E2E-4", CAR_AND_ADDON)
    stack["go"].faults(lost_response_count=1, lost_response_mode="truncate",
                       lost_response_method="POST",
                       lost_response_path_prefix="/sandbox/poweroffice_go/v2/SalesOrders")
    admin.post(f"/contracts/{pk}/pogo/send/")
    assert acceptance.drain()
    job = SyncJob.objects.get(operation="order.create", local_id=str(pk))
    assert job.status == SyncJob.Status.DONE
    entries = job.log_entries.order_by("created_at", "pk")
    statuses = list(entries.values_list("status", flat=True))
    assert "unknown" in statuses and statuses[-1] == "ok"
    assert "adopted" in job.log_entries.order_by("-created_at").first().message.lower()
    reference = f"hub-{dealer.pk}-order-{pk}"
    assert len(_orders_with_reference(stack["go"], stack["company"], reference)) == 1


def test_failed_job_shows_in_the_sync_monitor_and_succeeds_on_retry(stack, admin, dealer,
                                                                   connected, settings):
    settings.SYNC_MAX_RETRIES = 0
    pk = _new_contract(admin, dealer, "E2E-5", CAR_AND_ADDON)
    stack["go"].faults(server_error_rate=1.0, server_error_status=503)
    admin.post(f"/contracts/{pk}/pogo/send/")
    assert acceptance.drain()
    job = SyncJob.objects.get(operation="order.create", local_id=str(pk))
    assert job.status == SyncJob.Status.DEAD
    monitor = admin.get("/admin/integrations/synclogentry/").text
    assert "order.create" in monitor and "503" in monitor
    stack["go"].faults(reset=True)
    admin.post(f"/admin/integrations/syncjob/{job.pk}/retry/",
               referer=admin.url(f"/admin/integrations/syncjob/{job.pk}/change/"))
    assert acceptance.drain()
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE
    assert Link.objects.filter(connection=connected, record_type="order",
                               local_id=str(pk)).exists()


def test_disconnect_clears_credentials_and_removes_the_integration(stack, admin, dealer,
                                                                   connected):
    pk = _new_contract(admin, dealer, "E2E-6", CAR_AND_ADDON)
    admin.post(f"/contracts/{pk}/pogo/send/")
    assert acceptance.drain()
    client_key = stack["company"].secret
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT encrypted_credentials FROM integrations_connection WHERE id = %s",
                       [connected.pk])
        stored = cursor.fetchone()[0]
    stored = stored if isinstance(stored, str) else bytes(stored).decode("latin-1")
    assert client_key not in stored and "access_token" not in stored  # encrypted at rest
    page = admin.post("/settings/accounting/disconnect/").text
    assert "Koblet fra PowerOffice Go" in page
    connected.refresh_from_db()
    assert connected.status == Connection.Status.DISCONNECTED
    assert connected.credentials == {}
    refused = stack["go"].token(client_key)  # the key no longer works at Go
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client")
    assert Link.objects.filter(connection=connected).exists()  # links and logs stay
    blocked = admin.post(f"/contracts/{pk}/pogo/invoice/").text
    assert "PowerOffice Go er ikke koblet til" in blocked


def test_connect_through_onboarding_in_go(stack, admin, dealer):
    import re

    approval = admin.post("/settings/accounting/connect/")  # redirected to Go's page
    assert "/sandbox/poweroffice_go/onboarding/" in approval.url
    client = re.search(r'name="client" value="([^"]+)"', approval.text).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', approval.text).group(1)
    back = admin.session.post(approval.url, timeout=60, headers={"Referer": approval.url},
                              data={"csrfmiddlewaretoken": token, "client": client,
                                    "decision": "approve"})
    assert "/settings/accounting/" in back.url and "Koblet til PowerOffice Go" in back.text
    connection = Connection.objects.get(organization=dealer, provider="poweroffice_go")
    assert connection.status == Connection.Status.CONNECTED
    assert connection.credentials["client_key"] and connection.remote_company_name
    # The state was single-use: replaying Go's redirect changes nothing.
    callback = back.history[0].headers["Location"]
    assert "/api/accounting/pogo/callback?" in callback and "status=Success" in callback
    assert "already completed" in admin.get(callback).text
