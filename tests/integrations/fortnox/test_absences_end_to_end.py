"""Absences against the Fortnox simulator on the live server: one absence transaction and no
attendance transaction per absence, one after a lost answer, a kind change that moves the
entry, and the demo's "Export time entries" (worked days and its two absences) in one go."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from integrations.engine import run_job
from integrations.models import Link, SyncJob
from tests.integrations.fortnox import test_end_to_end as e2e
from tests.integrations.fortnox.conftest import run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The simulator and the consent, as the other end-to-end tests have them.
sim, admin, connected = e2e.sim, e2e.admin, e2e.connected
consent, remote = e2e.consent, e2e.remote


def transactions(connection, kind):
    return remote(connection, f"/3/{kind}transactions")[
        f"{kind.capitalize()}Transactions"]


def run_until_done(job, tries=5):
    """Run a queued job as the worker does; one the rate limit sent back (Fortnox's 429, or
    our limiter asking to wait) is run again when due, as the sweep would."""
    for _ in range(tries):
        outcome = run_job(job.pk)
        if outcome == "done":
            return outcome
        time.sleep(1)
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    return outcome


@pytest.fixture
def sick_day(time_entry):
    time_entry.absence_kind = "sick_leave"
    time_entry.hours = 8
    time_entry.save()
    return time_entry


def test_an_absence_becomes_one_absence_transaction(connected, sick_day):
    outcome, job = run(connected, "time_entry.export", sick_day)
    assert outcome == "done", job.last_error

    [absence] = transactions(connected, "absence")
    assert (absence["EmployeeId"], absence["CauseCode"], absence["Date"], absence["Hours"],
            absence["Project"]) == ("17", "SJK", "2026-11-03", 8, "P-2026-07")
    assert transactions(connected, "attendance") == []
    link = Link.objects.get(connection=connected, record_type="time_entry")
    assert (link.remote_id, link.data) == (absence["id"], {"transaction": "absence"})

    # Worked hours after all: the absence is deleted and the day sent as attendance.
    sick_day.absence_kind = ""
    sick_day.save()
    assert run(connected, "time_entry.export", sick_day, variant="worked")[0] == "done"
    assert transactions(connected, "absence") == []
    [worked] = transactions(connected, "attendance")
    assert (worked["CauseCode"], worked["Hours"]) == ("ARB", "8")


def test_a_lost_answer_leaves_one_absence_transaction(connected, sick_day):
    from sandbox.framework import faults

    faults.lose_next_responses("fortnox", mode="reset", method="POST",
                               path_prefix="/3/absencetransactions")
    outcome, job = run(connected, "time_entry.export", sick_day)
    assert outcome == "unknown", job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job.pk) == "adopted"
    [absence] = transactions(connected, "absence")
    assert Link.objects.get(record_type="time_entry").remote_id == absence["id"]
    assert transactions(connected, "attendance") == []


def test_the_demos_export_time_entries_sends_worked_days_and_both_absences(sim, client):
    from accounting.models import Organization, TimeEntry
    from contracts.demo import demo_load

    demo_load()
    frost = Organization.objects.get(slug="frost")
    karin = get_user_model().objects.get(username="frost-admin")
    connection = consent(sim, frost, karin)
    entries = TimeEntry.objects.for_org(frost)
    absent = {entry.pk: entry.absence_kind for entry in entries if entry.absence_kind}
    assert sorted(absent.values()) == ["care_of_sick_child", "sick_leave"]

    client.force_login(karin)
    answer = client.post(reverse("integrations:page_export", args=[connection.pk]),
                         {"type": "time_entry"})
    assert answer.status_code == 302
    jobs = list(SyncJob.objects.filter(connection=connection, record_type="time_entry"))
    assert len(jobs) == entries.count()
    for job in jobs:
        assert run_until_done(job) == "done", SyncJob.objects.get(pk=job.pk).last_error

    absences = transactions(connection, "absence")
    assert sorted(row["CauseCode"] for row in absences) == ["SJK", "VAB"]
    assert len(transactions(connection, "attendance")) == entries.count() - 2
    links = {int(link.local_id): link for link in
             Link.objects.filter(connection=connection, record_type="time_entry")}
    assert {links[pk].remote_id for pk in absent} == {row["id"] for row in absences}
