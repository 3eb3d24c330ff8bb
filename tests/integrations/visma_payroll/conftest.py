"""The construction firm's payroll records for the Visma payroll tests: employees with personal
numbers, a week of time entries and a payslip in March 2026 (dates fixed, so nothing depends on
today), and Visma's settings pointing at a fake host for the unit tests."""

from datetime import date
from decimal import Decimal as D

import pytest

from accounting.models import Employee, Payslip, Project, TimeEntry
from integrations.models import PayTypeMapping

API = "https://vlsapi.payroll.test"
IDENTITY = "https://identity.payroll.test"


@pytest.fixture
def visma_settings(settings):
    settings.VISMA_PAYROLL_BASE_URL = API
    settings.VISMA_IDENTITY_URL = IDENTITY
    settings.VISMA_CLIENT_ID = "hub-visma-client"
    settings.VISMA_CLIENT_SECRET = "hub-visma-s3cret-value"
    settings.APP_BASE_URL = "https://hub.payroll.test"
    return settings


@pytest.fixture
def frost(make_org):
    return make_org("frost", name="Frost Bygg AB", country="SE", currency="SEK",
                    org_number="556677-8899", language="sv")


def make_payroll_records(organization):
    """Two employees, five days of time each (the 2nd to the 6th of March 2026), one payslip
    for March with a salary and an overtime line."""
    lars = Employee.objects.create(organization=organization, employee_number="101",
                                   first_name="Lars", last_name="Andersson",
                                   email="lars@frostbygg.example.se",
                                   personal_identity_number="19800412-1234",
                                   employed_from=date(2020, 1, 1), monthly_salary=D("38500"))
    maria = Employee.objects.create(organization=organization, employee_number="102",
                                    first_name="Maria", last_name="Karlsson",
                                    personal_identity_number="199001022345",
                                    monthly_salary=D("0"))
    project = Project.objects.create(organization=organization, number="P-101",
                                     name="Stambyte Storgatan 14")
    entries = [TimeEntry.objects.create(organization=organization, employee=employee,
                                        project=project, date=date(2026, 3, day),
                                        hours=hours, description="Rivning och stamarbete")
               for day in range(2, 7) for employee, hours in ((lars, D("7.5")), (maria, D("8")))]
    payslip = Payslip.objects.create(organization=organization, employee=lars,
                                     period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                                     pay_date=date(2026, 3, 25), currency="SEK")
    payslip.lines.create(pay_type="monthly_salary", description="Månadslön", quantity=D("1"),
                         unit_amount=D("38500.00"))
    payslip.lines.create(pay_type="overtime", description="Övertid 50 %", quantity=D("6"),
                         unit_amount=D("330.00"))
    return {"lars": lars, "maria": maria, "project": project, "entries": entries,
            "payslip": payslip}


@pytest.fixture
def records(frost):
    return make_payroll_records(frost)


@pytest.fixture
def pay_codes(frost):
    for pay_type, code in (("monthly_salary", "1350"), ("overtime", "1340")):
        PayTypeMapping.objects.create(organization=frost, provider="visma_payroll",
                                      pay_type=pay_type, salary_code=code)
