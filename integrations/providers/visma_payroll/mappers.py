"""Pure functions: our records <-> Spiris Lön API V2 JSON (the published OpenAPI file,
`CreateEmployeeRequest`, `HoursWorkedRequest` and its absence siblings,
`OtherAdditionDeductionRequest`, `PayslipDetailedResponse`, `WageRunResponse`).

Shortcuts have no reference field, so our reference (`hub-<org>-<record type>-<id>`) closes the
`Comment`, in brackets: after an unknown outcome the day's shortcuts of our own client are
listed and the one whose comment ends with it is adopted (compared exactly).
"""

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

HOURS_METHOD = 1  # ShortcutRegistrationMethod: 0 Time, 1 Hours, 2 Percentage
MONTHLY, HOURLY = 1, 2  # Contract.SalaryType
REGULAR, LIMITED = 0, 1  # EmployeeResponse.Type
DRAFT, FULL = 0, 1  # EmployeeResponse.State
COMMENT_MAX = 2000
CENT = Decimal("0.01")

# Our absence kinds (`TimeEntry.AbsenceKind`) -> the shortcut that carries them
# [visma-payroll.md 1.4]. Spiris Lön needs no code of ours for them: the shortcut is the kind.
ABSENCE_SHORTCUTS = {
    "sick_leave": "sickleave",
    "care_of_sick_child": "careofsickchild",
    "parental_leave": "parentalleave",
    "holiday": "holiday",
    "other_absence": "otherabsence",
}
HOURS_WORKED = "hoursworked"
ADDITION_DEDUCTION = "otheradditiondeduction"
OTHER_ABSENCE_GROUP_OTHER = 1  # OtherAbsenceGroup: 0 OnLeave, 1 Other
OTHER_ABSENCE_IN_HOURS = 6  # OtherAbsenceQuantityType: 6 Hours


def iso(value: date) -> str:
    return value.isoformat()


def digits(value) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def tagged_comment(text, reference) -> str:
    """`text [reference]`, cut so the reference always fits."""
    tag = f"[{reference}]"
    room = COMMENT_MAX - len(tag) - 1
    text = " ".join(str(text or "").split())[:room]
    return f"{text} {tag}" if text else tag


def carries_reference(comment, reference) -> bool:
    return str(comment or "").endswith(f"[{reference}]")


def is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# -- employees ------------------------------------------------------------------------------------
def employee_payload(employee) -> dict:
    """CreateEmployeeRequest. Monthly pay when we know a monthly salary, else hourly."""
    contract = {"SalaryType": MONTHLY if (employee.monthly_salary or 0) > 0 else HOURLY}
    if employee.employed_from:
        contract["ContractStartDate"] = iso(employee.employed_from)
    payload = {
        "FirstName": employee.first_name,
        "LastName": employee.last_name,
        "EmployeeNumber": employee.employee_number,
        "IdentificationNumber": digits(employee.personal_identity_number),
        "Contract": contract,
    }
    if employee.email:
        payload["EmailWork"] = employee.email
    return payload


def same_employee(remote, employee) -> str:
    """Why a Spiris Lön employee is ours ("number", "personal_number") or "" when it is not."""
    if str(remote.get("EmployeeNumber") or "") == employee.employee_number:
        return "number"
    ours = digits(employee.personal_identity_number)
    theirs = digits(remote.get("IdentificationNumber"))
    # 12 digits (with century) or 10: compare the last ten when one side lacks the century.
    if ours and theirs and (ours == theirs or (min(len(ours), len(theirs)) == 10
                                               and ours[-10:] == theirs[-10:])):
        return "personal_number"
    return ""


def employee_state(remote) -> dict:
    return {"type": remote.get("Type"), "state": remote.get("State")}


# -- time entries ---------------------------------------------------------------------------------
class UnknownAbsenceKind(ValueError):
    pass


def shortcut_kind(entry) -> str:
    """Which shortcut a time entry goes out as: its absence kind's, or hours worked when it
    has none. An absence kind without a shortcut is an error, never hours worked."""
    kind = entry.absence_kind or ""
    if not kind:
        return HOURS_WORKED
    try:
        return ABSENCE_SHORTCUTS[kind]
    except KeyError:
        raise UnknownAbsenceKind(kind) from None


def minutes(hours) -> int:
    return int((Decimal(str(hours)) * 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def time_payload(entry, *, employee_id, reference, project_id="", cost_center_ids=()) -> dict:
    """HoursWorkedRequest (or the absence shortcut's request): one day, registered in hours."""
    kind = shortcut_kind(entry)
    payload = {
        "EmployeeId": employee_id,
        "StartDate": iso(entry.date),
        "EndDate": iso(entry.date),
        "ShortcutRegistrationMethod": HOURS_METHOD,
        "MinutesOfDay": minutes(entry.hours),
        "Comment": tagged_comment(entry.description, reference),
    }
    if project_id:
        payload["ProjectId"] = project_id
    for index, cost_center in enumerate(cost_center_ids[:3], start=1):
        if cost_center:
            payload[f"CostCenterItemId{index}"] = cost_center
    if kind == "otherabsence":
        payload["OtherAbsenceGroup"] = OTHER_ABSENCE_GROUP_OTHER
        payload["OtherAbsenceQuantityType"] = OTHER_ABSENCE_IN_HOURS
    return payload


# -- salary lines ---------------------------------------------------------------------------------
def money(value) -> float:
    return float(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def salary_payload(payslip, lines, *, employee_id, paycodes, reference, project_id="") -> dict:
    """OtherAdditionDeductionRequest: one row per payslip line, its pay type's pay code,
    Quantity and UnitPrice (2 decimals), dated the last day of the salary period."""
    rows = []
    for line in lines:
        row = {"PaycodeNumber": paycodes[line.pay_type], "Quantity": money(line.quantity),
               "UnitPrice": money(line.unit_amount)}
        if project_id:
            row["ProjectId"] = project_id
        rows.append(row)
    period = f"{iso(payslip.period_start)}–{iso(payslip.period_end)}"
    return {"EmployeeId": employee_id, "Date": iso(payslip.period_end),
            "Comment": tagged_comment(f"Lönebesked {period}", reference), "Rows": rows}


# -- results back ---------------------------------------------------------------------------------
def api_date(value):
    """A date of the API's `date-time` strings, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def decimal(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def payslip_result(remote, *, wage_run=None) -> dict:
    """The values of PayslipResult from a PayslipDetailedResponse and its WageRunResponse."""
    return {
        "remote_payslip_id": str(remote.get("Id") or ""),
        "wage_run_id": str((wage_run or {}).get("Id") or ""),
        "gross_salary": decimal(remote.get("GrossSalary")),
        "net_salary": decimal(remote.get("NetSalary")),
        "preliminary_tax": decimal(remote.get("PreliminaryTax")),
        "payment_date": api_date(remote.get("PaymentDateUtc")),
        "payslip_locked": bool(remote.get("LockedDate")),
        "wage_run_locked": bool((wage_run or {}).get("Locked")),
    }


def same_period(remote, payslip) -> bool:
    return (api_date(remote.get("SalaryPeriod_FromDate")) == payslip.period_start
            and api_date(remote.get("SalaryPeriod_ToDate")) == payslip.period_end)


def run_periods(wage_run) -> set:
    """The salary periods a WageRunResponse pays, as (first day, last day): the monthly one and
    the hourly one (a payslip covers one of them, after its employee's salary type)."""
    periods = set()
    for kind in ("Monthly", "Hourly"):
        first = api_date(wage_run.get(f"SalaryPeriod{kind}FromDateUtc"))
        last = api_date(wage_run.get(f"SalaryPeriod{kind}ToDateUtc"))
        if first and last:
            periods.add((first, last))
    return periods


def stamp(value) -> str:
    """A change stamp (`CreatedUtc`, `ModifiedUtc`) as the API wrote it, for comparing."""
    return str(value or "")


def later(value, than) -> bool:
    """Whether the API time `value` is after `than` (both date-time strings; unreadable or
    empty counts as earliest)."""
    def when(text):
        try:
            moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.replace(tzinfo=None) if moment.tzinfo is None else \
            moment.astimezone(UTC).replace(tzinfo=None)

    new, old = when(value) if value else None, when(than) if than else None
    return new is not None and (old is None or new > old)
