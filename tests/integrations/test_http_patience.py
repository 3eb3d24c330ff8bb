"""An importer's client is patient (`ProviderClient(patient=True)`): it sleeps through a
provider's 429s, as long as each asks, up to `patient_429_attempts`; a job's client is not (the
engine re-queues the job instead)."""

import pytest
import responses

from integrations.errors import RateLimitedError
from tests.integrations.fakebooks import BASE, FakeBooks, FakeBooksClient

pytestmark = pytest.mark.django_db


def _busy_then_ok(rsps, busy):
    for _ in range(busy):
        rsps.add("GET", f"{BASE}/customers", status=429, headers={"Retry-After": "7"},
                 json={"code": "busy", "message": "slow down"})
    rsps.add("GET", f"{BASE}/customers", json=[])


def test_a_patient_client_sleeps_through_429s_as_long_as_asked(connection, monkeypatch):
    slept = []
    monkeypatch.setattr("integrations.http.time.sleep", slept.append)
    client = FakeBooksClient(FakeBooks(connection), patient=True)
    with responses.RequestsMock() as rsps:
        _busy_then_ok(rsps, 2)
        assert client.request("GET", "/customers").json() == []
    assert slept == [7.0, 7.0]


def test_patience_has_an_end_and_an_impatient_client_has_none(connection, monkeypatch):
    slept = []
    monkeypatch.setattr("integrations.http.time.sleep", slept.append)
    patient = FakeBooksClient(FakeBooks(connection), patient=True)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _busy_then_ok(rsps, patient.patient_429_attempts + 1)
        with pytest.raises(RateLimitedError):
            patient.request("GET", "/customers")
    assert len(slept) == patient.patient_429_attempts
    slept.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _busy_then_ok(rsps, 1)
        with pytest.raises(RateLimitedError):
            FakeBooksClient(FakeBooks(connection)).request("GET", "/customers")
    assert slept == []
