"""Mappers: our records in, PowerOffice Go v2 bodies out, each checked against the published
spec with unknown properties forbidden."""

import datetime
from decimal import Decimal

import jsonschema
import pytest

from integrations.models import AccountingSettings
from integrations.providers.poweroffice_go import mappers

from .spec import validate

pytestmark = pytest.mark.django_db


def _order(contract, **overrides):
    lines = list(contract.lines.all())
    specs = mappers.products_for_contract(contract, lines, accounts={"car": "3000",
                                                                     "addon": "3010"},
                                          category_labels={"addon": "Tilleggsutstyr"})
    defaults = AccountingSettings(organization=contract.organization, provider="poweroffice_go",
                                  payment_terms_days=30, default_project_code="SALG",
                                  default_department_code="")
    body = mappers.sales_order_payload(
        contract, lines, customer_id=501, product_ids={"car": 11, "addon": 12},
        reference="hub-1-order-7", defaults=defaults, order_date=datetime.date(2026, 11, 20),
        **overrides)
    return specs, body


def test_car_and_addon_become_products_with_the_mapped_accounts(contract):
    specs, _ = _order(contract)
    assert specs["car"].payload() == {
        "Code": "YV1XZK9V1P2012345", "Name": "2024 Volvo EX30 (EL 12345)", "ProductType": "Product",
        "StandardSalesAccount": 3000, "UnitPrice": 389900.0}
    assert specs["addon"].payload() == {
        "Code": "HUB-ADDON", "Name": "Tilleggsutstyr", "ProductType": "Product",
        "StandardSalesAccount": 3010}
    for spec in specs.values():
        validate("ProductPostDto", spec.payload())


def test_car_without_vin_is_coded_by_registration_number(contract):
    contract.car.vin = ""
    assert mappers.car_product_code(contract.car) == "EL 12345"


def test_order_has_one_line_per_contract_line_with_quantities_prices_and_references(contract):
    _, body = _order(contract)
    validate("SalesOrderCompletePostDto", body)
    assert body["CustomerId"] == 501
    assert body["ExternalImportReference"] == body["CustomMatchingReference"] == "hub-1-order-7"
    assert body["ContractNo"] == "K-1001"
    assert body["PaymentTerm"] == 30 and body["ProjectCode"] == "SALG"
    assert "DepartmentCode" not in body  # empty default: inherited in Go
    assert body["SalesOrderDate"] == "2026-11-20"
    car, addon = body["SalesOrderLines"]
    assert (car["ProductId"], car["Quantity"], car["ProductUnitPrice"]) == (11, 1.0, 389900.0)
    assert (addon["ProductId"], addon["Quantity"], addon["ProductUnitPrice"]) == (12, 4.0, 2490.5)
    assert addon["Description"] == "Vinterhjul"
    assert car["UseStandardSalesAccount"] is True  # the product's mapped account, always
    assert [line["SortOrder"] for line in body["SalesOrderLines"]] == [0, 1]
    refs = {line["ExternalImportReference"] for line in body["SalesOrderLines"]}
    assert len(refs) == 2 and all(r.startswith("hub-1-order-7-l") for r in refs)


def test_the_spec_check_catches_an_unknown_property(contract):
    _, body = _order(contract)
    body["SalesOrderLines"][0]["VatCode"] = "3"  # not in the line schema (fact sheet §8)
    with pytest.raises(jsonschema.ValidationError):
        validate("SalesOrderCompletePostDto", body)


def test_customer_payloads_fit_the_spec(contract):
    company = mappers.customer_payload(contract.customer, reference="hub-1-customer-3")
    validate("CustomerPostDto", company)
    assert company["OrganizationNumber"] == "987654321"
    assert company["IsPerson"] is False and company["ExternalImportReference"] == \
        "hub-1-customer-3"
    person = contract.customer
    person.kind, person.name, person.org_number = "person", "Kari Nordmann", ""
    body = mappers.customer_payload(person, reference="x" * 80)
    validate("CustomerPostDto", body)
    assert (body["IsPerson"], body["FirstName"], body["LastName"]) == (True, "Kari", "Nordmann")
    assert len(body["ExternalImportReference"]) == 50
    person.name = "Cher"  # Go needs both names for a person: one name is registered as a contact
    body = mappers.customer_payload(person, reference="r")
    assert body["IsPerson"] is False and "LastName" not in body
    person.city = ""
    assert "MailAddress" not in mappers.customer_payload(person, reference="r")


@pytest.mark.parametrize("channel, expected", [("email", "PdfByEmail"), ("ehf", "Auto"),
                                               ("print", "PdfPrintForDownload"),
                                               ("none", "PdfPrintForDownload")])
def test_send_invoice_payload(channel, expected):
    body = mappers.send_invoice_payload(delivery_channel=channel, email="a@b.no")
    validate("SendInvoiceRequestPostDto", body)
    assert body["DeliveryType"] == expected
    assert ("EmailAddress" in body) == (expected in ("PdfByEmail", "Auto"))


def test_customer_matching_prefers_org_number_then_email_then_phone(contract):
    customer = contract.customer
    rows = [{"Id": 1, "OrganizationNumber": "987654321"},
            {"Id": 2, "EmailAddress": "POST@fjordtransport.example.no"},
            {"Id": 3, "PhoneNumber": "55123456"}]
    assert mappers.match_customer(customer, rows)["Id"] == 1
    assert mappers.match_customer(customer, rows[1:])["Id"] == 2
    assert mappers.match_customer(customer, rows[2:])["Id"] == 3
    # Two candidates for one key: ambiguous, so no guess.
    assert mappers.match_customer(customer, [rows[1], {"Id": 4, **{k: v for k, v in
                                             rows[1].items() if k != "Id"}}]) is None


@pytest.mark.parametrize("balance, due, state, paid", [
    (1000, "2026-12-01", "sent", Decimal("0")),
    (400, "2026-12-01", "partly_paid", Decimal("600")),
    (0, "2026-11-01", "paid", Decimal("1000")),
    (400, "2026-11-01", "overdue", Decimal("600")),
])
def test_payment_state_from_balance_and_due_date(balance, due, state, paid):
    result = mappers.payment_state({"InvoiceNo": 10001, "TotalAmount": 1000, "Balance": balance,
                                    "DueDate": f"{due}T00:00:00"},
                                   today=datetime.date(2026, 11, 22))
    assert (result.state, result.paid, result.remaining) == (state, paid,
                                                               Decimal(str(balance)))
    assert result.invoice_no == "10001" and result.due_date == due
