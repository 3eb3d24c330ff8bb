"""The generic record table and number series simulators keep their objects in."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sandbox.models import SandboxRecord, SandboxSequence
from tests.sandbox.conftest import SANDBOX_APPS


def test_number_series_count_per_tenant_and_name(make_tenant):
    nordbil, frost = make_tenant(name="Nordbil"), make_tenant(name="Frost")

    numbers = [SandboxSequence.next_value(nordbil, "invoice", start=1001) for _ in range(3)]

    assert numbers == [1001, 1002, 1003]
    assert SandboxSequence.next_value(frost, "invoice", start=1001) == 1001
    assert SandboxSequence.next_value(nordbil, "customer") == 1


def test_records_take_their_provider_from_the_tenant_and_filter_by_change(tenant):
    before = timezone.now() - timedelta(seconds=1)
    record = SandboxRecord.objects.create(tenant=tenant, kind="customer", remote_id="10",
                                          data={"Name": "Kari"})

    assert record.provider == "fake"
    assert list(SandboxRecord.objects.of(tenant, "customer").changed_since(before)) == [record]
    assert not SandboxRecord.objects.changed_since(record.modified_at).exists()


def test_a_tenant_gets_an_external_id_when_none_is_given(tenant):
    assert len(tenant.external_id) == 36


@pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)
def test_concurrent_requests_never_get_the_same_number(make_tenant):
    tenant = make_tenant()
    start, numbers = threading.Barrier(8), []

    def take():
        start.wait()
        try:
            numbers.extend(SandboxSequence.next_value(tenant, "invoice") for _ in range(5))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == list(range(1, 41))
