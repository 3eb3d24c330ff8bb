"""One of every business record in an organization, for tests that compare two organizations.

Every record carries the organization's `mark` in a text field that its pages and admin lists
show, so a test can tell from the HTML alone whether another organization's rows leaked in.
"""

from datetime import date
from decimal import Decimal

import pytest

from accounting.models import (
    Customer,
    Employee,
    Invoice,
    InvoicePayment,
    Payslip,
    Project,
    Quote,
    TimeEntry,
)
from contracts.models import Car, Contract, ContractLine

MARKS = {"nordbil": "Aurora", "frost": "Borealis"}


def make_records(org, mark=None) -> dict:
    """Return {model: instance} with one record of every business model, lines included."""
    mark = mark or MARKS.get(org.slug, org.slug)
    day = date(2025, 3, 14)
    customer = Customer.objects.create(
        organization=org, kind="company", name=f"Kunde {mark}", org_number="912345678",
        email=f"{mark.lower()}@example.com", phone="+47 900 00 000",
        street="Storgata 1", postal_code="0155", city=f"By {mark}",
    )
    car = Car.objects.create(
        organization=org, vin=f"VIN{mark.upper()}"[:17], registration_number="EL 12345",
        make=f"Make {mark}", model=f"Model {mark}", year=2024,
    )
    contract = Contract.objects.create(
        organization=org, number=f"K-{mark}", customer=customer, car=car,
        sale_price=Decimal("300000.00"), signed_on=day,
    )
    contract_line = ContractLine.objects.create(
        contract=contract, category="car", description=f"Bil {mark}",
        unit_price=Decimal("300000.00"), vat_label="25 %",
    )
    ContractLine.objects.create(
        contract=contract, category="addon", description=f"Vinterhjul {mark}",
        quantity=Decimal("1"), unit_price=Decimal("12500.50"), vat_label="25 %", position=1,
    )
    project = Project.objects.create(
        organization=org, number=f"P-{mark}", name=f"Prosjekt {mark}", customer=customer
    )
    employee = Employee.objects.create(
        organization=org, employee_number=f"E-{mark}", first_name=f"Fornavn {mark}",
        last_name=f"Etternavn {mark}",
    )
    time_entry = TimeEntry.objects.create(
        organization=org, employee=employee, project=project, date=day,
        hours=Decimal("7.50"), description=f"Arbeid {mark}",
    )
    quote = Quote.objects.create(
        organization=org, customer=customer, project=project, number=f"Q-{mark}", issue_date=day
    )
    quote_line = quote.lines.create(description=f"Tilbudslinje {mark}", unit_price=Decimal("10"))
    invoice = Invoice.objects.create(
        organization=org, customer=customer, project=project, number=f"F-{mark}", issue_date=day
    )
    invoice_line = invoice.lines.create(
        description=f"Fakturalinje {mark}", unit_price=Decimal("100")
    )
    payment = InvoicePayment.objects.create(
        organization=org, invoice=invoice, amount=Decimal("125.00"), paid_on=day,
        reference=f"Betaling {mark}",
    )
    payslip = Payslip.objects.create(
        organization=org, employee=employee, period_start=date(2025, 2, 1),
        period_end=date(2025, 2, 28), pay_date=date(2025, 2, 25),
    )
    payslip_line = payslip.lines.create(
        pay_type="monthly_salary", description=f"Lønn {mark}", unit_amount=Decimal("40000")
    )
    records = [
        customer, car, contract, contract_line, project, employee, time_entry, quote, quote_line,
        invoice, invoice_line, payment, payslip, payslip_line,
    ]
    return {type(record): record for record in records}


@pytest.fixture
def staff_user(org, make_user):
    return make_user("ola", org, role="staff")


@pytest.fixture
def org_admin(org, make_user):
    return make_user("ingrid", org, role="admin")


@pytest.fixture
def records(org):
    return make_records(org)


@pytest.fixture
def other_records(other_org, make_user):
    make_user("bjorn", other_org, role="admin")
    return make_records(other_org)
