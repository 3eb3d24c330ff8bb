"""Mappers: fixture in, payload out, each payload validated against the request schema of
Fortnox's published spec with unknown properties forbidden."""

import datetime
from decimal import Decimal

import jsonschema
import pytest

from integrations.providers.fortnox import mappers
from tests.integrations.fortnox.spec import validate

pytestmark = pytest.mark.django_db

ROWS = dict(vat_code="MP1", account="3041")


def test_customer_payload_carries_our_number_and_reference(customer):
    payload = mappers.customer_payload(customer, number="H7", reference="hub-1-customer-7")
    assert validate("post", "/3/customers", payload) == "fortnox_Customer_Wrap"
    body = payload["Customer"]
    assert body["CustomerNumber"] == "H7"
    assert body["ExternalReference"] == "hub-1-customer-7"
    assert body["Type"] == "COMPANY"
    assert body["OrganisationNumber"] == "769600-1234"
    assert body["CountryCode"] == "SE" and "Country" not in body  # "Sweden" would be refused
    assert body["ZipCode"] == "11345" and body["Phone1"] == "08-123 45 67"


def test_customer_update_clears_emptied_fields_with_api_blank(customer):
    customer.email = ""
    create = mappers.customer_payload(customer, number="H7", reference="r")["Customer"]
    update = mappers.customer_payload(customer, number="H7", reference="r", update=True)
    assert "Email" not in create
    assert update["Customer"]["Email"] == "API_BLANK"  # an empty value would mean "unchanged"
    validate("put", "/3/customers/{CustomerNumber}", update)


def test_invoice_payload_rows_reference_and_money(invoice):
    lines = list(invoice.lines.all())
    rows = [mappers.document_row(line, vat_code="MP1", account="3041",
                                 quantity_field="DeliveredQuantity") for line in lines]
    payload = mappers.invoice_payload(invoice, customer_number="H7",
                                      reference="hub-1-invoice-9", rows=rows,
                                      project_number="P-2026-07", due_date=invoice.due_date)
    assert validate("post", "/3/invoices", payload) == "fortnox_InvoicePayload_Wrap"
    body = payload["Invoice"]
    assert body["ExternalInvoiceReference1"] == "hub-1-invoice-9"
    assert body["InvoiceDate"] == "2026-11-02" and body["DueDate"] == "2026-12-02"
    assert body["VATIncluded"] is False and body["Project"] == "P-2026-07"
    first, second = body["InvoiceRows"]
    assert first == {"Description": "Rivning badrum", "DeliveredQuantity": "12.5",
                     "Price": 650.0, "VATCode": "MP1", "AccountNumber": 3041}
    assert second["Discount"] == 10.0 and second["DiscountType"] == "PERCENT"
    assert second["DeliveredQuantity"] == "18"  # quantities are strings in the spec


def test_a_misspelt_field_fails_validation(invoice):
    """The strict schema is what catches what Fortnox would answer with 2001399."""
    payload = {"Invoice": {"CustomerNumber": "H7", "ExternalInvoiceReference": "x"}}
    with pytest.raises(jsonschema.ValidationError):
        validate("post", "/3/invoices", payload)


def test_offer_payload(quote):
    rows = [mappers.document_row(line, quantity_field="Quantity", **ROWS)
            for line in quote.lines.all()]
    payload = mappers.offer_payload(quote, customer_number="H7", reference="hub-1-quote-3",
                                    rows=rows)
    assert validate("post", "/3/offers", payload) == "fortnox_Offer_Wrap"
    body = payload["Offer"]
    assert body["YourReferenceNumber"] == "hub-1-quote-3"
    assert body["OfferDate"] == "2026-10-01" and body["ExpireDate"] == "2026-10-31"
    assert body["OfferRows"][0]["Quantity"] == "1" and body["OfferRows"][0]["Price"] == 420000.0


def test_project_payload_status(project):
    payload = mappers.project_payload(project, today=datetime.date(2026, 11, 1))
    assert validate("post", "/3/projects", payload) == "fortnox_Project_Wrap"
    assert payload["Project"] == {"ProjectNumber": "P-2026-07", "Description": "Stambyte Solrosen",
                                  "Status": "ONGOING", "StartDate": "2026-03-01"}
    project.is_active = False
    assert mappers.project_payload(project)["Project"]["Status"] == "COMPLETED"
    assert mappers.project_payload(project, today=datetime.date(2026, 1, 1))["Project"][
        "Status"] == "COMPLETED"


def test_employee_payload(employee):
    payload = mappers.employee_payload(employee)
    assert validate("post", "/3/employees", payload) == "fortnox_Employee_Wrap"
    assert payload["Employee"]["EmployeeId"] == "17"
    assert payload["Employee"]["MonthlySalary"] == "36500.00"  # a string in the spec
    assert payload["Employee"]["SalaryForm"] == "MAN"


def test_time_entry_is_an_attendance_transaction(time_entry):
    payload = mappers.attendance_payload(time_entry, employee_id="17", cause_code="ARB",
                                         project_number="P-2026-07")
    assert validate("post", "/3/attendancetransactions",
                    payload) == "fortnox_AttendanceTransaction_Wrap"
    assert payload["AttendanceTransaction"] == {"EmployeeId": "17", "CauseCode": "ARB",
                                                "Date": "2026-11-03", "Hours": "7.5",
                                                "Project": "P-2026-07"}
    same = {"EmployeeId": "17", "CauseCode": "ARB", "Date": "2026-11-03", "Hours": 7.50,
            "Project": "P-2026-07", "id": 4}
    assert mappers.attendance_matches(same, payload)
    assert not mappers.attendance_matches({**same, "Hours": "7.25"}, payload)


def test_payslip_lines_become_salary_transactions(payslip):
    payloads = mappers.salary_payloads(payslip, list(payslip.lines.all()), employee_id="17",
                                       salary_codes={"monthly_salary": "11", "overtime": "310"})
    for payload in payloads:
        assert validate("post", "/3/salarytransactions",
                        payload) == "fortnox_SalaryTransaction_Wrap"
    assert [p["SalaryTransaction"]["SalaryCode"] for p in payloads] == ["11", "310"]
    overtime = payloads[1]["SalaryTransaction"]
    assert overtime == {"EmployeeId": "17", "SalaryCode": "310", "Date": "2026-10-25",
                        "Number": "6", "Amount": "312.50", "TextRow": "Övertid"}
    assert mappers.salary_matches({**overtime, "SalaryRow": 9, "Number": "6.00"}, payloads[1])
    assert not mappers.salary_matches({**overtime, "Amount": "312.00"}, payloads[1])


@pytest.mark.parametrize("remote, expected", [
    ({"Total": 1000, "Balance": 1000, "DueDate": "2026-12-01", "Sent": True},
     {"status": "sent", "paid_amount": Decimal("0.00"), "remaining_amount": Decimal("1000.00")}),
    ({"Total": 1000, "Balance": 400, "DueDate": "2026-12-01"},
     {"status": "partly_paid", "paid_amount": Decimal("600.00")}),
    ({"Total": 1000, "Balance": 400, "DueDate": "2026-11-01"},
     {"status": "overdue", "paid_amount": Decimal("600.00")}),
    ({"Total": 1000, "Balance": 1000, "DueDate": "2026-11-01"}, {"status": "overdue"}),
    ({"Total": 1000, "Balance": 0, "FinalPayDate": "2026-11-10", "Booked": True},
     {"status": "paid", "booked": True, "final_pay_date": datetime.date(2026, 11, 10)}),
    ({"Total": 1000, "Balance": 1000, "Cancelled": True}, {"status": "cancelled"}),
    ({"Total": 1250, "TotalToPay": 1000, "Balance": 1000, "DueDate": "2026-12-01"},
     {"status": "invoiced", "booked": False, "due_date": datetime.date(2026, 12, 1)}),
])
def test_invoice_status(remote, expected):
    status = mappers.invoice_status(remote, today=datetime.date(2026, 11, 15))
    assert {k: status[k] for k in expected} == expected


def test_rows_with_vat_included_are_read_as_net():
    row = {"Description": "Kakel", "DeliveredQuantity": "2", "Price": 125, "VAT": 25,
           "AccountNumber": 3051}
    values = mappers.line_values_from_row(row, quantity_field="DeliveredQuantity",
                                          vat_included=True,
                                          category_for_account={"3051": "material"})
    assert values == ["Kakel", "2", "100.00", "0", "material"]
