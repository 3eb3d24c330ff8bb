"""The TLU file for Visma Lön 300/600 (desktop, no API): a month's time and salary lines as
Visma's XML import file, encoded ISO-8859-1 [visma-payroll.md 2; the XSD "version 1.0
2014-03-25"].

What goes where:
- every time entry of the period -> a `Time` (date, hours, the time code of `worked_time`, or
  of its absence kind for an absence, the project's number); a code that carries absences is
  declared with `AbsenceType` 1 (unless admin set another);
- every payslip line of a payslip whose salary period ends in the month -> a `Time` when its
  pay type's code is a time code (quantity as hours, unit amount as `PricePerUnit`), a
  `RegOutlay` when it is an outlay code, nothing when the pay type is marked "not in the file"
  (a monthly salary lives in Visma Lön itself);
- the codes used are declared in `TimeCodes`, the projects in `Projects`.
Visma Lön matches employees on `EmploymentNo` (our employee number).

The XSD wants at least one employee, and in each `NormalWorkingTimes`, `Times` and
`TimeBalances` at least one row. We know no schedules or balances, so each employee gets one
empty `NormalWorkingTime` and one empty `TimeBalance` (empty values are allowed and mean "no
value"); an employee with no time gets one empty `Time`. A month with nothing at all lists the
organization's employees that way, so the file is still valid (and imports nothing).

The codes come from the admin mapping (`TluCode`). An organization without any gets the
suggestions in `DEFAULT_CODES` the first time, to edit in admin; a pay type without a code then
blocks the export with a link to its row.
"""

import calendar
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounting.models import Employee, PayslipLine, TimeEntry
from integrations.errors import ValidationProblem
from integrations.providers.visma_payroll.mappers import digits
from integrations.providers.visma_payroll.models import WORKED_TIME, TluCode

ENCODING = "ISO-8859-1"
EXPORT_VERSION = "1.0"
PROGRAM_NAME = "Nordic accounting hub"
# source -> (kind, code, name): what an organization starts with (edit in admin).
DEFAULT_CODES = {
    WORKED_TIME: (TluCode.Kind.TIME, "ARB", "Arbetad tid"),
    "overtime": (TluCode.Kind.TIME, "OT1", "Övertid"),
    "monthly_salary": (TluCode.Kind.LEFT_OUT, "", "Månadslön (finns i Visma Lön)"),
}
# Absence kind (`TimeEntry.AbsenceKind`) -> (time code, name): suggestions too, written with
# `AbsenceType` 1. The tidkoder are the customer's own in Visma Lön, so they are edited in admin.
DEFAULT_ABSENCE_CODES = {
    TimeEntry.AbsenceKind.SICK_LEAVE: ("SJK", "Sjukfrånvaro"),
    TimeEntry.AbsenceKind.CARE_OF_SICK_CHILD: ("VAB", "Vård av sjukt barn"),
    TimeEntry.AbsenceKind.PARENTAL_LEAVE: ("FL", "Föräldraledighet"),
    TimeEntry.AbsenceKind.HOLIDAY: ("SEM", "Semester"),
    TimeEntry.AbsenceKind.OTHER_ABSENCE: ("TJL", "Tjänstledighet, övrig frånvaro"),
}
ABSENCE_SOURCES = frozenset(str(kind) for kind in DEFAULT_ABSENCE_CODES)


class PeriodInvalid(ValueError):
    pass


def month(text) -> tuple[date, date]:
    """The first and last day of a `YYYY-MM` period."""
    try:
        year, number = (int(part) for part in str(text).split("-"))
        first = date(year, number, 1)
    except (TypeError, ValueError):
        raise PeriodInvalid(_("The period must be a month as YYYY-MM, e.g. 2026-03.")) from None
    return first, first.replace(day=calendar.monthrange(year, number)[1])


def code_fix_url(organization, source):
    pk = (TluCode.objects.for_org(organization).filter(source=source)
          .values_list("pk", flat=True).first())
    if pk is not None:
        return reverse("admin:visma_payroll_tlucode_change", args=[pk])
    query = {"source": source}
    if source in ABSENCE_SOURCES:
        code, name = DEFAULT_ABSENCE_CODES[source]
        query.update(kind=TluCode.Kind.TIME, absence_type=TluCode.AbsenceType.ABSENCE,
                     code=code, name=name)
    return f"{reverse('admin:visma_payroll_tlucode_add')}?{urlencode(query)}"


def ensure_default_codes(organization) -> bool:
    """Give an organization without any TLU codes the suggestions; True when it got them."""
    with transaction.atomic():
        if TluCode.objects.for_org(organization).exists():
            return False
        TluCode.objects.bulk_create([
            TluCode(organization=organization, source=source, kind=kind, code=code, name=name)
            for source, (kind, code, name) in DEFAULT_CODES.items()] + [
            TluCode(organization=organization, source=source, kind=TluCode.Kind.TIME,
                    code=code, name=name, absence_type=TluCode.AbsenceType.ABSENCE)
            for source, (code, name) in DEFAULT_ABSENCE_CODES.items()])
    return True


@dataclass
class Period:
    organization: object
    first: date
    last: date

    def time_entries(self):
        return (TimeEntry.objects.for_org(self.organization)
                .filter(date__range=(self.first, self.last))
                .select_related("employee", "project").order_by("date", "pk"))

    def payslip_lines(self):
        return (PayslipLine.objects.filter(payslip__organization=self.organization,
                                           payslip__period_end__range=(self.first, self.last))
                .select_related("payslip", "payslip__employee").order_by("payslip__pk", "pk"))


def time_source(entry) -> str:
    """Which code a time entry takes: its absence kind's when it has one, else worked time."""
    return entry.absence_kind or WORKED_TIME


def source_label(source) -> str:
    if source == WORKED_TIME:
        return _("time entries (worked time)")
    if source in ABSENCE_SOURCES:
        return _("absences (%(kind)s)") % {"kind": TimeEntry.AbsenceKind(source).label}
    return source


def problems(organization, first, last) -> list:
    """Every code the period's lines need and lack, each with its admin link."""
    codes = {c.source: c for c in TluCode.objects.for_org(organization)}
    period = Period(organization, first, last)
    wanted = {line.pay_type for line in period.payslip_lines()}
    hours = {time_source(entry) for entry in period.time_entries()} | {WORKED_TIME}
    wanted |= hours
    found = []
    for source in sorted(wanted):
        code = codes.get(source)
        if source in hours and code is not None and code.kind == TluCode.Kind.OUTLAY:
            found.append(ValidationProblem(
                _("Time entries need a time code in the TLU file, not an outlay code (%(what)s)."
                  ) % {"what": source_label(source)},
                fix_url=code_fix_url(organization, source), field=f"tlu_code.{source}"))
        elif code is None or (code.kind != TluCode.Kind.LEFT_OUT and not code.code):
            found.append(ValidationProblem(
                _("The TLU file needs a Visma Lön code for %(what)s.") % {
                    "what": source_label(source)},
                fix_url=code_fix_url(organization, source), field=f"tlu_code.{source}"))
    if not Employee.objects.for_org(organization).exists():
        found.append(ValidationProblem(_("The organization has no employees to report."),
                                       field="employees"))
    return found


def _hours(value) -> str:
    return f"{Decimal(value):.2f}"


def _attrs(element, **values):
    for name, value in values.items():
        if value is not None:
            element.set(name, str(value))
    return element


def build(organization, first, last, *, created) -> bytes:
    """The TLU file's bytes. Call `problems()` first: a missing code raises KeyError here."""
    codes = {c.source: c for c in TluCode.objects.for_org(organization)}
    period = Period(organization, first, last)
    worked = codes[WORKED_TIME]
    # The XSD wants one time code at least, and an empty row needs one: worked time's.
    worked = worked if worked.code else TluCode(code="ARB", name="Arbetad tid")
    per_employee, used_codes, projects = {}, {worked.code: worked}, {}
    absence_codes = set()  # codes that carry absences: AbsenceType 1 unless set in admin

    def rows(employee):
        return per_employee.setdefault(employee.pk, (employee, [], []))

    for entry in period.time_entries():
        project = entry.project.number[:10] if entry.project else None
        if entry.project:
            projects[project] = (entry.project.name or entry.project.number)[:50]
        code = codes[time_source(entry)]
        if code.kind == TluCode.Kind.LEFT_OUT:  # chosen in admin: not in the file
            continue
        used_codes[code.code] = code
        if entry.absence_kind:
            absence_codes.add(code.code)
        rows(entry.employee)[1].append({"DateOfReport": entry.date.isoformat(),
                                        "TimeCode": code.code, "SumOfHours": _hours(entry.hours),
                                        "ProjectCode": project})
    for line in period.payslip_lines():
        code = codes[line.pay_type]
        employee, day = line.payslip.employee, line.payslip.period_end.isoformat()
        if code.kind == TluCode.Kind.TIME:
            used_codes[code.code] = code
            rows(employee)[1].append({"DateOfReport": day, "TimeCode": code.code,
                                      "SumOfHours": _hours(line.quantity),
                                      "PricePerUnit": _hours(line.unit_amount)})
        elif code.kind == TluCode.Kind.OUTLAY:
            rows(employee)[2].append({
                "DateOfReport": day, "OutlayCode": code.code, "OutlayCodeName": code.name[:50],
                "OutlayType": "", "NoOfPrivate": _hours(line.quantity), "Unit": code.unit[:50],
                "SumOfPrivate": _hours(line.amount), "SumOfPrivateTax": "0.00",
                "InternNote": (line.description or "")[:50]})
    if not per_employee:
        for employee in Employee.objects.for_org(organization).order_by("employee_number"):
            rows(employee)

    root = _attrs(ET.Element("SalaryData"), ProgramName=PROGRAM_NAME, Version="1",
                  ExportVersion=EXPORT_VERSION, Created=created.isoformat(),
                  CompanyName=organization.name, OrgNo=(organization.org_number or None)
                  and organization.org_number[:11])
    time_codes = ET.SubElement(root, "TimeCodes")
    for code in sorted(used_codes.values(), key=lambda c: c.code):
        absence_type = code.absence_type
        if absence_type is None and code.code in absence_codes:
            absence_type = TluCode.AbsenceType.ABSENCE
        _attrs(ET.SubElement(time_codes, "TimeCode"), Code=code.code,
               TimeCodeName=code.name[:50] or code.code,
               AbsenceType=None if absence_type is None else int(absence_type), Active="true")
    if projects:
        element = ET.SubElement(root, "Projects")
        for number, name in sorted(projects.items()):
            _attrs(ET.SubElement(element, "Project"), Code=number, Description=name)
    employees = _attrs(ET.SubElement(root, "SalaryDataEmployee"), FromDate=first.isoformat(),
                       ToDate=last.isoformat())
    for employee, times, outlays in sorted(per_employee.values(),
                                           key=lambda r: r[0].employee_number):
        _employee(employees, employee, times, outlays, first, last, worked.code)
    ET.indent(root)
    return ET.tostring(root, encoding=ENCODING, xml_declaration=True)


def _employee(parent, employee, times, outlays, first, last, worked_code):
    personal = digits(employee.personal_identity_number)[:12] or None
    element = _attrs(ET.SubElement(parent, "Employee"),
                     EmploymentNo=employee.employee_number[:20],
                     FirstName=(employee.first_name or "-")[:50],
                     Name=(employee.last_name or "-")[:50], PersonalNo=personal,
                     HourlyWage=0 if (employee.monthly_salary or 0) > 0 else 1,
                     FromDate=first.isoformat(), ToDate=last.isoformat())
    _attrs(ET.SubElement(ET.SubElement(element, "NormalWorkingTimes"), "NormalWorkingTime"),
           DateOfReport="", NormalWorkingTimeHours="")
    times_element = ET.SubElement(element, "Times")
    for values in times or [{"DateOfReport": first.isoformat(), "TimeCode": worked_code,
                             "SumOfHours": ""}]:
        _attrs(ET.SubElement(times_element, "Time"), **values)
    ET.SubElement(element, "TimeAdjustments")
    _attrs(ET.SubElement(ET.SubElement(element, "TimeBalances"), "TimeBalance"),
           TimeCode=worked_code, ConvAccRegHours="")
    outlays_element = ET.SubElement(element, "RegOutlays")
    for values in outlays:
        _attrs(ET.SubElement(outlays_element, "RegOutlay"), **values)


def file_name(organization, first) -> str:
    return f"lon-{organization.slug}-{first:%Y-%m}.tlu"
