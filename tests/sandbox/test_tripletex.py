"""The Tripletex simulator through HTTP (Django's test client), as the hub's client meets it:
session tokens, the `{value}`/`{values}` wrappers, `fields`, required date ranges, `version`,
the error envelope, and the dealer's flow customer -> product -> order -> invoice -> payment.
Answers are validated against the published spec. Each test gets a fresh company."""

import base64
import itertools
import json
from datetime import timedelta

import pytest
import time_machine

from sandbox.tripletex import seed, store
from sandbox.tripletex.simulator import RATE_LIMIT
from tests.sandbox.test_tripletex_spec import validate

BASE = "/sandbox/tripletex/v2"


@pytest.fixture(autouse=True)
def unhurried_clock(monkeypatch):
    """The limiter's clock moves 1 ms per request, so no test here runs out of its budget; the
    rate-limit tests set their own clock."""
    ticks = itertools.count(0, 0.001)
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: next(ticks))
    RATE_LIMIT.reset()


@pytest.fixture
def company(db):
    return seed.seed_company("Testbil AS", organization_number="911222333")


def tomorrow():
    return (store.today() + timedelta(days=1)).isoformat()


def create_session(client, employee_token, consumer_token=seed.CONSUMER_TOKEN,
                   expiration=None):
    return client.post(f"{BASE}/token/session/:create",
                       json.dumps({"consumerToken": consumer_token,
                                   "employeeToken": employee_token,
                                   "expirationDate": expiration or tomorrow()}),
                       content_type="application/json")


def basic(session_token, company_id="0"):
    raw = f"{company_id}:{session_token}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class Tripletex:
    """One company's API through a session made from its employee token."""

    def __init__(self, client, tenant):
        self.client, self.tenant = client, tenant
        response = create_session(client, tenant.secret)
        assert response.status_code == 201, response.content
        self.token = response.json()["value"]["token"]
        self.headers = basic(self.token)

    def get(self, path, params=None):
        return self.client.get(f"{BASE}/{path}", params or {}, headers=self.headers)

    def send(self, method, path, body=None, params=""):
        url = f"{BASE}/{path}" + (f"?{params}" if params else "")
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(url, data, content_type="application/json",
                                            headers=self.headers)

    def post(self, path, body=None, params=""):
        return self.send("post", path, body, params)

    def put(self, path, body=None, params=""):
        return self.send("put", path, body, params)

    def created(self, path, body):
        response = self.post(path, body)
        assert response.status_code == 201, response.content
        return response.json()["value"]

    def account_id(self, number):
        return self.get("ledger/account", {"number": str(number)}).json()["values"][0]["id"]

    def customer(self, **extra):
        return self.created("customer", {"name": "Kari Nordmann AS",
                                         "organizationNumber": "987654321",
                                         "email": "kari@example.no", **extra})

    def product(self, number="CAR", price=400000.0, account=3010, **extra):
        return self.created("product", {"name": number.title(), "number": number,
                                        "priceExcludingVatCurrency": price,
                                        "account": {"id": self.account_id(account)},
                                        "vatType": {"id": 3}, **extra})

    def order(self, customer=None, lines=None, **extra):
        customer = customer or self.customer()
        cars = self.get("product", {"productNumber": "CAR"}).json()["values"]
        lines = lines if lines is not None else [
            {"product": {"id": (cars[0] if cars else self.product())["id"]}, "count": 1},
            {"description": "Hengerfeste", "count": 1, "unitPriceExcludingVatCurrency": 8000.0,
             "vatType": {"id": 3}}]
        return self.created("order", {"customer": {"id": customer["id"]},
                                      "orderDate": "2026-12-01", "deliveryDate": "2026-12-01",
                                      "reference": "hub-1-contract-7", "orderLines": lines,
                                      **extra})

    def invoice(self, order_id, invoice_date="2026-12-01"):
        return self.put(f"order/{order_id}/:invoice",
                        params=f"invoiceDate={invoice_date}&sendToCustomer=false")


@pytest.fixture
def tx(client, company):
    return Tripletex(client, company)


# -- session tokens --------------------------------------------------------------------------------

def test_session_from_consumer_and_employee_token_then_basic_auth_with_company_zero(client,
                                                                                    company):
    created = create_session(client, company.secret)
    token = created.json()["value"]["token"]

    me = client.get(f"{BASE}/token/session/>whoAmI", headers=basic(token))
    own_id = client.get(f"{BASE}/token/session/>whoAmI",
                        headers=basic(token, company.external_id))

    assert created.status_code == 201
    validate("ResponseWrapperSessionToken", created.json())
    assert created.json()["value"]["expirationDate"] == tomorrow()
    assert me.status_code == 200 and own_id.status_code == 200
    assert validate("ResponseWrapperLoggedInUserInfo", me.json())["value"]["companyId"] == int(
        company.external_id)
    assert me.headers["x-tlx-request-id"]


def test_legacy_put_creates_a_session_too(client, company):
    response = client.put(
        f"{BASE}/token/session/:create?consumerToken={seed.CONSUMER_TOKEN}"
        f"&employeeToken={company.secret}&expirationDate={tomorrow()}")

    assert response.status_code == 200
    assert client.get(f"{BASE}/token/session/>whoAmI",
                      headers=basic(response.json()["value"]["token"])).status_code == 200


@pytest.mark.parametrize("consumer, employee, expiration, status, code", [
    ("test-wrong", None, None, 403, 9000),
    (seed.CONSUMER_TOKEN, "test-nobody", None, 403, 9000),
    (seed.CONSUMER_TOKEN, None, "2020-01-01", 422, 15000),
    (seed.CONSUMER_TOKEN, None, "not a date", 422, 15000),
])
def test_session_refusals(client, company, consumer, employee, expiration, status, code):
    response = create_session(client, employee or company.secret, consumer, expiration)

    assert response.status_code == status
    body = validate("ApiError", response.json())
    assert body["code"] == code and body["requestId"] == response.headers["x-tlx-request-id"]


def test_a_session_ends_at_midnight_before_its_expiration_date(client, company):
    with time_machine.travel("2026-12-01 12:00 +01:00"):
        token = create_session(client, company.secret, expiration="2026-12-03")
    value = token.json()["value"]["token"]

    with time_machine.travel("2026-12-02 23:59 +01:00"):
        before = client.get(f"{BASE}/token/session/>whoAmI", headers=basic(value))
    with time_machine.travel("2026-12-03 00:00 +01:00"):
        after = client.get(f"{BASE}/token/session/>whoAmI", headers=basic(value))

    assert before.status_code == 200
    assert after.status_code == 401 and after.json()["code"] == 3000


def test_auth_refusals_are_401_3000(client, tx, company):
    cases = [{}, basic("not-a-session"), basic(tx.token, "123"),
             {"Authorization": f"Bearer {tx.token}"}]
    for headers in cases:
        response = client.get(f"{BASE}/customer", headers=headers)
        assert response.status_code == 401, headers
        assert validate("ApiError", response.json())["code"] == 3000


def test_delete_session_and_deactivated_employee_token_end_access(client, company):
    first = Tripletex(client, company)
    second = Tripletex(client, company)

    deleted = client.delete(f"{BASE}/token/session/{first.token}", headers=first.headers)
    client.post("/sandbox/tripletex/_control/employee-tokens",
                {"tenant": company.external_id, "token": company.secret, "active": False},
                content_type="application/json")

    assert deleted.status_code == 204
    assert first.get("token/session/>whoAmI").status_code == 401
    assert second.get("token/session/>whoAmI").status_code == 401
    assert create_session(client, company.secret).status_code == 403


# -- wrappers, fields, paging, dates ---------------------------------------------------------------

def test_list_wrapper_paging_and_sorting(tx):
    for name in ("Charlie AS", "Alfa AS", "Bravo AS"):
        tx.customer(name=name)

    page = tx.get("customer", {"from": "1", "count": "1", "sorting": "name"}).json()
    descending = tx.get("customer", {"sorting": "-name", "fields": "name"}).json()

    validate("ListResponseCustomer", page)
    assert (page["fullResultSize"], page["from"], page["count"]) == (3, 1, 1)
    assert [row["name"] for row in page["values"]] == ["Bravo AS"]
    assert descending["values"] == [{"name": "Charlie AS"}, {"name": "Bravo AS"},
                                    {"name": "Alfa AS"}]


def test_fields_selects_and_expands_nested_objects(tx):
    order = tx.order()

    plain = tx.get(f"order/{order['id']}").json()["value"]
    chosen = tx.get(f"order/{order['id']}", {"fields": "id,customer(name),orderLines(*)"})
    illegal = tx.get(f"order/{order['id']}", {"fields": "id,colour"})

    assert set(plain["customer"]) == {"id", "url"}
    assert plain["customer"]["url"].endswith(f"/sandbox/tripletex/v2/customer/"
                                             f"{order['customer']['id']}")
    assert not plain["customer"]["url"].startswith("http")
    body = validate("ResponseWrapperOrder", chosen.json())["value"]
    assert set(body) == {"id", "customer", "orderLines"}
    assert body["customer"] == {"name": "Kari Nordmann AS"}
    assert [line["amountExcludingVatCurrency"] for line in body["orderLines"]] == [400000.0,
                                                                                   8000.0]
    assert illegal.status_code == 400
    assert validate("ApiError", illegal.json())["code"] == 11000
    assert "colour" in illegal.json()["message"]


def test_order_and_invoice_searches_need_both_dates(tx):
    tx.invoice(tx.order()["id"])

    for path, names in (("order", ("orderDateFrom", "orderDateTo")),
                        ("invoice", ("invoiceDateFrom", "invoiceDateTo"))):
        response = tx.get(path, {names[0]: "2026-12-01"})
        assert response.status_code == 422
        body = validate("ApiError", response.json())
        assert body["code"] == 15000
        assert [m["field"] for m in body["validationMessages"]] == [names[1]]
    within = tx.get("invoice", {"invoiceDateFrom": "2026-12-01", "invoiceDateTo": "2026-12-02"})
    excluded = tx.get("invoice", {"invoiceDateFrom": "2026-11-01",
                                  "invoiceDateTo": "2026-12-01"})
    assert validate("ListResponseInvoice", within.json())["fullResultSize"] == 1
    assert excluded.json()["fullResultSize"] == 0
