"""A task writes for people in its organization's language, as that organization's pages do:
a job's error stored by a worker reads in Swedish for a Swedish firm, in bokmål for a dealer."""

import pytest
from django.utils import translation

from integrations import tasks
from integrations.engine import enqueue_job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_a_job_runs_in_its_organizations_language(connection, monkeypatch, language):
    org = connection.organization
    org.language = language
    org.save(update_fields=["language"])
    job, _ = enqueue_job(connection=connection, operation="customer.create",
                         record_type="customer", local_id="7", params={"name": "Ola"})
    seen = []
    monkeypatch.setattr(tasks, "run_job", lambda pk: seen.append(translation.get_language()))
    with translation.override("de"):
        tasks.run_sync_job(job.pk)
        assert translation.get_language() == "de"  # the worker's own language is restored
    assert seen == [language]
