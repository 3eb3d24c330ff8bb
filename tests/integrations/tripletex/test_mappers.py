"""Every body we send Tripletex, validated against its published spec (unknown and read-only
properties forbidden), and the payment state and the webhook signature read back."""

import datetime
from decimal import Decimal

import pytest

from integrations.providers.tripletex import mappers
from tests.integrations.tripletex import spec

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def test_customer_payload_fits_the_spec_and_carries_the_org_number(contract):
    body = mappers.customer_payload(contract.customer, payment_terms_days=30)
    spec.validate("Customer", body)
    assert body["organizationNumber"] == "987654321"
    assert body["invoicesDueIn"] == 30 and body["invoiceSendMethod"] == "EMAIL"
    assert body["postalAddress"] == {"addressLine1": "Bryggen 3", "postalCode": "5003",
                                     "city": "Bergen"}


def test_a_person_has_no_org_number_and_no_email_means_manual(contract):
    person = contract.customer
    person.kind, person.email = "person", ""
    body = mappers.customer_payload(person)
    spec.validate("Customer", body)
    assert body["isPrivateIndividual"] is True and "organizationNumber" not in body
    assert body["invoiceSendMethod"] == "MANUAL"


def test_order_payload_fits_the_spec_with_vat_per_line_and_prices_excluding_vat(contract):
    lines = list(contract.lines.all())
    specs = mappers.products_for_contract(contract, lines, account_ids={"car": 11, "addon": 12},
                                          vats={"car": 3, "addon": 3},
                                          category_labels={"addon": "Tilleggsutstyr"})
    for product in specs.values():
        spec.validate("Product", product.payload())
    assert specs["car"].number == "YV1XZK9V1P2012345"
    assert specs["addon"].number == "HUB-ADDON" and specs["addon"].name == "Tilleggsutstyr"
    body = mappers.order_payload(contract, lines, customer_id=7,
                                 product_ids={"car": 21, "addon": 22}, vats={"car": 3,
                                                                             "addon": 5},
                                 reference="hub-1-order-9", order_date=TODAY)
    spec.validate("Order", body)
    assert body["isPrioritizeAmountsIncludingVat"] is False  # gotcha 3: excluding-VAT prices
    assert all("unitPriceIncludingVatCurrency" not in line for line in body["orderLines"])
    assert [(line["product"], line["vatType"], line["count"],
             line["unitPriceExcludingVatCurrency"]) for line in body["orderLines"]] == [
        ({"id": 21}, {"id": 3}, 1.0, 389900.0), ({"id": 22}, {"id": 5}, 4.0, 2490.5)]
    assert body["reference"] == "hub-1-order-9" and body["customer"] == {"id": 7}
    assert "invoiceNumber" not in str(body)  # never ours to set


def test_product_update_only_when_the_mapping_changed():
    wanted = mappers.ProductSpec(number="HUB-ADDON", name="Add-on", account_id=12,
                                 vat_type_id=3)
    same = {"id": 5, "version": 2, "name": "Add-on", "account": {"id": 12},
            "vatType": {"id": 3}}
    assert mappers.product_update(same, wanted) is None
    moved = mappers.product_update({**same, "account": {"id": 11}}, wanted)
    spec.validate("Product", moved)
    assert moved["account"] == {"id": 12} and moved["version"] == 2


def test_subscription_and_session_bodies_fit_the_spec():
    spec.validate("Subscription", mappers.subscription_payload(
        "invoice.charged", target_url="https://hub.test/api/webhooks/x", secret="s"))
    spec.validate("PostSessionTokenBody", {"consumerToken": "c", "employeeToken": "e",
                                           "expirationDate": "2026-12-03"})


@pytest.mark.parametrize("outstanding, due, state", [
    ("1000.00", "2026-12-15", "sent"),
    ("400.00", "2026-12-15", "partly_paid"),
    ("0", "2026-12-15", "paid"),
    ("400.00", "2026-11-30", "overdue"),
    ("0", "2026-11-30", "paid"),
])
def test_payment_state_reads_amount_outstanding(outstanding, due, state):
    result = mappers.payment_state({"amount": 1000.0, "amountOutstanding": float(outstanding),
                                    "amountOutstandingTotal": 1070.0, "invoiceDueDate": due,
                                    "invoiceNumber": 12}, today=TODAY)
    assert result.state == state
    assert result.remaining == Decimal(outstanding)
    assert result.contract_fields()["invoice_number"] == "12"


def test_the_signature_is_what_the_simulator_and_the_fact_sheet_compute():
    from sandbox.tripletex.webhooks import sign

    body = b'{"subscriptionId": 1, "event": "invoice.charged", "id": 5, "value": null}'
    ours = mappers.signature("hemmelig", "0b5e-key", body)
    assert ours == sign("hemmelig", "0b5e-key", body)
    assert ours != mappers.signature("hemmelig", "another-key", body)


def test_the_spec_check_refuses_unknown_and_read_only_properties():
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        spec.validate("Order", {"orderDate": "2026-12-01", "colour": "red"})
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("Customer", {"name": "X", "isCustomer": True})  # read-only in the spec
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("OrderLine", {"count": "four"})
