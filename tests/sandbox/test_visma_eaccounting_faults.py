"""Limits and faults of the Visma eAccounting simulator: 600 requests per minute per client and
endpoint answering 429 with ErrorCode 4010, server errors and 429 bursts in Visma's envelope,
per-company faults and tokens through the control endpoints, and over real HTTP a response
lost after an invoice was created and requests racing for one customer number."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sandbox.framework import faults
from sandbox.models import SandboxRecord
from sandbox.visma_eaccounting import identity
from sandbox.visma_eaccounting.seed import access_headers, ref_id, seed_app, seed_company
from sandbox.visma_eaccounting.simulator import RATE_LIMIT
from tests.sandbox import test_visma_eaccounting as common
from tests.sandbox.conftest import SANDBOX_APPS
from tests.sandbox.test_visma_eaccounting import (
    BASE,
    Api,
    draft_body,
    error,
    new_customer,
)

# The shared fixtures (api, app, company, frozen), registered in this module too.
api_fixture = common.api_fixture
app_fixture = common.app_fixture
company_fixture = common.company_fixture
frozen_fixture = common.frozen_fixture

SLUG = "visma_eaccounting"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(RATE_LIMIT, "clock", fake)
    return fake


def test_600_a_minute_per_client_and_endpoint(client, api, company, app, clock):
    assert api.get("customers").status_code == 200
    key = RATE_LIMIT.admitted()[-1].key
    for _ in range(599):
        assert RATE_LIMIT.try_acquire(key) is None

    refused = api.get("customers", **{"$page": 2})
    other_endpoint = api.get("articles")
    other_client = Api(client, access_headers(company, seed_app().client_id)).get("customers")
    clock.now += 60
    later = api.get("customers")

    assert refused.status_code == 429
    body = error(refused)
    assert body["ErrorCode"] == 4010
    assert "maximum admitted 600 per Minute" in body["DeveloperErrorMessage"]
    assert other_endpoint.status_code == 200 and other_client.status_code == 200
    assert later.status_code == 200
    assert RATE_LIMIT.max_admitted_in_any_window(key) == 600


def test_one_item_route_is_one_endpoint_whatever_the_id(api, company, clock):
    first, second = new_customer(api, company), new_customer(api, company)
    api.get(f"customers/{first['Id']}")
    api.get(f"customers/{second['Id']}")

    keys = {entry.key for entry in RATE_LIMIT.admitted() if "customers/" in entry.path}
    assert len(keys) == 1 and keys.pop().endswith("v2/customers/<str:customer_id>")


def test_server_errors_answer_in_vismas_envelope_and_write_nothing(api, company):
    faults.configure(SLUG, server_error_rate=1.0)
    failed = api.post("customers", {"Name": "x"})
    faults.configure(SLUG, server_error_status=503)
    unavailable = api.get("customers")

    assert failed.status_code == 500 and error(failed)["ErrorCode"] == 5000
    assert unavailable.status_code == 503 and error(unavailable)["ErrorCode"] == 5001
    assert not SandboxRecord.objects.filter(tenant=company, kind="customer").exists()


def test_a_429_burst_then_service_resumes(api):
    faults.configure(SLUG, rate_limit_burst=2)

    statuses = [api.get("customers").status_code for _ in range(3)]

    assert statuses == [429, 429, 200]


def test_faults_and_tokens_per_company_through_the_control_endpoints(client, api, company, app):
    other = seed_company("Annat Bygg AB")
    other_api = Api(client, access_headers(other, app.client_id))
    set_faults = client.post(f"{BASE}/_control/faults",
                             json.dumps({"tenant": company.external_id, "rate_limit_burst": 1}),
                             content_type="application/json")

    assert set_faults.status_code == 200
    assert api.get("customers").status_code == 429
    assert other_api.get("customers").status_code == 200
    expire = client.post(f"{BASE}/_control/tokens",
                         json.dumps({"expire": "access", "tenant": company.external_id}),
                         content_type="application/json")
    assert expire.json()["expired"] >= 1
    assert api.get("customers").status_code == 401
    assert other_api.get("customers").status_code == 200


@pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)
def test_a_lost_response_on_invoice_creation_still_stores_the_invoice(live_server):
    company = seed_company("Frost Bygg AB")
    app = seed_app()
    base = f"{live_server.url}{BASE}/v2"
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer " + identity.issue_access_token(
        company, app.client_id, "ea:api ea:sales")})
    customer = session.post(f"{base}/customers", json={
        "Name": "Brf Eken", "InvoicePostalCode": "114 32", "InvoiceCity": "Stockholm",
        "IsActive": True, "IsPrivatePerson": False,
        "TermsOfPaymentId": ref_id(company, "termsofpayment", "30 dagar netto")}, timeout=10).json()
    faults.lose_next_responses(SLUG, mode="reset", path_prefix="/v2/customerinvoices")
    article = ref_id(company, "article", "ARB")
    invoice = draft_body(customer, [{"ArticleId": article, "Quantity": 1}], InvoiceDate=None)

    with pytest.raises(requests.ConnectionError):
        session.post(f"{base}/customerinvoices", json=invoice, timeout=10)
    found = session.get(f"{base}/customerinvoices", timeout=10, params={
        "$filter": "OurReference eq 'hub-frost-invoice-7'"})

    assert SandboxRecord.objects.filter(tenant=company, kind="customerinvoice").count() == 1
    assert [item["OurReference"] for item in found.json()["Data"]] == ["hub-frost-invoice-7"]
    session.close()


@pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)
def test_two_requests_racing_for_one_customer_number_make_one_customer(live_server):
    company = seed_company("Frost Bygg AB")
    headers = {"Authorization": "Bearer " + identity.issue_access_token(
        company, seed_app().client_id, "ea:api ea:sales")}
    customer = {"Name": "Brf Eken", "InvoicePostalCode": "114 32", "InvoiceCity": "Stockholm",
                "IsActive": True, "IsPrivatePerson": False, "CustomerNumber": "H7",
                "TermsOfPaymentId": ref_id(company, "termsofpayment", "30 dagar netto")}
    start = threading.Barrier(6)

    def post():
        start.wait()
        answer = requests.post(f"{live_server.url}{BASE}/v2/customers", json=customer,
                               headers=headers, timeout=30)
        return answer.status_code, answer.json().get("ErrorCode")

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(lambda _: post(), range(6)), key=str)

    assert outcomes == [(201, None)] + [(400, 4000)] * 5
    assert SandboxRecord.objects.filter(tenant=company, kind="customer").count() == 1
