"""Every payload we send to Spiris Lön fits the published OpenAPI file with unknown properties
forbidden, and the rules of the mappers a wrong payload would break."""

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

import jsonschema
import pytest

from accounting.models import TimeEntry
from integrations.providers.visma_payroll import mappers
from tests.integrations.visma_payroll import spec

EMPLOYEE_ID = "3f1c1c52-8d3e-4c1a-9b0e-5d2f7a9c1e11"
PROJECT_ID = "7d0e2f61-2b4a-4c8e-a1f3-0c9b8a7d6e55"
REF = "hub-frost-time_entry-12"


@pytest.mark.django_db
def test_an_employee_payload_fits_create_employee_request(records):
    payload = mappers.employee_payload(records["lars"])
    assert spec.validate("post", "/v2/employees", payload) == "CreateEmployeeRequest"
    assert payload["IdentificationNumber"] == "198004121234"
    assert payload["EmployeeNumber"] == "101"
    assert payload["Contract"] == {"SalaryType": mappers.MONTHLY,
                                   "ContractStartDate": "2020-01-01"}
    hourly = mappers.employee_payload(records["maria"])
    spec.validate("post", "/v2/employees", hourly)
    assert hourly["Contract"] == {"SalaryType": mappers.HOURLY}
    assert "EmailWork" not in hourly


@pytest.mark.django_db
def test_a_time_entry_is_an_hours_worked_shortcut_of_one_day(records):
    entry = records["entries"][0]
    payload = mappers.time_payload(entry, employee_id=EMPLOYEE_ID, reference=REF,
                                   project_id=PROJECT_ID)
    assert spec.validate("post", "/v2/shortcuts/hoursworked", payload) == "HoursWorkedRequest"
    assert payload["StartDate"] == payload["EndDate"] == "2026-03-02"
    assert payload["ShortcutRegistrationMethod"] == mappers.HOURS_METHOD
    assert payload["MinutesOfDay"] == 450
    assert payload["ProjectId"] == PROJECT_ID
    assert mappers.carries_reference(payload["Comment"], REF)


@pytest.mark.parametrize("kind, path, schema", [
    ("sick_leave", "/v2/shortcuts/sickleave", "SickLeaveRequest"),
    ("care_of_sick_child", "/v2/shortcuts/careofsickchild", "CareOfSickChildRequest"),
    ("parental_leave", "/v2/shortcuts/parentalleave", "ParentalLeaveRequest"),
    ("holiday", "/v2/shortcuts/holiday", "HolidayRequest"),
    ("other_absence", "/v2/shortcuts/otherabsence", "OtherAbsenceRequest"),
])
def test_an_absence_goes_out_as_its_own_shortcut(kind, path, schema):
    entry = SimpleNamespace(date=date(2026, 3, 4), hours=D("8"), description="Sjuk",
                            absence_kind=kind)
    assert f"/v2/shortcuts/{mappers.shortcut_kind(entry)}" == path
    payload = mappers.time_payload(entry, employee_id=EMPLOYEE_ID, reference=REF)
    assert spec.validate("post", path, payload) == schema


@pytest.mark.django_db
def test_salary_lines_are_one_addition_shortcut_with_mapped_pay_codes(records):
    payslip = records["payslip"]
    lines = list(payslip.lines.all())
    payload = mappers.salary_payload(payslip, lines, employee_id=EMPLOYEE_ID,
                                     paycodes={"monthly_salary": "1350", "overtime": "1340"},
                                     reference="hub-frost-payslip-3")
    assert spec.validate("post", "/v2/shortcuts/otheradditiondeduction",
                         payload) == "OtherAdditionDeductionRequest"
    assert payload["Date"] == "2026-03-31"
    assert payload["Rows"] == [
        {"PaycodeNumber": "1350", "Quantity": 1.0, "UnitPrice": 38500.0},
        {"PaycodeNumber": "1340", "Quantity": 6.0, "UnitPrice": 330.0}]


def test_the_spec_check_forbids_unknown_properties():
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("post", "/v2/shortcuts/hoursworked", {
            "EmployeeId": EMPLOYEE_ID, "StartDate": "2026-03-02", "EndDate": "2026-03-02",
            "ShortcutRegistrationMethod": 1, "MinutesOfDay": 60, "Hours": 1})
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("post", "/v2/employees", {"FirstName": "A", "LastName": "B",
                                                "IdentificationNumber": "198001011234",
                                                "Contract": {"SalaryType": 1, "Salary": 1}})


def test_the_reference_survives_a_long_comment():
    comment = mappers.tagged_comment("x" * 5000, REF)
    assert len(comment) <= mappers.COMMENT_MAX and mappers.carries_reference(comment, REF)
    assert not mappers.carries_reference(f"[{REF}]0", REF)
    assert not mappers.carries_reference("[hub-frost-time_entry-123]", REF)


def test_same_employee_by_number_or_personal_number():
    employee = SimpleNamespace(employee_number="101", personal_identity_number="19800412-1234")
    assert mappers.same_employee({"EmployeeNumber": "101"}, employee) == "number"
    assert mappers.same_employee({"EmployeeNumber": "7", "IdentificationNumber": "8004121234"},
                                 employee) == "personal_number"
    assert mappers.same_employee({"EmployeeNumber": "7", "IdentificationNumber": "198004121235"},
                                 employee) == ""


def test_a_payslip_result_reads_gross_net_tax_and_locks():
    remote = {"Id": "p1", "GrossSalary": 40480.0, "NetSalary": 28336.0,
              "PreliminaryTax": 12144.0, "PaymentDateUtc": "2026-03-25T00:00:00",
              "LockedDate": None, "SalaryPeriod_FromDate": "2026-03-01T00:00:00",
              "SalaryPeriod_ToDate": "2026-03-31T00:00:00"}
    values = mappers.payslip_result(remote, wage_run={"Id": "w1", "Locked": True})
    assert values == {"remote_payslip_id": "p1", "wage_run_id": "w1",
                      "gross_salary": D("40480.00"), "net_salary": D("28336.00"),
                      "preliminary_tax": D("12144.00"), "payment_date": date(2026, 3, 25),
                      "payslip_locked": False, "wage_run_locked": True}
    payslip = SimpleNamespace(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    assert mappers.same_period(remote, payslip)
    assert not mappers.same_period({**remote, "SalaryPeriod_ToDate": "2026-03-30"}, payslip)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", TimeEntry.AbsenceKind.values)
def test_every_absence_kind_of_our_time_entries_has_its_shortcut(kind, records):
    """A time entry marked as an absence (the model's own choices) fits its shortcut's request
    schema and is never sent as hours worked."""
    entry = records["entries"][0]
    entry.absence_kind = kind
    entry.save()
    entry.refresh_from_db()
    shortcut = mappers.shortcut_kind(entry)
    assert shortcut != mappers.HOURS_WORKED
    path = f"/v2/shortcuts/{shortcut}"
    payload = mappers.time_payload(entry, employee_id=EMPLOYEE_ID, reference=REF,
                                   project_id=PROJECT_ID)
    spec.validate("post", path, payload)
    assert payload["MinutesOfDay"] == 450
    assert mappers.carries_reference(payload["Comment"], REF)


def test_an_unknown_absence_kind_is_never_sent_as_hours_worked():
    entry = SimpleNamespace(date=date(2026, 3, 4), hours=D("8"), description="",
                            absence_kind="sabbatical")
    with pytest.raises(mappers.UnknownAbsenceKind):
        mappers.shortcut_kind(entry)
    worked = SimpleNamespace(date=date(2026, 3, 4), hours=D("8"), description="",
                             absence_kind="")
    assert mappers.shortcut_kind(worked) == mappers.HOURS_WORKED
