"""Every body we send to Visma eAccounting against the published spec, unknown and read-only
properties forbidden; payment status and Visma's error envelope in words."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import jsonschema
import pytest

from integrations.providers.visma_eaccounting import mappers
from integrations.providers.visma_eaccounting.client import VismaClient
from tests.integrations.visma_eaccounting import spec

pytestmark = pytest.mark.django_db
GUID = "5e0c3f1a-7b2d-4c59-9a61-0f3b8d2e7a41"


def test_a_customer_fits_the_spec_and_keeps_what_we_do_not_own(customer):
    current = {"Id": GUID, "CustomerNumber": "1007", "ChangedUtc": "2026-11-20T10:00:00Z",
               "UnpaidInvoicesAmount": 0, "DeliveryCity": "Solna",
               "TermsOfPaymentId": GUID, "IsNorthernIreland": False}
    payload = mappers.customer_payload(customer, number="1007", terms_of_payment_id=GUID,
                                       current=current)
    assert spec.validate("put", "/v2/customers/{customerId}", payload) == "CustomerApi"
    assert payload["DeliveryCity"] == "Solna" and "ChangedUtc" not in payload
    fresh = mappers.customer_payload(customer, number=f"H{customer.pk}",
                                     terms_of_payment_id=GUID)
    spec.validate("post", "/v2/customers", fresh)
    assert (fresh["Name"], fresh["IsPrivatePerson"], fresh["InvoicePostalCode"]) == (
        "Brf Solrosen", False, "113 45")


def test_the_spec_check_catches_an_unknown_or_read_only_property(customer):
    payload = mappers.customer_payload(customer, number="H1", terms_of_payment_id=GUID)
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("post", "/v2/customers", {**payload, "Phone": "1"})
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("post", "/v2/customers", {**payload, "ChangedUtc": "2026-01-01T00:00:00Z"})


def test_an_article_a_draft_and_the_convert_guard_fit_the_spec(invoice):
    spec.validate("post", "/v2/articles", mappers.article_payload(
        "labor", label="Labor", coding_id=GUID, unit_id=GUID))
    lines = list(invoice.lines.all())
    rows = [mappers.draft_row(line, number=n, article_id=GUID)
            for n, line in enumerate(lines, start=1)]
    draft = mappers.draft_payload(invoice, customer_id=GUID, reference="hub-1-invoice-2",
                                  rows=rows)
    assert spec.validate("post", "/v2/customerinvoicedrafts", draft) == "CustomerInvoiceDraftApi"
    assert draft["InvoiceDate"] == "2026-11-20T00:00:00Z"
    assert draft["Rows"][1]["DiscountPercentage"] == 0.1
    guard = mappers.expected_totals(lines, {"labor": Decimal("25"), "material": Decimal("12")})
    spec.validate("post", "/v2/customerinvoicedrafts/{customerInvoiceDraftId}/convert", guard)
    assert guard["TotalVatAmountInvoiceCurrency"] == 1339.04  # 5200 * .25 + 325.35 * .12


@pytest.mark.parametrize("remote, expected", [
    ({"TotalAmountInvoiceCurrency": 100, "RemainingAmountInvoiceCurrency": 0, "PaymentStatus": 0,
      "PaymentDate": "2026-11-25T00:00:00"}, ("paid", "0.00", "100.00")),
    ({"TotalAmountInvoiceCurrency": 100, "RemainingAmountInvoiceCurrency": 40,
      "PaymentStatus": 1, "DueDate": "2026-12-20"}, ("partly_paid", "40.00", "60.00")),
    ({"TotalAmountInvoiceCurrency": 100, "RemainingAmountInvoiceCurrency": 100,
      "PaymentStatus": 2, "DueDate": "2026-11-01"}, ("overdue", "100.00", "0.00")),
    ({"TotalAmountInvoiceCurrency": 100, "RemainingAmountInvoiceCurrency": 100,
      "PaymentStatus": 1, "DueDate": "2026-11-10"}, ("overdue", "100.00", "0.00")),
    ({"TotalAmount": 100, "RemainingAmount": 100, "PaymentStatus": 1},
     ("invoiced", "100.00", "0.00")),
])
def test_payment_status(remote, expected):
    status = mappers.invoice_status(remote, today=datetime.date(2026, 11, 20))
    assert (status["status"], str(status["remaining_amount"]),
            str(status["paid_amount"])) == expected


def test_the_error_envelope_becomes_words_with_the_fields_and_error_id():
    client = VismaClient(SimpleNamespace(connection=None, name="Visma eAccounting"),
                         session=object())
    body = {"ErrorCode": 2000, "DeveloperErrorMessage": "DataModelValidationError - ...",
            "ErrorId": "abc-123", "Errors": [{"Field": "InvoiceCity", "ErrorCode": 2000,
                                              "Message": "Required"}]}
    response = SimpleNamespace(json=lambda: body, status_code=400, reason="Bad Request")
    code, message = client.parse_error(response)
    assert code == "2000"
    assert "did not accept a field" in message and "InvoiceCity: Required" in message
    assert "ErrorId abc-123" in message
    unknown = {"ErrorCode": 4999, "DeveloperErrorMessage": "Something new"}
    response = SimpleNamespace(json=lambda: unknown, status_code=400, reason="Bad Request")
    assert "Visma: Something new" in client.parse_error(response)[1]


def test_matching_an_existing_customer_normalizes_what_people_typed():
    ours = SimpleNamespace(org_number="769600-1234", email="A@B.se", phone="08-555 123")
    assert mappers.same_customer(ours, {"CorporateIdentityNumber": "7696001234"})
    assert mappers.same_customer(ours, {"EmailAddress": "a@b.se "})
    assert mappers.same_customer(ours, {"MobilePhone": "08 555 123"})
    assert not mappers.same_customer(ours, {"CorporateIdentityNumber": "556000-0000"})
