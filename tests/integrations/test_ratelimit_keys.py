"""The limiter's key: whose budget a request spends, per endpoint where the provider counts per
endpoint, and never a secret in plain text."""

import re

import pytest
import responses

from integrations.errors import LocalRateLimitWait
from integrations.models import RateLimitBucket
from integrations.ratelimit import RateLimitPolicy
from tests.integrations.fakebooks import BASE, FakeBooks, FakeBooksClient

pytestmark = pytest.mark.django_db

# An hour-long window: no pause of the test process can free a slot.
PER_ENDPOINT = RateLimitPolicy(limit=2, window_seconds=3600, per_endpoint=True)
PER_CLIENT = RateLimitPolicy(limit=2, window_seconds=3600)


@pytest.fixture
def no_waiting(settings):
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 0


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        rsps.add("GET", re.compile(rf"{re.escape(BASE)}/(customers|invoices)/\d+"), json={})
        yield rsps


def _get(connection, path):
    FakeBooksClient(FakeBooks(connection)).request("GET", path)


def test_each_endpoint_has_its_own_budget_and_ids_do_not_split_it(
        connection, api, no_waiting, monkeypatch):
    monkeypatch.setattr(FakeBooks, "rate_limit", PER_ENDPOINT)
    _get(connection, "/customers/1001")
    _get(connection, "/customers/1002?expand=lines")
    with pytest.raises(LocalRateLimitWait):
        _get(connection, "/customers/1003")  # another id, the same endpoint's budget
    _get(connection, "/invoices/7")  # another endpoint: its own budget
    _get(connection, "/invoices/8")
    with pytest.raises(LocalRateLimitWait):
        _get(connection, "/invoices/9")
    assert len(api.calls) == 4
    assert RateLimitBucket.objects.count() == 2


def test_without_per_endpoint_every_endpoint_spends_one_budget(
        connection, api, no_waiting, monkeypatch):
    monkeypatch.setattr(FakeBooks, "rate_limit", PER_CLIENT)
    _get(connection, "/customers/1001")
    _get(connection, "/invoices/7")
    with pytest.raises(LocalRateLimitWait):
        _get(connection, "/invoices/8")
    assert RateLimitBucket.objects.count() == 1


def test_the_key_is_a_digest_of_the_scope(connection, monkeypatch):
    monkeypatch.setattr(FakeBooks, "rate_limit_scope",
                        lambda self: ("client-id-123", "s3cret-subscription"))
    key = FakeBooks(connection).rate_limit_key("/customers/5")
    assert "client-id-123" not in key and "s3cret-subscription" not in key
    assert key.startswith("fakebooks:")
