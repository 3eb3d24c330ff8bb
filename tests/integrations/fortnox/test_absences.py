"""Fortnox gets worked hours only (attendance transactions): a time entry marked as an absence
is refused before anything is queued or sent, so it can never arrive as worked hours."""

import pytest
from django.utils import translation

from integrations.errors import ActionBlocked
from integrations.models import SyncJob
from integrations.providers import registry
from integrations.views.services import export_records
from tests.integrations.fortnox.conftest import requests_to, run

pytestmark = pytest.mark.django_db


def test_an_absence_is_refused_and_nothing_is_sent(connection, rsps, time_entry):
    time_entry.absence_kind = "sick_leave"
    time_entry.save()
    with translation.override("sv"):
        problems = registry.for_connection(connection).validate_export("time_entry", time_entry)
    assert [p.field for p in problems] == ["absence_kind"]
    assert problems[0].message == ("Frånvaro skickas inte till Fortnox (bara arbetad tid): "
                                   "registrera sjukfrånvaro i Fortnox Lön.")
    with pytest.raises(ActionBlocked):
        export_records(connection=connection, record_type="time_entry", ids=[time_entry.pk])
    assert not SyncJob.objects.filter(record_type="time_entry").exists()
    # A job queued anyway (e.g. before the entry became an absence) fails without a request.
    outcome, job = run(connection, "time_entry.export", time_entry)
    assert outcome == "failed", job.last_error
    assert requests_to(rsps, "POST", "/attendancetransactions") == []
    assert [c.request.method for c in rsps.calls] == []
