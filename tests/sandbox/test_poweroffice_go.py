"""The PowerOffice Go simulator through HTTP, as the hub's client meets it: token, gateway, the
resources, invoice sending, payments from the accountant page, onboarding and offboarding.
Each test gets a fresh company from `seed_company`, so none depends on another's state."""

import base64
import itertools
import json
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from sandbox.framework.ratelimit import reset_all
from sandbox.models import SandboxRecord, SandboxTenant
from sandbox.poweroffice_go import ledger, seed
from sandbox.poweroffice_go.simulator import simulator

BASE = "/sandbox/poweroffice_go"
SUBSCRIPTION = {"Ocp-Apim-Subscription-Key": seed.SUBSCRIPTION_KEY}
CLIENT_NOT_FOUND = ("Client integration not found. Please ensure the provided keys are matching "
                    "the desired environment.")


@pytest.fixture(autouse=True)
def unhurried_clock(monkeypatch):
    """The limiter sees 0.11 s between requests, so a test may send as many as it needs; the
    rate-limit test stops the clock instead."""
    ticks = itertools.count(0, 0.11)
    monkeypatch.setattr(simulator.rate_limit, "clock", lambda: next(ticks))
    reset_all()


@pytest.fixture
def app(db):
    return seed.ensure_developer_app()


@pytest.fixture
def company(app):
    return seed.seed_company("Testbil AS", organization_number="911222333")


def basic(application_key, client_key):
    raw = f"{application_key}:{client_key}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def token_request(client, application_key=seed.APPLICATION_KEY, client_key="", *,
                  headers=None, data="grant_type=client_credentials",
                  content_type="application/x-www-form-urlencoded; charset=utf-8"):
    sent = {**SUBSCRIPTION, **basic(application_key, client_key), **(headers or {})}
    return client.post(f"{BASE}/OAuth/Token", data, content_type=content_type, headers=sent)


class Go:
    """A client company's API, with a token from the token endpoint."""

    def __init__(self, client, tenant):
        self.client, self.tenant = client, tenant
        response = token_request(client, client_key=tenant.secret)
        assert response.status_code == 200, response.content
        bearer = f"Bearer {response.json()['access_token']}"
        self.headers = {**SUBSCRIPTION, "Authorization": bearer}

    def get(self, path, params=None):
        return self.client.get(f"{BASE}/v2/{path}", params or {}, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(f"{BASE}/v2/{path}", json.dumps(body) if body is not None else "",
                                content_type="application/json", headers=self.headers)

    def patch(self, path, operations, content_type="application/json-patch+json"):
        return self.client.patch(f"{BASE}/v2/{path}", json.dumps(operations),
                                 content_type=content_type, headers=self.headers)

    def customer(self, **fields):
        body = {"Name": "Kari Nordmann AS", "EmailAddress": "kari@example.no", **fields}
        response = self.post("Customers", body)
        assert response.status_code == 201, response.content
        return response.json()

    def product(self, code, account, price):
        response = self.post("Products", {"Code": code, "Name": code.title(),
                                          "StandardSalesAccount": account, "UnitPrice": price})
        assert response.status_code == 201, response.content
        return response.json()

    def order(self, customer, lines, **header):
        body = {"CustomerId": customer["Id"], "SalesOrderLines": lines, **header}
        response = self.post("SalesOrders/Complete", body)
        assert response.status_code == 201, response.content
        return response.json()

    def car_order(self, **header):
        customer = self.customer()
        if self.get("Products", {"codes": "CAR"}).status_code == 204:
            self.product("CAR", 3010, 300000)
            self.product("TOWBAR", 3020, 8000)
        return self.order(customer, [
            {"ProductCode": "CAR", "Quantity": 1, "Description": "Toyota bZ4X"},
            {"ProductCode": "TOWBAR", "Quantity": 1, "ProductUnitPrice": 10000},
        ], **header)

    def send(self, order_id, body=None):
        return self.post(f"SalesOrders/{order_id}/createAndSendInvoice", body or {})


@pytest.fixture
def go(client, company):
    return Go(client, company)


# -- token -----------------------------------------------------------------------------------------

def test_token_is_a_twenty_minute_bearer_token_without_refresh_token(client, company):
    response = token_request(client, client_key=company.secret)

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 1200)
    claims = body["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["ClientId"] == company.external_id
    assert claims["goAllowSendInvoice"] == "True"


@pytest.mark.parametrize("case, expected", [
    ("wrong client key", ("invalid_client", CLIENT_NOT_FOUND)),
    ("wrong application key", ("invalid_client", CLIENT_NOT_FOUND)),
    ("password grant", ("unsupported_grant_type", None)),
    ("no grant type", ("invalid_request", None)),
    ("json body", ("invalid_request", None)),
    ("no basic auth", ("invalid_client", None)),
])
def test_token_errors_are_400_in_the_oauth_shape(client, company, case, expected):
    kwargs = {"client_key": company.secret}
    if case == "wrong client key":
        kwargs["client_key"] = "c0ffee00-0000-4000-8000-000000000000"
    elif case == "wrong application key":
        kwargs["application_key"] = "11111111-2222-4333-8444-555555555555"
    elif case == "password grant":
        kwargs["data"] = "grant_type=password&username=a&password=b"
    elif case == "no grant type":
        kwargs["data"] = "scope=all"
    elif case == "json body":
        kwargs.update(data='{"grant_type": "client_credentials"}',
                      content_type="application/json")
    elif case == "no basic auth":
        kwargs["headers"] = {"Authorization": "Bearer nothing"}

    response = token_request(client, **kwargs)

    error, description = expected
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert "refresh_token" not in response.json()
    if description:
        assert response.json()["error_description"] == description


def test_token_needs_the_subscription_key(client, company):
    response = client.post(f"{BASE}/OAuth/Token", "grant_type=client_credentials",
                           content_type="application/x-www-form-urlencoded",
                           headers=basic(seed.APPLICATION_KEY, company.secret))

    assert response.status_code == 401
    assert response.json()["message"].startswith("Access denied due to missing subscription key")


# -- gateway ---------------------------------------------------------------------------------------

def test_api_calls_need_the_subscription_key_and_a_bearer_token(client, go):
    bearer = {"Authorization": go.headers["Authorization"]}
    url = f"{BASE}/v2/VatCodes"

    no_key = client.get(url, headers=bearer)
    wrong_key = client.get(url, headers={**bearer, "Ocp-Apim-Subscription-Key": "f" * 32})
    key_in_query = client.get(url, {"subscription-key": seed.SUBSCRIPTION_KEY}, headers=bearer)
    no_token = client.get(url, headers=SUBSCRIPTION)

    assert no_key.status_code == 401
    assert no_key.json() == {
        "statusCode": 401,
        "message": "Access denied due to missing subscription key. Make sure to include "
                   "subscription key when making requests to an API."}
    assert wrong_key.status_code == 401
    assert "invalid subscription key" in wrong_key.json()["message"]
    assert key_in_query.status_code == 200
    assert no_token.status_code == 401 and no_token.json()["statusCode"] == 401


@pytest.mark.parametrize("method, path", [
    ("post", "v2/SalesOrders"), ("get", "v2/NoSuchThing"), ("put", "v2/Customers"),
    ("post", "v2/OutgoingInvoices"),
])
def test_routes_the_gateway_does_not_publish_are_its_404(client, go, method, path):
    response = getattr(client, method)(f"{BASE}/{path}", headers=go.headers)

    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Resource not found"}


def test_paths_are_case_insensitive(client, go):
    assert client.get(f"{BASE}/v2/vatcodes", headers=go.headers).status_code == 200


# -- lists, reference data ------------------------------------------------------------------------

def test_an_empty_list_is_204_without_a_body(go):
    response = go.get("Customers")

    assert response.status_code == 204
    assert response.content == b""


def test_reference_data_of_a_new_company(go):
    vat = {row["Code"]: row["Rate"] for row in go.get("VatCodes").json()}
    sales_accounts = go.get("GeneralLedgerAccounts", {"accountNos": "3000-3999"}).json()
    chosen = go.get("GeneralLedgerAccounts", {"accountNos": "3000, 3200,3600-"}).json()
    terms = go.get("PaymentTerms").json()

    assert (vat["3"], vat["5"], vat["6"]) == (0.25, 0.0, 0.0)
    assert {row["AccountNo"]: row["VatCode"] for row in sales_accounts} == {
        3000: "3", 3010: "3", 3020: "3", 3100: "3", 3200: "5", 3600: "6"}
    assert [row["AccountNo"] for row in chosen] == [3000, 3200, 3600, 4000]
    assert sorted((row["CreditDays"], row["IsDefault"]) for row in terms) == [
        (14, True), (30, False)]
    assert go.get("Projects").json()[0]["Code"] == "P100"
    assert go.get("Departments").json()[0]["Code"] == "100"


def test_fields_and_paging(go):
    for number in range(3):
        go.customer(Name=f"Kunde {number}")

    page = go.get("Customers", {"Fields": "Id,Name", "PageSize": 2, "PageNumber": 2})
    beyond = go.get("Customers", {"PageSize": 2, "PageNumber": 3})
    bad_field = go.get("Customers", {"Fields": "Id,Navn"})

    assert page.json() == [{"Id": page.json()[0]["Id"], "Name": "Kunde 2"}]
    assert beyond.status_code == 204
    assert bad_field.status_code == 400 and "Navn" in bad_field.json()["detail"]


# -- customers and products ------------------------------------------------------------------------

def test_customer_create_search_and_duplicate_reference(go):
    created = go.customer(ExternalImportReference="hub-1-customer-7",
                          MailAddress={"AddressLine1": "Storgata 1", "ZipCode": "0155",
                                       "City": "Oslo", "CountryCode": "NO"})
    second = go.customer(Name="Ola AS")

    found = go.get("Customers", {"externalImportReference": "hub-1-customer-7"})
    duplicate = go.post("Customers", {"Name": "Again AS",
                                      "ExternalImportReference": "HUB-1-customer-7"})
    too_long = go.post("Customers", {"Name": "Long AS", "ExternalImportReference": "x" * 51})

    assert isinstance(created["Id"], int) and created["Number"] == 10000
    assert second["Number"] == 10001
    assert created["MailAddress"]["City"] == "Oslo" and created["LastChangedDateTimeOffset"]
    assert [row["Id"] for row in found.json()] == [created["Id"]]
    assert duplicate.status_code == 400
    assert "ExternalImportReference" in duplicate.json()["detail"]
    assert too_long.status_code == 400


def test_unknown_property_is_a_400_naming_it(go):
    customer = go.post("Customers", {"Name": "Kari AS", "Navn": "Kari"})
    line = go.post("SalesOrders/Complete", {"CustomerNo": 10000, "SalesOrderLines": [
        {"ProductCode": "CAR", "Quantity": 1, "VatCode": "3"}]})
    wrong_type = go.post("Customers", {"Name": "Kari AS", "Number": "ti tusen"})

    assert customer.status_code == 400
    assert customer["Content-Type"] == "application/problem+json"
    assert set(customer.json()) >= {"type", "title", "status", "detail", "instance"}
    assert "Navn" in customer.json()["detail"] and "$.Navn" in customer.json()["errors"]
    assert line.status_code == 400 and "SalesOrderLines[0].VatCode" in line.json()["detail"]
    assert wrong_type.status_code == 400 and "$.Number" in wrong_type.json()["errors"]


def test_customer_person_rules_and_json_patch(go):
    person = go.post("Customers", {"IsPerson": True, "FirstName": "Kari"})
    created = go.customer(MailAddress={"ZipCode": "0155", "City": "Oslo"})
    without_address = go.customer(Name="Uten Adresse AS")

    patched = go.patch(f"Customers/{created['Id']}", [
        {"op": "replace", "path": "/emailAddress", "value": "faktura@example.no"},
        {"op": "replace", "path": "/MailAddress/City", "value": "Bergen"}])
    wrong_type = go.patch(f"Customers/{created['Id']}",
                          [{"op": "replace", "path": "/EmailAddress", "value": "x@y.no"}],
                          content_type="application/json")
    unknown = go.patch(f"Customers/{created['Id']}",
                       [{"op": "replace", "path": "/Epost", "value": "x@y.no"}])

    assert person.status_code == 400 and "LastName" in person.json()["detail"]
    assert patched.status_code == 200, patched.content
    assert patched.json()["EmailAddress"] == "faktura@example.no"
    assert patched.json()["MailAddress"]["City"] == "Bergen"
    assert patched.json()["LastChangedDateTimeOffset"] > created["LastChangedDateTimeOffset"]
    assert wrong_type.status_code == 415
    assert unknown.status_code == 400 and "Epost" in unknown.json()["detail"]
    half_address = go.patch(f"Customers/{without_address['Id']}",
                            [{"op": "add", "path": "/MailAddress/City", "value": "Oslo"}])
    assert half_address.status_code == 400 and "ZipCode" in half_address.json()["detail"]
    assert go.patch(f"Customers/{without_address['Id']}", [
        {"op": "replace", "path": "/PhoneNumber", "value": "+47 22 00 00 00"}]).status_code == 200
    assert go.get("Customers/999").status_code == 404
    assert go.get("Customers/999").json()["title"] == "Object(s) not found"


def test_product_needs_an_existing_sales_account(go):
    created = go.product("CAR", 3010, 300000)
    unknown = go.post("Products", {"Code": "X", "Name": "X", "StandardSalesAccount": 3999})
    nameless = go.post("Products", {"Code": "Y"})

    assert (created["StandardSalesAccount"], created["StandardSalesAccountId"] > 0) == (3010, True)
    assert [row["Id"] for row in go.get("Products", {"codes": "car"}).json()] == [created["Id"]]
    assert unknown.status_code == 400 and "3999" in unknown.json()["detail"]
    assert nameless.status_code == 400 and "Name" in nameless.json()["detail"]


def test_product_patch_moves_the_sales_account_and_so_the_vat(go):
    created = go.product("FEE", 3000, 500)

    patched = go.patch(f"Products/{created['Id']}",
                       [{"op": "replace", "path": "/StandardSalesAccount", "value": 3600}])
    order = go.order(go.customer(), [{"ProductCode": "FEE", "Quantity": 1}])

    assert patched.status_code == 200
    assert patched.json()["StandardSalesAccount"] == 3600
    assert patched.json()["StandardSalesAccountId"] != created["StandardSalesAccountId"]
    assert order["SalesOrderLines"][0]["VatCode"] == "6"


# -- sales orders ----------------------------------------------------------------------------------

def test_order_vat_comes_from_the_products_sales_account(go):
    customer = go.customer()
    go.product("CAR", 3000, 300000)
    go.product("TOWBAR", 3020, 8000)
    go.product("REGFEE", 3600, 6000)

    order = go.order(customer, [
        {"ProductCode": "CAR", "Quantity": 1, "Description": "Toyota bZ4X"},
        {"ProductCode": "TOWBAR", "Quantity": 2, "ProductUnitPrice": 5000, "Allowance": 10},
        {"ProductCode": "REGFEE", "Quantity": 1},
        {"LineType": "Text", "Description": "Levering uke 12"},
    ], ExternalImportReference="hub-1-order-1", CustomMatchingReference="contract-1")

    car, towbar, fee, text = order["SalesOrderLines"]
    assert (car["VatCode"], car["VatRate"], car["NetAmount"], car["VatAmount"],
            car["TotalAmount"]) == ("3", 0.25, 300000.0, 75000.0, 375000.0)
    assert car["Description"] == "Toyota bZ4X"
    assert (towbar["NetAmount"], towbar["VatAmount"], towbar["TotalAmount"]) == (
        9000.0, 2250.0, 11250.0)
    assert (fee["VatCode"], fee["VatAmount"], fee["TotalAmount"]) == ("6", 0.0, 6000.0)
    assert fee["Description"] == "Regfee"  # the product name when none is given
    assert text["TotalAmount"] == 0.0
    assert (order["NetAmount"], order["TotalAmount"]) == (315000.0, 392250.0)
    assert order["SalesOrderNo"] == 10001 and order["SalesOrderStatus"] == "Draft"
    assert order["IsCreatedByCurrentIntegration"] is True
    assert order["CustomerNo"] == customer["Number"]


def test_vat_free_customer_and_use_standard_false_take_the_optional_account(go):
    customer = go.customer(IsVatFree=True)
    go.post("Products", {"Code": "CAR", "Name": "Car", "StandardSalesAccount": 3000,
                         "OptionalSalesAccount": 3200, "UnitPrice": 1000})

    order = go.order(customer, [{"ProductCode": "CAR", "Quantity": 1},
                                {"ProductCode": "CAR", "Quantity": 1,
                                 "UseStandardSalesAccount": True}])

    assert [line["VatCode"] for line in order["SalesOrderLines"]] == ["5", "3"]


def test_order_refusals_name_what_is_wrong(go):
    customer = go.customer()
    go.product("CAR", 3000, 1000)
    go.order(customer, [{"ProductCode": "CAR", "Quantity": 1}], ExternalImportReference="ref-1")

    def refused(body):
        response = go.post("SalesOrders/Complete", body)
        assert response.status_code == 400
        return response.json()["detail"]

    assert "NOPE" in refused({"CustomerId": customer["Id"],
                              "SalesOrderLines": [{"ProductCode": "NOPE", "Quantity": 1}]})
    assert "99999" in refused({"CustomerNo": 99999, "SalesOrderLines": []})
    assert "Quantity" in refused({"CustomerId": customer["Id"],
                                  "SalesOrderLines": [{"ProductCode": "CAR"}]})
    assert "ref-1" in refused({"CustomerId": customer["Id"], "ExternalImportReference": "ref-1",
                               "SalesOrderLines": [{"ProductCode": "CAR", "Quantity": 1}]})


def test_order_lists_and_reads(go):
    order = go.car_order()
    before = order["LastChangedDateTimeOffset"]

    listed = go.get("SalesOrders", {"onlyCreatedByCurrentIntegration": "true"}).json()
    header = go.get(f"SalesOrders/{order['Id']}").json()
    complete = go.get(f"SalesOrders/{order['Id']}/Complete").json()
    since = go.get("SalesOrders", {"lastChangedDateTimeOffsetGreaterThan": before})
    bad_stamp = go.get("SalesOrders", {"lastChangedDateTimeOffsetGreaterThan": "yesterday"})

    assert [row["Id"] for row in listed] == [order["Id"]]
    assert "SalesOrderLines" not in header and header["LineCount"] == 2
    assert complete["SalesOrderLines"] == order["SalesOrderLines"]
    assert since.status_code == 204  # exclusive
    assert header["PaymentTerm"] is None
    inherited = go.get(f"SalesOrders/{order['Id']}", {"showInherited": "true"}).json()
    assert inherited["PaymentTerm"] == 14
    assert bad_stamp.status_code == 400


# -- sending ---------------------------------------------------------------------------------------

def test_create_and_send_invoice_then_sent_state_then_the_invoice_with_the_same_id(go):
    order = go.car_order(CustomMatchingReference="contract-42",
                         ExternalImportReference="hub-order-42")

    sent = go.send(order["Id"], {"DeliveryType": "PdfByEmail",
                                 "EmailAddress": "kari@example.no"})
    first = go.get("SalesOrders/sentState", {"id": order["Id"]}).json()
    second = go.get("SalesOrders/sentState", {"id": order["Id"]}).json()
    invoice = go.get(f"OutgoingInvoices/{order['Id']}").json()
    again = go.send(order["Id"])

    assert sent.status_code == 202
    assert sent["Location"].endswith(f"{BASE}/v2/SalesOrders/sentState?id={order['Id']}")
    assert sent.json()["Id"] == order["Id"]
    assert first == [{"Id": order["Id"], "IsInvoiceBeingProcessed": True,
                      "SentDateTimeOffset": None, "InvoiceNo": None, "DueDate": None,
                      "InvoiceDeliveryType": None, "LastErrorMessage": None}]
    assert second[0]["IsInvoiceBeingProcessed"] is False and second[0]["SentDateTimeOffset"]
    assert second[0]["InvoiceNo"] == invoice["InvoiceNo"] == 10001
    assert second[0]["InvoiceDeliveryType"] == "PdfByEmail"
    today = timezone.localdate()
    assert invoice["Id"] == order["Id"]
    assert (invoice["VoucherDate"], invoice["DueDate"]) == (
        today.isoformat(), (today + timedelta(days=14)).isoformat())
    assert invoice["TotalAmount"] == invoice["Balance"] == order["TotalAmount"] == 387500.0
    assert invoice["NetPostedAmount"] == order["NetAmount"]
    assert invoice["Cid"].startswith(f"{invoice['CustomerNo']:05d}") and len(invoice["Cid"]) == 13
    assert (invoice["CustomMatchingReference"], invoice["ExternalImportReference"]) == (
        "contract-42", "hub-order-42")
    assert invoice["MatchId"] is None and invoice["IsCreatedByCurrentIntegration"] is True
    assert again.status_code == 400 and "already" in again.json()["detail"]
    assert go.get(f"SalesOrders/{order['Id']}").status_code == 404


def test_due_date_from_payment_term_or_override(go):
    customer = go.customer()
    go.product("CAR", 3000, 1000)
    terms = {row["CreditDays"]: row["Id"] for row in go.get("PaymentTerms").json()}
    by_term = go.order(customer, [{"ProductCode": "CAR", "Quantity": 1}],
                       PaymentTermId=terms[30])
    overridden = go.order(customer, [{"ProductCode": "CAR", "Quantity": 1}])

    go.send(by_term["Id"], {"VoucherDate": "2025-03-01"})
    go.send(overridden["Id"], {"VoucherDate": "2025-03-01", "OverrideDueDate": "2025-03-05"})

    assert go.get(f"OutgoingInvoices/{by_term['Id']}").json()["DueDate"] == "2025-03-31"
    assert go.get(f"OutgoingInvoices/{overridden['Id']}").json()["DueDate"] == "2025-03-05"


def test_pdf_by_email_without_any_address_is_posted_but_not_sent(go):
    customer = go.customer(EmailAddress=None)
    go.product("CAR", 3000, 1000)
    order = go.order(customer, [{"ProductCode": "CAR", "Quantity": 1}])

    assert go.send(order["Id"], {"DeliveryType": "PdfByEmail"}).status_code == 202
    go.get("SalesOrders/sentState", {"id": order["Id"]})
    state = go.get("SalesOrders/sentState", {"id": order["Id"]}).json()[0]

    assert state["SentDateTimeOffset"] is None and "e-mail" in state["LastErrorMessage"]
    assert go.get(f"OutgoingInvoices/{order['Id']}").json()["SentDateTimeOffset"] is None


def test_without_the_send_privilege_sending_is_a_missing_privilege_400(client, app):
    tenant = seed.seed_company("Uten Faktura AS", allow_send_invoice=False)
    go = Go(client, tenant)
    order = go.car_order()

    info = go.get("ClientIntegrationInformation").json()
    response = go.send(order["Id"], {"DeliveryType": "PdfPrintForDownload"})

    assert info["AllowSendInvoice"] is False
    assert info["InvalidPrivileges"] == [seed.SEND_INVOICE_PRIVILEGE]
    assert seed.SEND_INVOICE_PRIVILEGE not in info["ValidPrivileges"]
    assert info["ClientId"] == tenant.external_id and info["ClientName"] == "Uten Faktura AS"
    assert response.status_code == 400
    assert response.json()["title"] == "Missing privilege"
    assert response.json()["detail"] == ("The integration does not have the required privileges "
                                         "to send invoices.")
    assert go.get("OutgoingInvoices").status_code == 204


# -- payments --------------------------------------------------------------------------------------

def test_payments_on_the_accountant_page_move_balance_and_the_changed_since_feed(client, go):
    order = go.car_order()
    cursor = timezone.now().isoformat()
    go.send(order["Id"], {"DeliveryType": "PdfPrintForDownload"})

    def changed_since(moment):
        response = go.get("OutgoingInvoices",
                          {"balanceLastChangedDateTimeOffsetGreaterThan": moment})
        return [] if response.status_code == 204 else response.json()

    def pay(amount):
        response = client.post(f"{BASE}/accountant/", {
            "tenant": go.tenant.external_id, "invoice": order["Id"], "amount": amount,
            "paid_on": "2025-03-10"})
        assert response.status_code == 302, response.content

    new = changed_since(cursor)
    cursor = new[0]["BalanceLastChangedDateTimeOffset"]
    assert [row["Id"] for row in new] == [order["Id"]] and changed_since(cursor) == []

    pay("100 000,50")
    partial = changed_since(cursor)
    cursor = partial[0]["BalanceLastChangedDateTimeOffset"]
    assert [row["Balance"] for row in partial] == [287499.5] and changed_since(cursor) == []
    assert partial[0]["LastChangedDateTimeOffset"] == cursor
    assert len(go.get("OutgoingInvoices", {"onlyUnpaidInvoices": "true"}).json()) == 1

    pay("287499,50")
    paid = changed_since(cursor)
    assert [row["Balance"] for row in paid] == [0.0]
    assert changed_since(paid[0]["BalanceLastChangedDateTimeOffset"]) == []
    assert go.get("OutgoingInvoices", {"onlyUnpaidInvoices": "true"}).status_code == 204

    entries = go.get("Customerledger/EntriesByMatchId", {"matchId": paid[0]["MatchId"]}).json()
    assert [(row["VoucherType"], row["Amount"], row["Balance"]) for row in entries] == [
        ("OutgoingInvoice", 387500.0, 0.0), ("IncomingPayments", -100000.5, 0.0),
        ("IncomingPayments", -287499.5, 0.0)]
    page = client.get(f"{BASE}/accountant/", {"tenant": go.tenant.external_id})
    assert "Paid" in page.content.decode()


def test_an_overpayment_is_refused_on_the_accountant_page(client, go):
    order = go.car_order()
    go.send(order["Id"])

    response = client.post(f"{BASE}/accountant/", {
        "tenant": go.tenant.external_id, "invoice": order["Id"], "amount": "400000",
        "paid_on": "2025-03-10"})

    assert response.status_code == 400
    assert go.get(f"OutgoingInvoices/{order['Id']}").json()["Balance"] == 387500.0


def test_invoice_filters(go):
    first, second = go.car_order(CustomMatchingReference="c-1"), go.car_order()
    go.send(first["Id"], {"VoucherDate": "2025-01-15"})
    go.send(second["Id"], {"VoucherDate": "2025-02-15"})

    def ids(**params):
        response = go.get("OutgoingInvoices", params)
        return [] if response.status_code == 204 else [row["Id"] for row in response.json()]

    assert ids(customMatchingReferences="c-1") == [first["Id"]]
    assert ids(invoiceIds=second["Id"]) == [second["Id"]]
    assert ids(invoiceNos="10002-") == [second["Id"]]
    assert ids(fromDate="2025-02-01", toDate="2025-02-15") == [second["Id"]]
    assert ids(toDate="2025-01-15T23:59:00+01:00") == [first["Id"]]


# -- onboarding and offboarding -------------------------------------------------------------------

def initiate(client, **body):
    body = {"ApplicationKey": seed.APPLICATION_KEY,
            "RedirectUri": "http://localhost:8000/poweroffice/callback?state=abc123", **body}
    return client.post(f"{BASE}/v2/Onboarding/Initiate", json.dumps(body),
                       content_type="application/json", headers=SUBSCRIPTION)


def finalize(client, onboarding_token):
    return client.post(f"{BASE}/v2/Onboarding/Finalize",
                       json.dumps({"OnboardingToken": onboarding_token}),
                       content_type="application/json", headers=SUBSCRIPTION)


def test_onboarding_initiate_consent_finalize_then_the_client_key_works(client, company):
    started = initiate(client, ClientOrganizationNo="911 222 333")
    page_url = urlsplit(started.json()["TemporaryUrl"]).path
    page = client.get(page_url)
    approved = client.post(page_url, {"decision": "approve", "client": company.external_id,
                                      "user_email": "eier@testbil.no"})
    redirect = urlsplit(approved["Location"])
    query = parse_qs(redirect.query)
    finalized = finalize(client, query["token"][0])
    twice = finalize(client, query["token"][0])

    assert started.status_code == 200 and started.json()["ValidUntilDateTimeOffset"]
    assert "Testbil AS" in page.content.decode()
    assert approved.status_code == 302
    assert (redirect.netloc, redirect.path) == ("localhost:8000", "/poweroffice/callback")
    assert query["state"] == ["abc123"] and query["status"] == ["Success"]
    assert finalized.status_code == 200
    assert finalized.json() == {"UserEmail": "eier@testbil.no", "OnboardedClientsInformation": [
        {"ClientKey": company.secret, "ClientName": "Testbil AS",
         "ClientOrganizationNumber": "911222333"}]}
    assert twice.status_code == 400
    assert token_request(client, client_key=company.secret).status_code == 200


def test_onboarding_declined_and_refused_redirects(client, company):
    started = initiate(client)
    declined = client.post(urlsplit(started.json()["TemporaryUrl"]).path, {"decision": "cancel"})
    foreign = initiate(client, RedirectUri="https://evil.example/callback")
    other_app = initiate(client, ApplicationKey="11111111-2222-4333-8444-555555555555")

    assert parse_qs(urlsplit(declined["Location"]).query) == {"state": ["abc123"],
                                                              "status": ["Cancelled"]}
    assert foreign.status_code == 400 and "whitelisted" in foreign.json()["detail"]
    assert other_app.status_code == 400


def test_onboarding_an_unknown_org_number_offers_a_new_demo_company(client, app):
    started = initiate(client, ClientOrganizationNo="923456789")
    page_url = urlsplit(started.json()["TemporaryUrl"]).path
    page = client.get(page_url).content.decode()
    approved = client.post(page_url, {"decision": "approve", "new_company_name": "Ny Bil AS",
                                      "new_company_org_no": "923456789"})
    onboarded = finalize(client, parse_qs(urlsplit(approved["Location"]).query)["token"][0])

    assert "You have access to no client with organisation number 923456789" in page
    client_info = onboarded.json()["OnboardedClientsInformation"]
    assert [(c["ClientName"], c["ClientOrganizationNumber"]) for c in client_info] == [
        ("Ny Bil AS", "923456789")]
    assert token_request(client, client_key=client_info[0]["ClientKey"]).status_code == 200


def test_offboarding_removes_the_integration_and_the_key_stops_working(client, go):
    removed = client.delete(f"{BASE}/v2/Offboarding/RemoveIntegration", headers=go.headers)

    assert removed.status_code == 200
    assert removed.json() == {"Success": True, "Message": removed.json()["Message"],
                              "RemoveFactoring": False, "ResetInvoiceFinancing": False}
    refused = token_request(client, client_key=go.tenant.secret)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_client", "error_description": CLIENT_NOT_FOUND}
    assert go.get("VatCodes").status_code == 401

    started = initiate(client)
    page_url = urlsplit(started.json()["TemporaryUrl"]).path
    approved = client.post(page_url, {"decision": "approve", "client": go.tenant.external_id})
    onboarded = finalize(client, parse_qs(urlsplit(approved["Location"]).query)["token"][0])
    new_key = onboarded.json()["OnboardedClientsInformation"][0]["ClientKey"]
    assert new_key != go.tenant.secret
    assert token_request(client, client_key=new_key).status_code == 200


# -- rate limit ------------------------------------------------------------------------------------

def test_the_eleventh_request_in_one_second_is_a_429_in_the_apim_shape(client, go, monkeypatch):
    monkeypatch.setattr(simulator.rate_limit, "clock", lambda: 1000.0)
    reset_all()
    other = Go(client, seed.seed_company("Annen Bil AS"))  # same subscription key
    reset_all()

    statuses = [go.get("VatCodes").status_code for _ in range(6)]
    statuses += [other.get("VatCodes").status_code for _ in range(4)]
    refused = other.get("VatCodes")

    assert statuses == [200] * 10
    assert refused.status_code == 429
    assert refused.json() == {"statusCode": "429",
                              "message": "Rate limit is exceeded. Try again in 1 seconds."}
    assert refused["Retry-After"] == "1"


# -- seed and the web UI ---------------------------------------------------------------------------

def test_seed_is_idempotent_and_publishes_the_demo_keys(client, db):
    seed.seed()
    seed.seed()

    companies = SandboxTenant.objects.filter(provider="poweroffice_go")
    assert sorted(c.name for c in companies) == ["Nordbil Demo AS", "Uten Fakturatilgang AS"]
    assert SandboxRecord.objects.filter(tenant__in=companies, kind="vat_code").count() == 14
    for company in seed.DEMO_COMPANIES:
        response = token_request(client, client_key=company.client_key)
        assert response.status_code == 200
        info = client.get(f"{BASE}/v2/ClientIntegrationInformation", headers={
            **SUBSCRIPTION, "Authorization": f"Bearer {response.json()['access_token']}"}).json()
        assert info["AllowSendInvoice"] is company.allow_send_invoice
        assert info["ClientId"] == company.client_id


def test_the_go_screens_show_the_order_and_the_invoice(client, go):
    order = go.car_order()
    draft = client.get(f"{BASE}/go/salesorders/{order['Id']}")
    go.send(order["Id"])
    invoiced = client.get(f"{BASE}/go/salesorders/{order['Id']}")
    invoice = client.get(f"{BASE}/go/invoices/{order['Id']}")
    index = client.get(f"{BASE}/go/", {"client": go.tenant.external_id})

    assert draft.status_code == 200 and "Toyota bZ4X" in draft.content.decode()
    assert "invoice 10001" in invoiced.content.decode()
    assert invoice.status_code == 200 and "10001" in invoice.content.decode()
    assert order["Id"] in index.content.decode()
    assert client.get(f"{BASE}/go/invoices/{uuid.uuid4()}").status_code == 404


def test_kid_has_a_mod10_check_digit():
    assert ledger.kid(10000, 10001) == "1000000100015"
