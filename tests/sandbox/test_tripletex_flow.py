"""The dealer's flow on the Tripletex simulator: customers found by organisation number or
e-mail, products with their income account, orders whose VAT mode decides the lines' price
field, order -> invoice (number by Tripletex, a closed order cannot be invoiced again), payments,
and the 409s (version, duplicate, exists) and 422s of the error envelope."""

import pytest

from sandbox.tripletex import seed
from tests.sandbox.test_tripletex import Tripletex, unhurried_clock  # noqa: F401 (fixture)
from tests.sandbox.test_tripletex_spec import validate


@pytest.fixture
def tx(client, db):
    return Tripletex(client, seed.seed_company("Flytbil AS", organization_number="911222334"))


def test_customer_search_by_organization_number_and_email(tx):
    kari = tx.customer(postalAddress={"addressLine1": "Storgata 1", "postalCode": "0155",
                                      "city": "Oslo"})
    tx.customer(name="Ola AS", organizationNumber="998877665", email="ola@example.no")

    by_number = tx.get("customer", {"organizationNumber": "987 654 321"}).json()
    by_email = tx.get("customer", {"email": "ola@example.no", "fields": "id,name"}).json()
    nobody = tx.get("customer", {"organizationNumber": "123456789"}).json()
    address = tx.get(f"customer/{kari['id']}", {"fields": "postalAddress(*)"}).json()

    assert validate("ListResponseCustomer", by_number)["fullResultSize"] == 1
    assert by_number["values"][0]["id"] == kari["id"]
    assert kari["customerNumber"] == 10000 and kari["isCustomer"] is True
    assert [row["name"] for row in by_email["values"]] == ["Ola AS"]
    assert nobody["fullResultSize"] == 0 and nobody["values"] == []
    assert address["value"]["postalAddress"]["city"] == "Oslo"


def test_version_conflict_is_409_8000_and_a_current_version_updates(tx):
    kari = tx.customer()

    updated = tx.put(f"customer/{kari['id']}", {"version": kari["version"],
                                                "email": "ny@example.no"})
    stale = tx.put(f"customer/{kari['id']}", {"version": kari["version"], "name": "Gammel"})
    without = tx.put(f"customer/{kari['id']}", {"phoneNumber": "22 00 00 00"})

    assert updated.status_code == 200
    assert validate("ResponseWrapperCustomer", updated.json())["value"]["version"] == (
        kari["version"] + 1)
    assert stale.status_code == 409
    assert validate("ApiError", stale.json())["code"] == 8000
    assert tx.get(f"customer/{kari['id']}").json()["value"]["name"] == "Kari Nordmann AS"
    assert without.json()["value"]["version"] == kari["version"] + 2


def test_duplicate_numbers_are_409_14000_and_a_posted_existing_id_409_7000(tx):
    kari = tx.customer(customerNumber=10500)
    tx.product("CAR")

    same_number = tx.post("customer", {"name": "Kopi AS", "customerNumber": 10500})
    same_product = tx.post("product", {"name": "Bil 2", "number": "CAR"})
    existing_id = tx.post("customer", {"id": kari["id"], "name": "Kari igjen"})

    assert (same_number.status_code, same_number.json()["code"]) == (409, 14000)
    assert same_number.json()["validationMessages"][0]["field"] == "customerNumber"
    assert (same_product.status_code, same_product.json()["code"]) == (409, 14000)
    assert (existing_id.status_code, validate("ApiError", existing_id.json())["code"]) == (
        409, 7000)


def test_bodies_are_read_strictly(tx):
    unknown = tx.post("customer", {"name": "X AS", "colour": "red"})
    wrong_type = tx.post("customer", {"name": "X AS", "isPrivateIndividual": "yes"})
    bad_enum = tx.post("customer", {"name": "X AS", "invoiceSendMethod": "FAX"})
    bad_json = tx.client.post("/sandbox/tripletex/v2/customer", "{nope",
                              content_type="application/json", headers=tx.headers)
    missing = tx.post("customer", {"email": "x@example.no"})
    ignored = tx.post("customer", {"name": "Y AS", "isCustomer": False, "url": "x"})

    assert (unknown.status_code, unknown.json()["code"]) == (422, 16000)
    assert unknown.json()["validationMessages"][0]["field"] == "colour"
    assert wrong_type.json()["validationMessages"][0]["field"] == "isPrivateIndividual"
    assert bad_enum.status_code == 422
    assert (bad_json.status_code, bad_json.json()["code"]) == (422, 22000)
    assert missing.json()["validationMessages"] == [{"field": "name",
                                                     "message": "Kan ikke være null."}]
    assert ignored.status_code == 201 and ignored.json()["value"]["isCustomer"] is True


def test_product_prices_and_references(tx):
    car = tx.product("CAR", 400000.0)
    missing_account = tx.post("product", {"name": "X", "account": {"id": 999}})
    department = tx.post("product", {"name": "X", "department": {"id": 1}})

    found = tx.get("product", {"productNumber": "CAR", "fields": "*,account(number)"}).json()
    assert validate("ResponseWrapperProduct", {"value": car})
    assert car["priceIncludingVatCurrency"] == 500000.0
    assert found["values"][0]["account"] == {"number": 3010}
    assert missing_account.status_code == 422
    assert missing_account.json()["validationMessages"][0]["field"] == "account"
    assert department.status_code == 422


def test_order_vat_mode_decides_the_lines_price_field(tx):
    car = tx.product("CAR", 400000.0)
    customer = tx.customer()
    line_excluding = {"product": {"id": car["id"]}, "unitPriceExcludingVatCurrency": 1000.0}
    line_including = {"product": {"id": car["id"]}, "unitPriceIncludingVatCurrency": 1250.0}

    wrong = tx.post("order", {"customer": {"id": customer["id"]}, "orderDate": "2026-12-01",
                              "deliveryDate": "2026-12-01", "isPrioritizeAmountsIncludingVat":
                              True, "orderLines": [line_excluding]})
    right = tx.order(customer, [line_including], isPrioritizeAmountsIncludingVat=True)
    lines = tx.get(f"order/{right['id']}", {"fields": "orderLines(*)"}).json()["value"]

    assert wrong.status_code == 422
    assert wrong.json()["validationMessages"][0]["field"] == (
        "orderLines[0].unitPriceExcludingVatCurrency")
    line = lines["orderLines"][0]
    assert (line["unitPriceExcludingVatCurrency"], line["amountIncludingVatCurrency"]) == (
        1000.0, 1250.0)
    assert tx.post("order", {"customer": {"id": customer["id"]}, "orderLines": []}).json()[
        "validationMessages"] == [{"field": "orderDate", "message": "Kan ikke være null."},
                                  {"field": "deliveryDate", "message": "Kan ikke være null."}]


def test_order_to_invoice_closes_the_order_once(tx):
    order = tx.order()
    first = tx.invoice(order["id"])
    again = tx.invoice(order["id"])

    invoice = validate("ResponseWrapperInvoice", first.json())["value"]
    assert first.status_code == 200
    assert invoice["invoiceNumber"] == 1 and invoice["kid"] == "18"
    assert (invoice["amountExcludingVat"], invoice["amount"]) == (408000.0, 510000.0)
    assert invoice["amountOutstanding"] == 510000.0 and invoice["isCharged"] is True
    assert invoice["invoiceDueDate"] == "2026-12-15"
    assert invoice["orders"] == [{"id": order["id"], "url": invoice["orders"][0]["url"]}]
    assert tx.get(f"order/{order['id']}").json()["value"]["isClosed"] is True
    assert again.status_code == 422
    assert "lukket" in again.json()["validationMessages"][0]["message"]
    second = tx.invoice(tx.order()["id"]).json()["value"]
    assert second["invoiceNumber"] == 2


def test_order_found_again_by_reference_range_and_customer(tx):
    order = tx.order()
    found = tx.get("order", {"orderDateFrom": "2026-12-01", "orderDateTo": "2026-12-02",
                             "customerId": str(order["customer"]["id"]),
                             "fields": "id,reference,isClosed"}).json()

    assert found["values"] == [{"id": order["id"], "reference": "hub-1-contract-7",
                                "isClosed": False}]


def test_post_invoice_takes_one_order_and_never_our_number(tx):
    two = tx.post("invoice", {"invoiceDate": "2026-12-01",
                              "orders": [{"id": tx.order()["id"]}, {"id": tx.order()["id"]}]})
    numbered = tx.post("invoice", {"invoiceDate": "2026-12-01", "invoiceNumber": 77,
                                   "orders": [{"id": tx.order()["id"]}]})
    embedded = tx.post("invoice", {"invoiceDate": "2026-12-01", "invoiceNumber": 0, "orders": [
        {"customer": {"id": tx.customer()["id"]}, "orderDate": "2026-12-01",
         "deliveryDate": "2026-12-01",
         "orderLines": [{"description": "Service", "unitPriceExcludingVatCurrency": 100.0}]}]})

    assert two.status_code == 422 and two.json()["validationMessages"][0]["field"] == "orders"
    assert numbered.status_code == 422
    assert embedded.status_code == 201
    assert validate("ResponseWrapperInvoice", embedded.json())["value"]["amount"] == 125.0


def test_payments_lower_amount_outstanding_and_move_the_version(tx):
    invoice = tx.invoice(tx.order()["id"]).json()["value"]
    payment_type = tx.get("invoice/paymentType", {"query": "bank"}).json()["values"][0]["id"]

    def pay(amount):
        return tx.put(f"invoice/{invoice['id']}/:payment",
                      params=f"paymentDate=2026-12-05&paymentTypeId={payment_type}"
                             f"&paidAmount={amount}")

    part = pay(10000)
    too_much = pay(600000)
    rest = pay(500000)
    postings = tx.get(f"invoice/{invoice['id']}",
                      {"fields": "postings(amount,type,matched)"}).json()["value"]["postings"]

    assert validate("ResponseWrapperInvoice", part.json())["value"]["amountOutstanding"] == (
        500000.0)
    assert part.json()["value"]["version"] == invoice["version"] + 1
    assert too_much.status_code == 422
    assert rest.json()["value"]["amountOutstanding"] == 0.0
    assert postings == [
        {"amount": 510000.0, "type": "OUTGOING_INVOICE_CUSTOMER_POSTING", "matched": True},
        {"amount": -10000.0, "type": "INCOMING_PAYMENT", "matched": True},
        {"amount": -500000.0, "type": "INCOMING_PAYMENT", "matched": True}]


def test_reference_data_vat_types_and_accounts(tx):
    outgoing = tx.get("ledger/vatType", {"typeOfVat": "OUTGOING", "fields": "id,number,percentage"})
    accounts = tx.get("ledger/account", {"number": "3000,3010", "fields": "*,vatType(number)"})
    bank = tx.get("ledger/account", {"isBankAccount": "true"}).json()["values"]

    validate("ListResponseVatType", outgoing.json())
    assert {"id": 3, "number": "3", "percentage": 25.0} in outgoing.json()["values"]
    assert all(row["number"] not in ("1", "11", "13") for row in outgoing.json()["values"])
    body = validate("ListResponseAccount", accounts.json())
    assert [(row["number"], row["vatType"]) for row in body["values"]] == [
        (3000, {"number": "3"}), (3010, {"number": "3"})]
    assert [row["number"] for row in bank] == [1920]
    assert tx.get("ledger/vatType/999").status_code == 404
    assert validate("ApiError", tx.get("ledger/vatType/999").json())["code"] == 6000


def test_the_web_screens_show_the_invoice_and_its_order(client, tx):
    other = Tripletex(client, seed.seed_company("Annenbil AS"))
    order = tx.order()
    invoice = tx.invoice(order["id"]).json()["value"]
    other_invoice = other.invoice(other.order()["id"]).json()["value"]

    page = client.get(f"/sandbox/tripletex/web/invoice/{invoice['id']}").content.decode()
    order_page = client.get(f"/sandbox/tripletex/web/order/{order['id']}").content.decode()

    assert other_invoice["id"] != invoice["id"]  # ids are unique across companies
    assert "Flytbil AS" in page and "Faktura 1" in page and "510000" in page
    assert f"/sandbox/tripletex/web/invoice/{invoice['id']}" in order_page
    assert "hub-1-contract-7" in order_page
    assert client.get("/sandbox/tripletex/web/invoice/1").status_code == 404
    assert client.get("/sandbox/tripletex/web/").status_code == 200


BAD_BODIES = [
    ("post", "customer", "[1, 2]"),
    ("post", "customer", '"name"'),
    ("post", "customer", '{"name": "A", "discountPercentage": NaN}'),
    ("post", "customer", '{"name": "A", "discountPercentage": 1e400}'),
    ("post", "customer", '{"name": "A", "postalAddress": {"city": 5}}'),
    ("put", "customer/1", "{}"),
    ("post", "order", '{"customer": {"id": "x"}, "orderDate": "2026-12-01", '
                      '"deliveryDate": "2026-12-01"}'),
    ("post", "order", '{"customer": {"name": "Ny"}, "orderDate": "2026-12-01", '
                      '"deliveryDate": "2026-12-01"}'),
    ("post", "order", '{"orderLines": 5}'),
    ("post", "order", '{"orderLines": [{"count": "many"}]}'),
    ("post", "order/orderline", '{"order": {"id": 1}, "count": 1}'),
    ("post", "order/orderline/list", '{"order": 1}'),
    ("post", "invoice", '{"invoiceDate": "2026-12-01", "orders": [{"id": 1}]}'),
    ("post", "event/subscription", '{"event": "invoice.charged", "targetUrl": "http://[::1"}'),
    ("post", "token/session/:create", '{"consumerToken": 5, "employeeToken": [],'
                                      ' "expirationDate": "2030-01-01"}'),
    ("post", "token/session/:create", "\xff\xfe"),
]


@pytest.mark.parametrize("method, path, body", BAD_BODIES)
def test_bad_bodies_are_a_4xx_in_the_envelope_never_a_500(tx, method, path, body):
    response = getattr(tx.client, method)(f"/sandbox/tripletex/v2/{path}", body,
                                          content_type="application/json", headers=tx.headers)

    assert 400 <= response.status_code < 500, response.content
    validate("ApiError", response.json())


@pytest.mark.parametrize("path, params", [
    ("customer", {"fields": "a(("}), ("customer", {"fields": "name)"}),
    ("customer", {"sorting": "customer.name,-nope"}), ("customer", {"from": "-1"}),
    ("customer", {"count": "many"}), ("customer", {"changedSince": "yesterday"}),
    ("customer", {"isInactive": "maybe"}), ("product", {"ids": "1,x"}),
    ("order", {"orderDateFrom": "2026-13-01", "orderDateTo": "2026-12-01"}),
    ("invoice", {"invoiceDateFrom": "x", "invoiceDateTo": "y"}),
    ("ledger/account", {"number": "abc"}),
])
def test_bad_parameters_are_a_4xx_never_a_500(tx, path, params):
    response = tx.get(path, params)

    assert 400 <= response.status_code < 500, response.content
    validate("ApiError", response.json())


def test_bad_payment_amounts_are_refused(tx):
    invoice = tx.invoice(tx.order()["id"]).json()["value"]
    for amount in ("nan", "1e400", "-5", "abc", "Infinity"):
        response = tx.put(f"invoice/{invoice['id']}/:payment",
                          params=f"paymentDate=2026-12-05&paymentTypeId=28000001"
                                 f"&paidAmount={amount}")
        assert response.status_code == 422, (amount, response.content)
    assert tx.get(f"invoice/{invoice['id']}").json()["value"]["amountOutstanding"] == 510000.0


def test_unknown_paths_and_methods_answer_in_the_envelope(tx):
    missing = tx.get("nothing/here")
    method = tx.client.patch("/sandbox/tripletex/v2/customer", "{}",
                             content_type="application/json", headers=tx.headers)

    assert missing.status_code == 404 and validate("ApiError", missing.json())["code"] == 6000
    assert method.status_code == 405 and method.headers["Allow"] == "GET, POST"
    validate("ApiError", method.json())


def test_subscriptions_change_with_version_and_are_deleted(tx):
    made = tx.created("event/subscription", {"event": "order.create",
                                             "targetUrl": "https://hub.example.no/h"})
    changed = tx.put(f"event/subscription/{made['id']}", {"version": 0, "status": "DISABLED"})
    stale = tx.put(f"event/subscription/{made['id']}", {"version": 0, "status": "ACTIVE"})
    deleted = tx.client.delete(f"/sandbox/tripletex/v2/event/subscription/{made['id']}",
                               headers=tx.headers)

    assert changed.json()["value"]["status"] == "DISABLED"
    assert stale.status_code == 409 and stale.json()["code"] == 8000
    assert deleted.status_code == 204
    assert tx.get(f"event/subscription/{made['id']}").status_code == 404
