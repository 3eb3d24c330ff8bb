"""The Fortnox simulator against Django's test client: OAuth as Fortnox runs it, errors in
Fortnox's shape, the resources with their wrappers, searches, paging and life cycle, the
accountant page, the control endpoint and the web app. Every test builds its own company and
app (sandbox.fortnox.seed), so none depends on another's state."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone

from sandbox.fortnox import fields
from sandbox.fortnox.seed import (
    DEMO_CLIENT_ID,
    DEMO_REDIRECT_URI,
    DEMO_TENANT_ID,
    access_headers,
    seed_app,
    seed_company,
    seed_demo,
)
from sandbox.fortnox.simulator import RATE_LIMIT
from sandbox.models import SandboxClient, SandboxRecord, SandboxTenant
from tests.sandbox.conftest import form_post
from tests.specs import spec_path

BASE = "/sandbox/fortnox"
REDIRECT_URI = "http://127.0.0.1:8000/api/integrations/fortnox/callback"


@pytest.fixture
def company(db):
    company = seed_company("Frost Bygg AB")
    # The seed locks the books up to two years back from today; the documents here are dated
    # 2026, so say which period is locked rather than depend on the day the suite runs.
    company.data["LockedPeriodEnd"] = "2025-12-31"
    company.save(update_fields=["data"])
    return company


@pytest.fixture
def app(db):
    return seed_app(redirect_uris=[REDIRECT_URI])


class Api:
    """JSON calls with a bearer token, as the hub's client makes them."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, path, **params):
        url = f"{BASE}/{path}" + (f"?{urlencode(params)}" if params else "")
        return self.client.get(url, headers=self.headers)

    def post(self, path, body):
        return self.client.post(f"{BASE}/{path}", json.dumps(body),
                                content_type="application/json", headers=self.headers)

    def put(self, path, body=None):
        return self.client.put(f"{BASE}/{path}", json.dumps(body) if body is not None else "",
                               content_type="application/json", headers=self.headers)


@pytest.fixture
def api(client, company, app):
    return Api(client, access_headers(company, app.client_id))


def error_code(response):
    return response.json()["ErrorInformation"]["code"]


def make_customer(api, number="1001", **extra):
    response = api.post("3/customers", {"Customer": {"CustomerNumber": number,
                                                     "Name": "Bostadsrättsföreningen Eken",
                                                     **extra}})
    assert response.status_code == 201, response.content
    return response.json()["Customer"]


def make_invoice(api, reference="hub-frost-invoice-1", customer="1001", rows=None):
    rows = rows or [{"ArticleNumber": "ARB", "DeliveredQuantity": "8"},
                    {"Description": "Spik", "AccountNumber": 3051, "VAT": 25,
                     "DeliveredQuantity": "2", "Price": 100}]
    response = api.post("3/invoices", {"Invoice": {
        "CustomerNumber": customer, "ExternalInvoiceReference1": reference,
        "InvoiceDate": "2026-03-02", "InvoiceRows": rows}})
    assert response.status_code == 201, response.content
    return response.json()["Invoice"]


# -- OAuth ------------------------------------------------------------------------------------

def authorize(client, app, company, **extra):
    params = {"client_id": app.client_id, "redirect_uri": REDIRECT_URI,
              "scope": "invoice customer companyinformation", "state": "s-1",
              "access_type": "offline", "response_type": "code", **extra}
    url = f"{BASE}/oauth-v1/auth?{urlencode(params)}"
    page = client.get(url)
    assert page.status_code == 200, page.content
    answer = client.post(url, {"decision": "approve", "tenant": company.external_id})
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def basic(app):
    raw = f"{app.client_id}:{app.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def token_request(client, app, data, headers=None):
    return form_post(client, f"{BASE}/oauth-v1/token", data, {**basic(app), **(headers or {})})


def code_tokens(client, app, company):
    params = authorize(client, app, company)
    response = token_request(client, app, {"grant_type": "authorization_code",
                                           "code": params["code"],
                                           "redirect_uri": REDIRECT_URI})
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_consent_code_and_tokens_reach_the_company(client, app, company):
    params = authorize(client, app, company)
    tokens = token_request(client, app, {"grant_type": "authorization_code",
                                         "code": params["code"],
                                         "redirect_uri": REDIRECT_URI}).json()
    info = client.get(f"{BASE}/3/companyinformation",
                      headers=bearer(tokens["access_token"])).json()["CompanyInformation"]

    assert params["state"] == "s-1"
    assert tokens["expires_in"] == 3600 and tokens["token_type"] == "bearer"
    assert tokens["scope"] == "invoice customer companyinformation" and tokens["refresh_token"]
    assert info["DatabaseNumber"] == int(company.external_id)
    assert info["OrganizationNumber"] == "556677-8899"
    claims = tokens["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["tenantId"] == int(company.external_id)
    # The code works once.
    again = token_request(client, app, {"grant_type": "authorization_code",
                                        "code": params["code"], "redirect_uri": REDIRECT_URI})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_consent_refuses_unregistered_redirect_and_unknown_scope(client, app, company):
    unregistered = client.get(f"{BASE}/oauth-v1/auth?" + urlencode({
        "client_id": app.client_id, "redirect_uri": "http://evil.example/cb", "scope": "invoice",
        "state": "x", "response_type": "code"}))
    unknown_scope = client.get(f"{BASE}/oauth-v1/auth?" + urlencode({
        "client_id": app.client_id, "redirect_uri": REDIRECT_URI, "scope": "Invoice",
        "state": "x", "response_type": "code"}))

    assert unregistered.status_code == 400
    assert "error=invalid_scope" in unknown_scope["Location"]


def test_refresh_rotates_and_the_old_refresh_token_is_spent(client, app, company):
    first = code_tokens(client, app, company)

    second = token_request(client, app, {"grant_type": "refresh_token",
                                         "refresh_token": first["refresh_token"]})
    reused = token_request(client, app, {"grant_type": "refresh_token",
                                         "refresh_token": first["refresh_token"]})

    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    third = token_request(client, app, {"grant_type": "refresh_token",
                                        "refresh_token": second.json()["refresh_token"]})
    assert third.status_code == 200


def test_revoke_ends_the_grant(client, app, company):
    tokens = code_tokens(client, app, company)

    revoked = form_post(client, f"{BASE}/oauth-v1/revoke",
                        {"token_type_hint": "refresh_token", "token": tokens["refresh_token"]},
                        basic(app))

    assert revoked.status_code == 200 and revoked.json() == {"revoked": True}
    refresh = token_request(client, app, {"grant_type": "refresh_token",
                                          "refresh_token": tokens["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"
    call = client.get(f"{BASE}/3/customers", headers=bearer(tokens["access_token"]))
    assert call.status_code == 401 and error_code(call) == 2000310


def test_client_credentials_with_tenant_id_after_a_service_account_consent(client, app,
                                                                           company):
    other = seed_company("Annat AB", organisation_number="556000-0001")
    before = token_request(client, app, {"grant_type": "client_credentials"},
                           {"TenantId": company.external_id})
    authorize(client, app, company, account_type="service")

    granted = token_request(client, app, {"grant_type": "client_credentials"},
                            {"TenantId": company.external_id})
    foreign = token_request(client, app, {"grant_type": "client_credentials"},
                            {"TenantId": other.external_id})

    assert before.json()["error"] == "invalid_grant"
    body = granted.json()
    assert granted.status_code == 200 and "refresh_token" not in body
    assert body["expires_in"] == 3600
    info = client.get(f"{BASE}/3/companyinformation", headers=bearer(body["access_token"]))
    assert info.json()["CompanyInformation"]["DatabaseNumber"] == int(company.external_id)
    assert foreign.json()["error"] == "invalid_grant"


def test_a_token_without_the_resources_scope_gets_fortnoxs_error(client, company, app):
    headers = access_headers(company, app.client_id, scope="customer")

    refused = client.get(f"{BASE}/3/invoices", headers=headers)
    allowed = client.get(f"{BASE}/3/customers", headers=headers)

    assert refused.status_code == 403 and error_code(refused) == 2000663
    assert allowed.status_code == 200


# -- errors ------------------------------------------------------------------------------------

def test_unknown_field_is_refused_with_2001399(api):
    make_customer(api)

    top = api.post("3/customers", {"Customer": {"Name": "X", "Namn": "Y"}})
    in_row = api.post("3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [
        {"ArticleNumber": "ARB", "Pris": 10}]}})
    no_wrapper = api.post("3/customers", {"Name": "X"})

    assert top.status_code == 400 and error_code(top) == 2001399
    assert error_code(in_row) == 2001399 and "InvoiceRows[0].Pris" in in_row.json()[
        "ErrorInformation"]["message"]
    assert error_code(no_wrapper) == 2001399
    assert api.post("3/customers", {}).json()["ErrorInformation"]["code"] == 2001392


def test_customer_number_in_use(api):
    make_customer(api, "H-17")

    again = api.post("3/customers", {"Customer": {"CustomerNumber": "H-17", "Name": "Other"}})

    assert again.status_code == 400 and error_code(again) == 2000637
    assert SandboxRecord.objects.filter(kind="customer").count() == 1


def test_unknown_account_and_not_found(api):
    make_customer(api)

    bad_account = api.post("3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [
        {"Description": "X", "AccountNumber": 3999, "DeliveredQuantity": "1", "Price": 5}]}})
    missing = api.get("3/invoices/999")
    unknown_customer = api.post("3/invoices", {"Invoice": {"CustomerNumber": "77"}})

    assert error_code(bad_account) == 2001304
    assert missing.status_code == 404 and error_code(missing) == 2000423
    assert unknown_customer.status_code == 400 and error_code(unknown_customer) == 2000423


def test_sweden_must_be_sverige_and_emoji_are_refused(api):
    sweden = api.post("3/customers", {"Customer": {"Name": "X", "Country": "Sweden"}})
    emoji = api.post("3/customers", {"Customer": {"Name": "Bygg 🏠"}})

    assert sweden.status_code == 400 and "Sverige" in sweden.json()["ErrorInformation"][
        "message"]
    assert error_code(emoji) == 2000359


# -- invoices and payments ---------------------------------------------------------------------

def test_invoice_with_rows_is_stored_with_totals_and_found_by_reference(api):
    make_customer(api)
    created = make_invoice(api, "hub-frost-invoice-1")
    make_invoice(api, "hub-frost-invoice-12")

    read = api.get(f"3/invoices/{created['DocumentNumber']}").json()["Invoice"]
    found = api.get("3/invoices", externalinvoicereference1="hub-frost-invoice-1").json()

    rows = read["InvoiceRows"]
    assert rows[0]["AccountNumber"] == 3041 and rows[0]["Price"] == 650
    assert rows[0]["VAT"] == 25 and rows[0]["Description"] == "Arbete snickare"
    assert rows[1]["AccountNumber"] == 3051 and rows[1]["Total"] == 200
    assert read["Net"] == 5400 and read["TotalVAT"] == 1350 and read["Total"] == 6750
    assert read["Balance"] == 6750 and read["FinalPayDate"] is None
    assert read["DueDate"] == "2026-04-01" and read["Booked"] is False
    assert read["CustomerName"] == "Bostadsrättsföreningen Eken"
    assert read["@url"].endswith(f"/sandbox/fortnox/3/invoices/{created['DocumentNumber']}")
    # Fortnox searches by substring: the exact reference also matches "...-12".
    assert found["MetaInformation"]["@TotalResources"] == 2
    assert {item["ExternalInvoiceReference1"] for item in found["Invoices"]} == {
        "hub-frost-invoice-1", "hub-frost-invoice-12"}
    assert "InvoiceRows" not in found["Invoices"][0]


def test_put_updates_only_what_it_sends_and_a_booked_invoice_is_locked(api):
    make_customer(api)
    number = make_invoice(api)["DocumentNumber"]

    updated = api.put(f"3/invoices/{number}", {"Invoice": {"Remarks": "Etapp 1", "OCR": ""}})
    booked = api.put(f"3/invoices/{number}/bookkeep")
    refused = api.put(f"3/invoices/{number}", {"Invoice": {"Remarks": "Etapp 2"}})
    cancel = api.put(f"3/invoices/{number}/cancel")

    assert updated.json()["Invoice"]["Remarks"] == "Etapp 1"
    assert updated.json()["Invoice"]["OCR"]  # "" leaves a field unchanged
    assert booked.status_code == 200 and booked.json()["Invoice"]["Booked"] is True
    assert refused.status_code == 400 and error_code(refused) == 2000461
    assert error_code(cancel) == 2000461
    assert api.get(f"3/invoices/{number}").json()["Invoice"]["Remarks"] == "Etapp 1"
    credited = api.put(f"3/invoices/{number}/credit").json()["Invoice"]
    credit = api.get(f"3/invoices/{credited['CreditInvoiceReference']}").json()["Invoice"]
    assert credit["Credit"] == "true" and credit["Total"] == -6750


def test_partial_then_full_payment(api):
    make_customer(api)
    number = make_invoice(api)["DocumentNumber"]
    record = SandboxRecord.objects.get(kind="invoice", remote_id=number)
    SandboxRecord.objects.filter(pk=record.pk).update(
        modified_at=timezone.now() - timedelta(hours=2))

    partial = api.post("3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": 2000, "PaymentDate": "2026-03-10"}})
    after_partial = api.get(f"3/invoices/{number}").json()["Invoice"]
    too_much = api.post("3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": 5000, "PaymentDate": "2026-03-11"}})
    full = api.post("3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": 4750, "PaymentDate": "2026-03-12"}})
    after_full = api.get(f"3/invoices/{number}").json()["Invoice"]
    listed = api.get("3/invoicepayments", invoicenumber=number).json()

    assert partial.status_code == 201
    assert partial.json()["InvoicePayment"]["InvoiceCustomerNumber"] == "1001"
    assert after_partial["Balance"] == 4750 and after_partial["FinalPayDate"] is None
    assert too_much.status_code == 400 and error_code(too_much) == 2000463
    assert full.status_code == 201
    assert after_full["Balance"] == 0 and after_full["FinalPayDate"] == "2026-03-12"
    assert listed["MetaInformation"]["@TotalResources"] == 2
    record.refresh_from_db()
    assert timezone.now() - record.modified_at < timedelta(minutes=1)
    paid = api.get("3/invoices", filter="fullypaid").json()["Invoices"]
    assert [item["DocumentNumber"] for item in paid] == [number]


def test_accountant_page_registers_a_payment(client, api, company):
    make_customer(api)
    number = make_invoice(api)["DocumentNumber"]
    page = client.get(f"{BASE}/accountant/?tenant={company.external_id}")

    response = client.post(f"{BASE}/accountant/", {"tenant": company.external_id,
                                                   "invoice": number, "amount": "1 000,00",
                                                   "paid_on": "2026-03-05"})

    assert page.status_code == 200 and b"Bostadsr" in page.content
    assert response.status_code == 302
    invoice = api.get(f"3/invoices/{number}").json()["Invoice"]
    assert invoice["Balance"] == 5750 and invoice["FinalPayDate"] is None
    assert api.get("3/invoicepayments").json()["InvoicePayments"][0]["Amount"] == 1000


# -- lists -------------------------------------------------------------------------------------

def test_lastmodified_filter_and_paging(api):
    for number in ("1", "2", "3"):
        make_customer(api, number)
    old = timezone.now() - timedelta(days=2)
    SandboxRecord.objects.filter(kind="customer", remote_id__in=["1", "2"]).update(
        modified_at=old)
    since = (timezone.now() - timedelta(hours=1)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")

    changed = api.get("3/customers", lastmodified=since).json()
    first = api.get("3/customers", limit=2).json()
    second = api.get("3/customers", limit=2, page=2).json()

    assert [item["CustomerNumber"] for item in changed["Customers"]] == ["3"]
    assert first["MetaInformation"] == {"@TotalResources": 3, "@TotalPages": 2,
                                        "@CurrentPage": 1}
    assert [item["CustomerNumber"] for item in second["Customers"]] == ["3"]
    assert error_code(api.get("3/customers", limit=501)) == 2000588
    assert error_code(api.get("3/customers", lastmodified="igår")) == 2000588
    assert error_code(api.get("3/projects", lastmodified=since)) == 2000588


def test_the_26th_request_in_five_seconds_gets_429(api, monkeypatch):
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: 1000.0)

    answers = [api.get("3/companyinformation").status_code for _ in range(26)]

    assert answers[:25] == [200] * 25
    assert answers[25] == 429
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: 1005.0)
    assert api.get("3/companyinformation").status_code == 200


# -- the other resources -----------------------------------------------------------------------

def test_the_seven_resources_are_created_and_read_back(api):
    created = {}
    for path, wrapper, body in [
        ("customers", "Customer", {"CustomerNumber": "2001", "Name": "Ek AB",
                                   "OrganisationNumber": "556123-4567"}),
        ("projects", "Project", {"ProjectNumber": "P-10", "Description": "Takbyte Eken"}),
        ("employees", "Employee", {"EmployeeId": "E7", "FirstName": "Sara",
                                   "LastName": "Lind", "Email": "sara@example.se"}),
        ("invoices", "Invoice", {"CustomerNumber": "2001", "Project": "P-10",
                                 "InvoiceRows": [{"ArticleNumber": "MTRL",
                                                  "DeliveredQuantity": "3"}]}),
        ("offers", "Offer", {"CustomerNumber": "2001", "YourReference": "Kari",
                             "OfferRows": [{"ArticleNumber": "ARB", "Quantity": "10"}]}),
        ("salarytransactions", "SalaryTransaction", {"EmployeeId": "E7", "SalaryCode": "13",
                                                     "Date": "2026-03-02", "Number": "8",
                                                     "Amount": "210", "Project": "P-10"}),
        ("attendancetransactions", "AttendanceTransaction", {
            "EmployeeId": "E7", "CauseCode": "ARB", "Date": "2026-03-02", "Hours": "7.5",
            "Project": "P-10"}),
    ]:
        response = api.post(f"3/{path}", {wrapper: body})
        assert response.status_code == 201, (path, response.content)
        entity = response.json()[wrapper]
        created[path] = entity
        key = entity[{"customers": "CustomerNumber", "projects": "ProjectNumber",
                      "employees": "EmployeeId", "salarytransactions": "SalaryRow",
                      "attendancetransactions": "id"}.get(path, "DocumentNumber")]
        read = api.get(f"3/{path}/{key}")
        assert read.status_code == 200 and read.json()[wrapper] == entity
        listed = api.get(f"3/{path}").json()
        assert listed["MetaInformation"]["@TotalResources"] == 1, path

    assert created["invoices"]["Total"] == 375
    assert created["offers"]["Total"] == 8125 and created["offers"]["OfferRows"][0][
        "Quantity"] == "10"
    assert created["salarytransactions"]["Total"] == "1680.00"
    assert created["attendancetransactions"]["Hours"] == "7.5"
    assert created["employees"]["FullName"] == "Sara Lind"


def test_salary_transactions_need_an_existing_employee_and_salary_code(api):
    api.post("3/employees", {"Employee": {"EmployeeId": "1", "FirstName": "A", "LastName": "B",
                                          "Email": "a@b.se"}})

    no_employee = api.post("3/salarytransactions", {"SalaryTransaction": {
        "EmployeeId": "9", "SalaryCode": "11", "Date": "2026-03-01"}})
    no_code = api.post("3/salarytransactions", {"SalaryTransaction": {
        "EmployeeId": "1", "SalaryCode": "999", "Date": "2026-03-01"}})
    bad_cause = api.post("3/attendancetransactions", {"AttendanceTransaction": {
        "EmployeeId": "1", "CauseCode": "XYZ", "Date": "2026-03-01", "Hours": "8"}})

    assert error_code(no_employee) == 2000423 and error_code(no_code) == 2000423
    assert error_code(bad_cause) == 2000464


# -- what a Fortnox user does ------------------------------------------------------------------

def test_control_edit_changes_a_customer_and_moves_its_modification_time(client, api,
                                                                         company):
    make_customer(api)
    SandboxRecord.objects.filter(kind="customer").update(
        modified_at=timezone.now() - timedelta(days=3))

    edited = client.post(f"{BASE}/_control/records", json.dumps({
        "tenant": company.external_id, "resource": "customers", "id": "1001",
        "fields": {"Name": "Brf Eken"}}), content_type="application/json")
    back_dated = client.post(f"{BASE}/_control/records", json.dumps({
        "tenant": company.external_id, "resource": "customers", "id": "1001",
        "modified_at": "2026-01-05 10:00:00"}), content_type="application/json")

    assert edited.status_code == 200
    assert edited.json()["entity"]["Name"] == "Brf Eken"
    assert api.get("3/customers/1001").json()["Customer"]["Name"] == "Brf Eken"
    assert back_dated.json()["modified"] == "2026-01-05 10:00:00"
    assert api.get("3/customers", lastmodified="2026-01-05 10:01").json()[
        "MetaInformation"]["@TotalResources"] == 0


def test_control_edit_of_a_booked_invoice_is_refused(client, api, company):
    make_customer(api)
    number = make_invoice(api)["DocumentNumber"]
    api.put(f"3/invoices/{number}/bookkeep")

    refused = client.post(f"{BASE}/_control/records", json.dumps({
        "tenant": company.external_id, "resource": "invoices", "id": number,
        "fields": {"Remarks": "x"}}), content_type="application/json")

    assert refused.status_code == 400 and error_code(refused) == 2000461


def test_the_web_app_shows_an_invoice(client, api, company):
    make_customer(api)
    number = make_invoice(api)["DocumentNumber"]

    page = client.get(f"{BASE}/app/invoices/{number}")
    missing = client.get(f"{BASE}/app/invoices/9999")
    listing = client.get(f"{BASE}/app/customers/?tenant={company.external_id}")

    assert page.status_code == 200
    assert b"hub-frost-invoice-1" in page.content and b"Arbete snickare" in page.content
    assert missing.status_code == 404
    assert listing.status_code == 200 and b"1001" in listing.content


# -- seed and spec -----------------------------------------------------------------------------

def test_seed_demo_is_idempotent(db):
    seed_demo()
    counts = SandboxRecord.objects.filter(provider="fortnox").count()
    app, company = seed_demo()

    assert SandboxRecord.objects.filter(provider="fortnox").count() == counts
    assert SandboxTenant.objects.filter(provider="fortnox").count() == 1
    assert company.external_id == DEMO_TENANT_ID and company.name == "Frost Bygg AB"
    demo = SandboxClient.objects.get(provider="fortnox", client_id=DEMO_CLIENT_ID)
    assert demo.allows_redirect_uri(DEMO_REDIRECT_URI)
    assert demo.secret_matches("hub-demo-secret")
    assert DEMO_CLIENT_ID in company.data["ServiceConsents"]
    numbers = set(SandboxRecord.objects.filter(tenant=company, kind="account")
                  .values_list("remote_id", flat=True))
    assert {"1930", "2611", "3001", "3041", "3051", "3740", "7010"} <= numbers


SPEC = str(spec_path("fortnox-openapi.json"))


def test_accepted_fields_are_the_specs_request_schemas():
    try:
        with open(SPEC) as spec_file:
            schemas = json.load(spec_file)["components"]["schemas"]
    except FileNotFoundError:
        pytest.skip("the published Fortnox spec is not on this machine")

    def names(schema):
        found = {}
        for name, prop in schemas[schema]["properties"].items():
            ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
            found[name] = names(ref.rsplit("/", 1)[1]) if ref else None
        return found

    for shape, schema in [(fields.INVOICE_PAYLOAD, "fortnox_InvoicePayload"),
                          (fields.CUSTOMER, "fortnox_Customer"),
                          (fields.OFFER, "fortnox_Offer"),
                          (fields.INVOICE_PAYMENT, "fortnox_InvoicePayment"),
                          (fields.ARTICLE, "fortnox_Article"),
                          (fields.PROJECT, "fortnox_Project"),
                          (fields.EMPLOYEE, "fortnox_Employee"),
                          (fields.SALARY_TRANSACTION, "fortnox_SalaryTransaction"),
                          (fields.ATTENDANCE_TRANSACTION, "fortnox_AttendanceTransaction"),
                          (fields.ACCOUNT_PAYLOAD, "fortnox_AccountPayload")]:
        assert shape.spec == names(schema), schema
