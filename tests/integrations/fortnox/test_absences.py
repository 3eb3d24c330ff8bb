"""A time entry marked as an absence goes to Fortnox as an absence transaction
(`3/absencetransactions`), never as worked hours: each kind under its own cause code (overridable
per organization with the pay-type mapping `time_entry.<kind>`), matched on every value after a
lost answer, and moved between attendance and absence when its kind changes."""

import pytest
from django.utils import translation

from integrations.models import Link, PayTypeMapping, SyncJob
from integrations.providers import registry
from integrations.providers.fortnox import checks, mappers
from integrations.views.services import export_records
from tests.integrations.fortnox.conftest import (
    API,
    echo,
    listing,
    lose,
    requests_to,
    run,
    sent,
)
from tests.integrations.fortnox.spec import validate

pytestmark = pytest.mark.django_db


def _link(connection, entry):
    return Link.objects.get(connection=connection, record_type="time_entry",
                            local_id=str(entry.pk))


def _rerun(job):
    from integrations.engine import run_job

    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    return run_job(job.pk)


@pytest.fixture
def sick_day(time_entry):
    time_entry.absence_kind = "sick_leave"
    time_entry.hours = 8
    time_entry.project = None
    time_entry.save()
    return time_entry


@pytest.fixture
def employee_linked(connection, employee):
    from integrations.links import store_link

    store_link(connection, "employee", employee.pk, "17", remote_number="17")


def answer_create(rsps, path, wrapper, remote_id):
    echo(rsps, "POST", path, wrapper, status=201, id=remote_id)


# -- the payload ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, code", [("sick_leave", "SJK"), ("care_of_sick_child", "VAB"),
                                        ("parental_leave", "FPE"), ("holiday", "SEM"),
                                        ("other_absence", "TJL")])
def test_each_kind_has_a_default_cause_code(frost, kind, code):
    assert checks.time_cause_code(frost, kind) == code
    assert checks.time_cause_code(frost) == "ARB"


def test_the_absence_payload_fits_the_spec(sick_day):
    payload = mappers.absence_payload(sick_day, employee_id="17", cause_code="SJK")
    assert validate("post", "/3/absencetransactions",
                    payload) == "fortnox_AbsenceTransactionPayload_Wrap"
    assert validate("put", "/3/absencetransactions/{id}", payload)
    assert payload == {"AbsenceTransaction": {"EmployeeId": "17", "CauseCode": "SJK",
                                              "Date": "2026-11-03", "Hours": 8.0}}
    with_project = mappers.absence_payload(sick_day, employee_id="17", cause_code="VAB",
                                           project_number="P-2026-07")
    validate("post", "/3/absencetransactions", with_project)
    same = {"id": "a1", "EmployeeId": "17", "CauseCode": "SJK", "Date": "2026-11-03",
            "Hours": 8, "Extent": 100, "HolidayEntitling": True, "Project": ""}
    assert mappers.absence_matches(same, payload)
    assert not mappers.absence_matches({**same, "Hours": 7.5}, payload)
    assert not mappers.absence_matches({**same, "CauseCode": "VAB"}, payload)


# -- sending -------------------------------------------------------------------------------------
def test_an_absence_is_sent_as_an_absence_transaction(connection, rsps, sick_day,
                                                      employee_linked):
    with translation.override("sv"):
        assert registry.for_connection(connection).validate_export(
            "time_entry", sick_day) == []
    [(job, created)] = export_records(connection=connection, record_type="time_entry",
                                      ids=[sick_day.pk])
    answer_create(rsps, "/absencetransactions", "AbsenceTransaction", "a-1")
    from integrations.engine import run_job

    assert run_job(job.pk) == "done"
    [post] = requests_to(rsps, "POST", "/absencetransactions")
    assert sent(post) == {"AbsenceTransaction": {"EmployeeId": "17", "CauseCode": "SJK",
                                                 "Date": "2026-11-03", "Hours": 8.0}}
    assert [c.request.method for c in rsps.calls] == ["POST"]  # no attendance, no look-up
    link = _link(connection, sick_day)
    assert (link.remote_id, link.data) == ("a-1", {"transaction": "absence"})

    sick_day.hours = 4
    sick_day.save()
    echo(rsps, "PUT", "/absencetransactions/a-1", "AbsenceTransaction")
    assert run(connection, "time_entry.export", sick_day, variant="again")[0] == "done"
    [put] = requests_to(rsps, "PUT", "/absencetransactions/a-1")
    assert sent(put)["AbsenceTransaction"]["Hours"] == 4.0
    assert requests_to(rsps, "POST", "/attendancetransactions") == []


def test_the_organizations_mapping_overrides_the_cause_code(connection, rsps, frost, sick_day,
                                                            employee_linked):
    PayTypeMapping.objects.create(organization=frost, provider="fortnox",
                                  pay_type="time_entry.sick_leave", salary_code="ask")
    answer_create(rsps, "/absencetransactions", "AbsenceTransaction", "a-1")
    assert run(connection, "time_entry.export", sick_day)[0] == "done"
    [post] = requests_to(rsps, "POST", "/absencetransactions")
    assert sent(post)["AbsenceTransaction"]["CauseCode"] == "ASK"


def test_a_mapped_code_fortnox_lacks_is_named_before_anything_is_sent(connection, rsps, frost,
                                                                      sick_day):
    row = PayTypeMapping.objects.create(organization=frost, provider="fortnox",
                                        pay_type="time_entry.sick_leave", salary_code="ARB")
    with translation.override("sv"):
        problems = registry.for_connection(connection).validate_export("time_entry", sick_day)
    [problem] = problems
    assert problem.field == "mapping.pay_type.time_entry.sick_leave"
    assert problem.fix_url.endswith(f"/integrations/paytypemapping/{row.pk}/change/")
    assert problem.message.startswith("Fortnox har ingen orsakskod för frånvaro 'ARB' "
                                      "(mappad för sjukfrånvaro)")
    outcome, job = run(connection, "time_entry.export", sick_day)
    assert outcome == "failed", job.last_error
    assert [c.request.url for c in rsps.calls] == []


# -- exactly one transaction ---------------------------------------------------------------------
def test_a_lost_answer_is_found_by_its_values_not_posted_twice(connection, rsps, sick_day,
                                                               employee_linked):
    lose(rsps, "POST", "/absencetransactions")
    outcome, job = run(connection, "time_entry.export", sick_day)
    assert outcome == "unknown", job.last_error
    ours = sent(requests_to(rsps, "POST", "/absencetransactions")[0])["AbsenceTransaction"]
    other = Link.objects.create(organization=sick_day.organization, connection=connection,
                                record_type="time_entry", local_id="999", remote_id="a-0")
    rsps.add("GET", f"{API}/absencetransactions", json=listing("AbsenceTransactions", [
        {**ours, "id": other.remote_id},  # the same values, but another entry's
        {**ours, "id": "a-2", "Hours": 7.5},  # typed in Fortnox
        {**ours, "id": "a-3", "Extent": 100, "HolidayEntitling": False}]))
    assert _rerun(job) == "adopted"
    [search] = requests_to(rsps, "GET", "/absencetransactions")
    assert (search.params["employeeid"], search.params["date"]) == ("17", "2026-11-03")
    assert len(requests_to(rsps, "POST", "/absencetransactions")) == 1
    assert _link(connection, sick_day).remote_id == "a-3"
    assert requests_to(rsps, "GET", "/attendancetransactions") == []


# -- an entry whose kind changes moves -------------------------------------------------------------
def test_worked_hours_that_become_an_absence_move_and_back(connection, rsps, time_entry,
                                                           employee_linked, project):
    from integrations.links import store_link

    store_link(connection, "project", project.pk, "P-2026-07")
    # Linked before absences were sent: the link names no transaction, so it is attendance.
    store_link(connection, "time_entry", time_entry.pk, "w-1")
    time_entry.absence_kind = "care_of_sick_child"
    time_entry.save()
    rsps.add("DELETE", f"{API}/attendancetransactions/w-1", status=204)
    answer_create(rsps, "/absencetransactions", "AbsenceTransaction", "a-1")
    assert run(connection, "time_entry.export", time_entry)[0] == "done"
    assert [(c.request.method, c.request.path_url) for c in rsps.calls] == [
        ("DELETE", "/3/attendancetransactions/w-1"), ("POST", "/3/absencetransactions")]
    assert sent(rsps.calls[1].request)["AbsenceTransaction"]["CauseCode"] == "VAB"
    link = _link(connection, time_entry)
    assert (link.remote_id, link.data) == ("a-1", {"transaction": "absence"})

    time_entry.absence_kind = ""
    time_entry.save()
    rsps.add("DELETE", f"{API}/absencetransactions/a-1", status=204)
    answer_create(rsps, "/attendancetransactions", "AttendanceTransaction", "w-2")
    assert run(connection, "time_entry.export", time_entry, variant="back")[0] == "done"
    assert [(c.request.method, c.request.path_url) for c in rsps.calls[2:]] == [
        ("DELETE", "/3/absencetransactions/a-1"), ("POST", "/3/attendancetransactions")]
    link = _link(connection, time_entry)
    assert (link.remote_id, link.data) == ("w-2", {"transaction": "attendance"})


def test_a_move_whose_answer_is_lost_makes_one_absence(connection, rsps, time_entry,
                                                       employee_linked, project):
    from integrations.links import store_link

    store_link(connection, "project", project.pk, "P-2026-07")
    store_link(connection, "time_entry", time_entry.pk, "w-1",
               data={"transaction": "attendance"})
    time_entry.absence_kind = "holiday"
    time_entry.save()
    rsps.add("DELETE", f"{API}/attendancetransactions/w-1", status=204)
    lose(rsps, "POST", "/absencetransactions")
    outcome, job = run(connection, "time_entry.export", time_entry)
    assert outcome == "unknown", job.last_error
    ours = sent(requests_to(rsps, "POST", "/absencetransactions")[0])["AbsenceTransaction"]
    assert (ours["CauseCode"], ours["Project"]) == ("SEM", "P-2026-07")
    rsps.add("GET", f"{API}/absencetransactions",
             json=listing("AbsenceTransactions", [{**ours, "id": "a-9"}]))
    assert _rerun(job) == "adopted"
    assert len(requests_to(rsps, "POST", "/absencetransactions")) == 1
    assert len(requests_to(rsps, "DELETE", "/attendancetransactions/w-1")) == 1
    link = _link(connection, time_entry)
    assert (link.remote_id, link.data) == ("a-9", {"transaction": "absence"})
