"""The Visma eAccounting simulator against Django's test client: customers and articles with
Visma's field names, paging with `Meta`, `$filter`, the error envelope and its codes, drafts
converted under the expected-totals guard, direct invoices with `modifiedSinceUtc`, payments
(over the API and on the accountant page) and the scopes each endpoint needs. Every test builds
its own company and app (sandbox.visma_eaccounting.seed)."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from sandbox.visma_eaccounting.seed import access_headers, ref_id, seed_app, seed_company

BASE = "/sandbox/visma_eaccounting"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(name="company")
def company_fixture(db):
    with time_machine.travel(NOW, tick=False):
        return seed_company("Frost Bygg AB")


@pytest.fixture(name="app")
def app_fixture(db):
    return seed_app()


class Api:
    """JSON calls with a bearer token, as the hub's client makes them."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, path, **params):
        url = f"{BASE}/v2/{path}" + (f"?{urlencode(params)}" if params else "")
        return self.client.get(url, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(f"{BASE}/v2/{path}", json.dumps(body) if body is not None
                                else "", content_type="application/json", headers=self.headers)

    def put(self, path, body):
        return self.client.put(f"{BASE}/v2/{path}", json.dumps(body),
                               content_type="application/json", headers=self.headers)


@pytest.fixture(name="api")
def api_fixture(client, company, app):
    return Api(client, access_headers(company, app.client_id))


@pytest.fixture(name="frozen", autouse=True)
def frozen_fixture():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def terms_id(company):
    return ref_id(company, "termsofpayment", "30 dagar netto")


def article_id(company, number="ARB"):
    return ref_id(company, "article", number)


def new_customer(api, company, **extra):
    body = {"Name": "Brf Eken", "InvoicePostalCode": "114 32", "InvoiceCity": "Stockholm",
            "IsActive": True, "IsPrivatePerson": False, "TermsOfPaymentId": terms_id(company),
            "CorporateIdentityNumber": "769600-1234", "EmailAddress": "styrelsen@eken.se",
            **extra}
    response = api.post("customers", body)
    assert response.status_code == 201, response.content
    return response.json()


def draft_body(customer, rows, **extra):
    return {"CustomerId": customer["Id"], "EuThirdParty": False, "RotReducedInvoicingType": 0,
            "OurReference": "hub-frost-invoice-7", "InvoiceDate": "2026-11-20",
            "Rows": rows, **extra}


def row(company, number="ARB", quantity=1, price=None, **extra):
    built = {"ArticleId": article_id(company, number), "IsTextRow": False,
             "ReversedConstructionServicesVatFree": False, "Quantity": quantity, **extra}
    if price is not None:
        built["UnitPrice"] = price
    return built


def error(response):
    body = response.json()
    assert set(body) >= {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}, body
    return body


# -- customers -----------------------------------------------------------------------------------

def test_a_customer_is_created_with_a_number_and_a_change_stamp(api, company):
    created = new_customer(api, company)

    assert created["CustomerNumber"] == "1" and created["Id"]
    assert created["ChangedUtc"] == "2026-11-20T09:30:00.000Z"
    assert created["TermsOfPayment"]["NumberOfDays"] == 30
    assert created["UnpaidInvoicesAmount"] == 0
    fetched = api.get(f"customers/{created['Id']}").json()
    assert fetched["Name"] == "Brf Eken" and fetched["InvoiceCountryCode"] == "SE"


def test_a_missing_required_field_names_the_field(api, company):
    response = api.post("customers", {"Name": "Brf Eken", "IsActive": True,
                                      "IsPrivatePerson": False,
                                      "TermsOfPaymentId": terms_id(company)})

    assert response.status_code == 400
    body = error(response)
    assert body["ErrorCode"] == 2000
    assert {entry["Field"] for entry in body["Errors"]} == {"InvoicePostalCode", "InvoiceCity"}


def test_unknown_and_too_long_fields_are_refused_with_their_paths(api, company):
    response = api.post("customers", {"Name": "x" * 51, "InvoicePostalCode": "1",
                                      "InvoiceCity": "S", "IsActive": True,
                                      "IsPrivatePerson": False, "Orgnr": "1",
                                      "TermsOfPaymentId": terms_id(company)})

    fields = {entry["Field"]: entry["Message"] for entry in error(response)["Errors"]}
    assert set(fields) == {"Name", "Orgnr"}
    assert "50 characters" in fields["Name"]


def test_a_taken_customer_number_is_a_conflict_and_a_missing_terms_id_not_found(api, company):
    new_customer(api, company, CustomerNumber="H12")
    taken = api.post("customers", {"Name": "Other", "InvoicePostalCode": "1",
                                   "InvoiceCity": "S", "IsActive": True,
                                   "IsPrivatePerson": False, "CustomerNumber": "H12",
                                   "TermsOfPaymentId": terms_id(company)})
    assert taken.status_code == 400 and error(taken)["ErrorCode"] == 4000

    missing = api.post("customers", {"Name": "Other", "InvoicePostalCode": "1",
                                     "InvoiceCity": "S", "IsActive": True,
                                     "IsPrivatePerson": False,
                                     "TermsOfPaymentId": "00000000-0000-0000-0000-000000000001"})
    assert error(missing)["ErrorCode"] == 3000
    assert missing.json()["Errors"][0]["Field"] == "TermsOfPaymentId"


def test_the_vat_number_is_checked(api, company):
    response = api.post("customers", {"Name": "Brf", "InvoicePostalCode": "1",
                                      "InvoiceCity": "S", "IsActive": True,
                                      "IsPrivatePerson": False, "VatNumber": "SE12",
                                      "TermsOfPaymentId": terms_id(company)})

    assert response.status_code == 400 and error(response)["ErrorCode"] == 4025


def test_put_replaces_the_whole_customer_and_moves_the_stamp(api, company, frozen):
    created = new_customer(api, company, Telephone="08-1")
    frozen.shift(timedelta(minutes=5))
    replaced = {key: value for key, value in created.items() if key != "Telephone"}
    replaced["Name"] = "Brf Eken 2"

    response = api.put(f"customers/{created['Id']}", replaced)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["Name"] == "Brf Eken 2" and "Telephone" not in body
    assert body["ChangedUtc"] == "2026-11-20T09:35:00.000Z"
    assert body["CustomerNumber"] == created["CustomerNumber"]


def test_unknown_ids_answer_404_in_vismas_shape(api):
    response = api.get("customers/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404 and error(response)["ErrorCode"] == 3000
    assert api.get("customers/not-a-guid").status_code == 404


# -- lists, paging and filters -------------------------------------------------------------------

def test_paging_answers_meta_and_a_link_header(api, company):
    for number in range(5):
        new_customer(api, company, CustomerNumber=f"H{number}")

    first = api.get("customers", **{"$page": 1, "$pagesize": 2})
    last = api.get("customers", **{"$page": 3, "$pagesize": 2})

    meta = first.json()["Meta"]
    assert meta == {"CurrentPage": 1, "PageSize": 2, "TotalNumberOfPages": 3,
                    "TotalNumberOfResults": 5, "ServerTimeUtc": "2026-11-20T09:30:00.000Z"}
    assert [c["CustomerNumber"] for c in first.json()["Data"]] == ["H0", "H1"]
    assert [c["CustomerNumber"] for c in last.json()["Data"]] == ["H4"]
    assert 'rel="next"' in first["Link"] and "%24page=2" in first["Link"]
    assert 'rel="next"' not in last["Link"]
    default = api.get("customers").json()["Meta"]
    assert default["PageSize"] == 50 and default["TotalNumberOfPages"] == 1


def test_page_size_above_a_thousand_and_bad_numbers_are_query_errors(api):
    assert error(api.get("customers", **{"$pagesize": 1001}))["ErrorCode"] == 6000
    assert error(api.get("customers", **{"$page": "zero"}))["ErrorCode"] == 6000


def test_changed_since_filter_finds_what_changed_after_the_watermark(api, company, frozen):
    old = new_customer(api, company, CustomerNumber="H1")
    watermark = api.get("customers").json()["Meta"]["ServerTimeUtc"]
    frozen.shift(timedelta(seconds=1))
    new = new_customer(api, company, CustomerNumber="H2")

    for expression in (f"ChangedUtc gt {watermark}", f"ChangedUtc gt datetime'{watermark}'"):
        found = api.get("customers", **{"$filter": expression}).json()
        assert [c["Id"] for c in found["Data"]] == [new["Id"]], expression
    everything = api.get("customers", **{"$filter": "ChangedUtc ge 2026-11-20T09:30:00Z"})
    assert {c["Id"] for c in everything.json()["Data"]} == {old["Id"], new["Id"]}


@pytest.mark.parametrize("expression, expected", [
    ("CorporateIdentityNumber eq '769600-1234'", ["H1"]),
    ("EmailAddress eq 'INFO@ASK.SE'", ["H2"]),
    ("CustomerNumber eq 'h2'", ["H2"]),
    ("CustomerNumber eq 'H1' or CustomerNumber eq 'H2'", ["H1", "H2"]),
    ("startswith(Name,'Brf') and IsActive eq true", ["H1"]),
    ("not (IsActive eq true)", ["H2"]),
    ("Telephone eq null", ["H1"]),
    ("contains(EmailAddress,'@ask')", ["H2"]),
])
def test_filters_on_the_fields_a_client_matches_by(api, company, expression, expected):
    new_customer(api, company, CustomerNumber="H1")
    new_customer(api, company, CustomerNumber="H2", Name="Ask AB", IsActive=False,
                 CorporateIdentityNumber="556000-0001", EmailAddress="info@ask.se",
                 Telephone="08-2")

    found = api.get("customers", **{"$filter": expression})

    assert found.status_code == 200, found.content
    assert [c["CustomerNumber"] for c in found.json()["Data"]] == expected


@pytest.mark.parametrize("expression, code", [
    ("Name eq", 6000), ("Secret eq 'x'", 6000), ("Name eq 'x' and", 6000),
    ("ChangedUtc gt 'yesterday'", 6000), ("ChangedUtc gt 2026-13-45T00:00:00Z", 6001),
    ("Name gt true", 6000),
])
def test_a_filter_that_cannot_be_read_says_so(api, expression, code):
    response = api.get("customers", **{"$filter": expression})

    assert response.status_code == 400 and error(response)["ErrorCode"] == code


# -- articles --------------------------------------------------------------------------------------

def test_an_article_gets_its_gross_price_from_the_codings_vat(api, company):
    coding = ref_id(company, "articleaccountcoding", "Tjänster 25 %")
    unit = ref_id(company, "unit", "tim")
    body = {"Number": "ARB-2", "Name": "Arbete lärling", "IsActive": True, "CodingId": coding,
            "UnitId": unit, "NetPrice": 400}

    created = api.post("articles", body)
    wrong = api.post("articles", {**body, "Number": "ARB-3", "GrossPrice": 450})
    taken = api.post("articles", body)
    seeded = api.post("articles", {**body, "Number": "ARB"})

    assert created.status_code == 201 and created.json()["GrossPrice"] == 500.0
    assert created.json()["UnitAbbreviation"] == "tim" and created.json()["IsServiceArticle"]
    assert error(wrong)["Errors"][0]["Field"] == "GrossPrice"
    assert error(taken)["ErrorCode"] == 4000 and error(seeded)["ErrorCode"] == 4000
    listed = api.get("articles", **{"$filter": "Number eq 'ARB-2'"}).json()["Data"]
    assert [a["Id"] for a in listed] == [created.json()["Id"]]
