"""The TLU file for Visma Lön 300/600: valid against Visma's XSD (../shared/specs) for the demo
data and for an empty month, ISO-8859-1, codes from admin, and `manage.py export_tlu`."""

import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from contracts.demo import demo_load
from integrations.providers.visma_payroll import tlu
from integrations.providers.visma_payroll.models import WORKED_TIME, TluCode
from tests.integrations.provider_edge import browser
from tests.specs import require_spec

XSD = "visma-lon-300-600-tlu-import.xsd"
DEMO_DAY = date(2026, 4, 10)  # the demo's time is the two weeks before, its payslip March's


def assert_valid(content):
    import xmlschema

    schema = xmlschema.XMLSchema(str(require_spec(XSD)))
    schema.validate(io.BytesIO(content))  # raises XMLSchemaValidationError with the reason
    assert content.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    return ET.fromstring(content)


@pytest.fixture
def demo_frost(db):
    from accounting.models import Organization

    demo_load(today=DEMO_DAY)
    return Organization.objects.get(slug="frost")


def test_the_demo_month_validates_and_carries_time_and_salary_lines(demo_frost):
    assert tlu.ensure_default_codes(demo_frost)
    first, last = tlu.month("2026-03")
    assert tlu.problems(demo_frost, first, last) == []
    root = assert_valid(tlu.build(demo_frost, first, last, created=DEMO_DAY))
    employees = {e.get("EmploymentNo"): e for e in root.iter("Employee")}
    assert set(employees) == {"101", "102", "103"}
    times = employees["101"].findall("Times/Time")
    worked = [t for t in times if t.get("TimeCode") == "ARB"]
    # The demo's time entries of March (weekdays from the 27th on) and the overtime line.
    assert worked and all(t.get("SumOfHours") == "7.50" and t.get("ProjectCode") == "P-101"
                          for t in worked)
    assert all(t.get("DateOfReport").startswith("2026-03") for t in worked)
    overtime = [t for t in times if t.get("TimeCode") == "OT1"]
    assert [(t.get("SumOfHours"), t.get("PricePerUnit")) for t in overtime] == [
        ("6.00", "330.00")]
    assert {c.get("Code") for c in root.iter("TimeCode")} == {"ARB", "OT1"}
    assert root.get("CompanyName") == "Frost Bygg AB"


def test_an_empty_month_validates(demo_frost):
    tlu.ensure_default_codes(demo_frost)
    first, last = tlu.month("2025-01")
    root = assert_valid(tlu.build(demo_frost, first, last, created=DEMO_DAY))
    times = list(root.iter("Time"))
    assert len(times) == 3 and all(t.get("SumOfHours") == "" for t in times)
    assert not list(root.iter("RegOutlay"))


@pytest.mark.django_db
def test_outlays_and_swedish_letters_survive_in_iso_8859_1(records, frost):
    tlu.ensure_default_codes(frost)
    TluCode.objects.filter(organization=frost, source="overtime").update(
        kind=TluCode.Kind.OUTLAY, code="UTL", name="Utlägg övertid", unit="tim")
    records["lars"].first_name = "Åsa-Öjvind"
    records["lars"].save()
    first, last = tlu.month("2026-03")
    content = tlu.build(frost, first, last, created=date(2026, 4, 1))
    root = assert_valid(content)
    assert "Åsa-Öjvind".encode("iso-8859-1") in content
    outlay = root.find(".//Employee[@EmploymentNo='101']/RegOutlays/RegOutlay")
    assert (outlay.get("OutlayCode"), outlay.get("NoOfPrivate"), outlay.get("SumOfPrivate"),
            outlay.get("Unit")) == ("UTL", "6.00", "1980.00", "tim")
    # A monthly salary lives in Visma Lön: left out.
    assert "38500" not in content.decode("iso-8859-1")


@pytest.mark.django_db
def test_a_pay_type_without_a_code_blocks_with_a_link_to_its_row(records, frost):
    tlu.ensure_default_codes(frost)
    records["payslip"].lines.create(pay_type="bonus", quantity=1, unit_amount=5000)
    problems = tlu.problems(frost, *tlu.month("2026-03"))
    assert [p.field for p in problems] == ["tlu_code.bonus"]
    assert problems[0].fix_url == (reverse("admin:visma_payroll_tlucode_add")
                                   + "?source=bonus")
    TluCode.objects.filter(organization=frost, source=WORKED_TIME).update(code="")
    fields = [p.field for p in tlu.problems(frost, *tlu.month("2026-03"))]
    assert fields == ["tlu_code.bonus", f"tlu_code.{WORKED_TIME}"]


@pytest.mark.parametrize("period", ["2026-13", "March", "", "2026-03-01"])
def test_a_period_that_is_not_a_month_is_refused(period):
    with pytest.raises(tlu.PeriodInvalid):
        tlu.month(period)


def test_manage_py_export_tlu_on_the_demo_data(demo_frost, tmp_path):
    target = tmp_path / "mars.tlu"
    out = io.StringIO()
    call_command("export_tlu", "--org", "frost", "--period", "2026-03", "--output", str(target),
                 stdout=out, stderr=io.StringIO())
    assert "Wrote" in out.getvalue()
    assert_valid(target.read_bytes())
    with pytest.raises(CommandError, match="No organization"):
        call_command("export_tlu", "--org", "nope", "--period", "2026-03", "--output",
                     str(target))
    with pytest.raises(CommandError, match="ÅÅÅÅ-MM"):  # in the organization's Swedish
        call_command("export_tlu", "--org", "frost", "--period", "03/2026", "--output",
                     str(target))


@pytest.mark.django_db
def test_the_download_on_the_integrations_page(records, frost, make_user, make_org):
    admin = make_user("frost-admin-tlu", frost, role="admin")
    page = browser(admin).get(reverse("integrations:page"))
    assert reverse("visma_payroll:tlu").encode() in page.content
    response = browser(admin).get(reverse("visma_payroll:tlu"), {"period": "2026-03"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="lon-frost-2026-03.tlu"'
    assert_valid(response.content)
    staff = make_user("frost-staff-tlu", frost, role="staff")
    assert browser(staff).get(reverse("visma_payroll:tlu"),
                              {"period": "2026-03"}).status_code == 403
    # Another organization's admin gets their own (empty) data, never Frost's.
    other = make_org("annan", name="Annat Bygg AB", country="SE")
    stranger = make_user("annan-admin", other, role="admin")
    response = browser(stranger).get(reverse("visma_payroll:tlu"), {"period": "2026-03"})
    assert response.status_code == 302  # no employees: back to the page saying so
    bad = browser(admin).get(reverse("visma_payroll:tlu"), {"period": "x"})
    assert bad.status_code == 302


@pytest.mark.django_db
def test_the_integrations_page_shows_visma_payroll_in_swedish(frost, make_user):
    admin = make_user("frost-admin-sv", frost, role="admin")
    page = browser(admin)
    page.cookies["django_language"] = "sv"
    html = page.get(reverse("integrations:page")).content.decode()
    section = html[html.find('id="integration-visma_payroll"'):].split("</section>")[0]
    assert "<h2>Visma payroll</h2>" in section
    assert reverse("integrations:page_connect", args=["visma_payroll"]) in section
    for shown in ("Lönefil för Visma Lön 300/600 (TLU)", "Ladda ner TLU-fil", "Månad"):
        assert shown in section, shown


@pytest.mark.django_db
def test_time_entries_need_a_time_code_and_can_be_left_out(records, frost):
    tlu.ensure_default_codes(frost)
    first, last = tlu.month("2026-03")
    TluCode.objects.filter(organization=frost, source=WORKED_TIME).update(
        kind=TluCode.Kind.OUTLAY)
    assert [p.field for p in tlu.problems(frost, first, last)] == [f"tlu_code.{WORKED_TIME}"]
    TluCode.objects.filter(organization=frost, source=WORKED_TIME).update(
        kind=TluCode.Kind.LEFT_OUT)
    assert tlu.problems(frost, first, last) == []
    root = assert_valid(tlu.build(frost, first, last, created=date(2026, 4, 1)))
    assert [t.get("TimeCode") for t in root.iter("Time") if t.get("SumOfHours")] == ["OT1"]


def test_the_demo_absences_are_absence_times_in_a_valid_file(demo_frost):
    """The demo's sick day and VAB day (in April) go in the file under their own time codes,
    declared with AbsenceType 1, not as worked time."""
    assert tlu.ensure_default_codes(demo_frost)
    first, last = tlu.month("2026-04")
    assert tlu.problems(demo_frost, first, last) == []
    root = assert_valid(tlu.build(demo_frost, first, last, created=DEMO_DAY))
    declared = {c.get("Code"): c.get("AbsenceType") for c in root.iter("TimeCode")}
    assert declared == {"ARB": None, "SJK": "1", "VAB": "1"}
    rows = [(e.get("EmploymentNo"), t.get("DateOfReport"), t.get("TimeCode"), t.get("SumOfHours"))
            for e in root.iter("Employee") for t in e.iter("Time") if t.get("TimeCode") != "ARB"]
    assert rows == [("102", "2026-04-08", "SJK", "8.00"), ("103", "2026-04-06", "VAB", "6.50")]
    worked_that_day = [t for e in root.iter("Employee") if e.get("EmploymentNo") == "102"
                       for t in e.iter("Time") if t.get("DateOfReport") == "2026-04-08"]
    assert len(worked_that_day) == 1  # the absence replaces the day's work


@pytest.mark.django_db
def test_an_absence_without_a_code_blocks_with_a_prefilled_link(records, frost):
    from accounting.models import TimeEntry

    TluCode.objects.create(organization=frost, source=WORKED_TIME, code="ARB", name="Arbetad")
    TluCode.objects.create(organization=frost, source="overtime", code="OT1", name="Övertid")
    TluCode.objects.create(organization=frost, source="monthly_salary",
                           kind=TluCode.Kind.LEFT_OUT, name="Månadslön")
    entry = records["entries"][0]
    entry.absence_kind = TimeEntry.AbsenceKind.HOLIDAY
    entry.save()
    first, last = tlu.month("2026-03")
    with translation.override("sv"):
        problems = tlu.problems(frost, first, last)
    assert [p.field for p in problems] == ["tlu_code.holiday"]
    assert str(problems[0].message) == ("TLU-filen behöver en kod i Visma Lön för frånvaro "
                                        "(Semester).")
    assert problems[0].fix_url == (reverse("admin:visma_payroll_tlucode_add")
                                   + "?source=holiday&kind=time&absence_type=1&code=SEM"
                                   "&name=Semester")
    # Set in admin without an absence type: the file still declares the code an absence.
    TluCode.objects.create(organization=frost, source="holiday", code="SEM", name="Semester")
    assert tlu.problems(frost, first, last) == []
    root = assert_valid(tlu.build(frost, first, last, created=date(2026, 4, 1)))
    assert {c.get("Code"): c.get("AbsenceType") for c in root.iter("TimeCode")} == {
        "ARB": None, "OT1": None, "SEM": "1"}
    holiday = [t for t in root.iter("Time") if t.get("TimeCode") == "SEM"]
    assert [(t.get("DateOfReport"), t.get("SumOfHours")) for t in holiday] == [
        ("2026-03-02", "7.50")]
