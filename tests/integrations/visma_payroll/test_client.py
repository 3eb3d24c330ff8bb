"""Visma's error envelope becomes a message a person can act on, with Visma's own text, the field
errors and the ErrorId; the raw answer is kept in the sync log; a 429 is retryable."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.engine import enqueue_job, run_job
from integrations.models import SyncLogEntry
from integrations.providers.visma_payroll.client import message_for
from tests.integrations.provider_edge import connected
from tests.integrations.visma_payroll.conftest import API

ENVELOPE = {"ErrorCode": 2000, "DeveloperErrorMessage": "DataModelValidationError - invalid",
            "ErrorId": "0c5d3c9e-5f6e-4a41-8a9c-2b8f1f6a7d10",
            "Errors": [{"Field": "IdentificationNumber", "ErrorCode": "2000",
                        "Message": "Not a valid personal number.", "Key": "x"}]}


def test_the_envelope_becomes_an_actionable_message():
    code, message = message_for(400, ENVELOPE)
    assert code == "2000"
    assert message.startswith("Spiris Lön refused a value we sent.")
    assert "IdentificationNumber: Not a valid personal number." in message
    assert "[ErrorId 0c5d3c9e-5f6e-4a41-8a9c-2b8f1f6a7d10]" in message
    assert "connect Visma payroll again" in message_for(401, {"ErrorCode": 4005})[1]
    assert "600 requests per minute" in message_for(429, {"ErrorCode": 4010})[1]
    assert message_for(418, {})[1] == "Spiris Lön refused the request (418)"


@pytest.mark.django_db
def test_a_refused_employee_fails_with_the_message_and_keeps_the_raw_answer(
        visma_settings, records, frost):
    connection = connected(frost, "visma_payroll", {"access_token": "at", "grant_id": 0},
                           remote_tenant_id="c1")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/employees", json={"Meta": {"TotalNumberOfResults": 0}, "Data": []})
        rsps.post(f"{API}/v2/employees", json=ENVELOPE, status=400)
        job, _ = enqueue_job(connection=connection, operation="employee.export",
                             record_type="employee", local_id=records["lars"].pk)
        assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "Not a valid personal number" in job.last_error
    entry = SyncLogEntry.objects.filter(job=job).order_by("-pk").first()
    assert entry.details["provider_response"]["ErrorId"] == ENVELOPE["ErrorId"] or \
        ENVELOPE["ErrorId"] in (entry.raw_response or "")


@pytest.mark.django_db
def test_a_429_is_retried_later(visma_settings, records, frost):
    connection = connected(frost, "visma_payroll", {"access_token": "at", "grant_id": 0},
                           remote_tenant_id="c1")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/employees", status=429, json={
            "ErrorCode": 4010, "DeveloperErrorMessage": "API calls quota exceeded! maximum "
            "admitted 600 per Minute. Try again in 55 seconds.", "ErrorId": "e"})
        job, _ = enqueue_job(connection=connection, operation="employee.export",
                             record_type="employee", local_id=records["lars"].pk)
        assert run_job(job.pk) == "retry"
    job.refresh_from_db()
    assert job.next_attempt_at > timezone.now() - timedelta(seconds=1)
