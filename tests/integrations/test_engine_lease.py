"""A worker that lost its lease while the provider call ran records nothing: another worker owns
the job now and will adopt the remote object by our reference."""

import pytest

from integrations.engine import enqueue_job, run_job
from integrations.engine.runner import Outcome
from integrations.models import Link, SyncJob, SyncLogEntry
from integrations.providers.base import Operation
from tests.integrations import fakebooks

pytestmark = pytest.mark.django_db

ON_SUCCESS_MARK = "on_success wrote this"


def _perform_then_lose_the_lease(provider, job):
    result = fakebooks._create_customer(provider, job)
    # The lease ran out during the call and another worker claimed the job.
    SyncJob.objects.filter(pk=job.pk).update(lease_owner="another-worker")
    return result


def _on_success(provider, job, result):
    job.organization.__class__.objects.filter(pk=job.organization_id).update(
        name=ON_SUCCESS_MARK)


@pytest.fixture
def late_worker_operation(monkeypatch, fakebooks_registered):
    operation = Operation(record_type="customer", perform=_perform_then_lose_the_lease,
                          find_existing=fakebooks._find_customer, on_success=_on_success)
    monkeypatch.setattr(fakebooks.FakeBooks, "operations", {"customer.create": operation})


def test_a_worker_that_lost_its_lease_records_nothing(connection, fake_server,
                                                      late_worker_operation):
    job, _ = enqueue_job(connection=connection, operation="customer.create",
                         record_type="customer", local_id="7", params={"name": "Ola"})

    assert run_job(job.pk) == Outcome.NOT_CLAIMED

    assert len(fake_server.customers) == 1  # the provider did store it
    assert not Link.objects.filter(connection=connection, local_id="7").exists()
    connection.organization.refresh_from_db()
    assert connection.organization.name != ON_SUCCESS_MARK
    job.refresh_from_db()
    assert job.status == SyncJob.Status.RUNNING and job.lease_owner == "another-worker"
    assert not SyncLogEntry.objects.filter(job=job, status="ok").exists()
