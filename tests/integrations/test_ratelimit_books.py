"""The limiter's books match the provider's: a request counts from when we admit it until one
window after its response (the provider stamps its arrival somewhere in between), and a 429
that still arrives fills the key's window until its Retry-After, for every worker on the key.

Time is moved with time-machine on the Python-clock path (any database); the PostgreSQL
statements are checked by reading back the books they write.
"""

import threading
import time
from datetime import UTC, datetime

import pytest
import requests
import responses
import time_machine

from integrations import ratelimit
from integrations.errors import RateLimitedError, RetryableError
from integrations.models import RateLimitBucket
from integrations.ratelimit import BACKGROUND, INTERACTIVE, RateLimitPolicy, try_acquire
from tests.integrations.ratelimit_doubles import LimitedClient, LimitedProvider

pytestmark = pytest.mark.django_db(transaction=True)

SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)
ONE_PER_SECOND = RateLimitPolicy(limit=1, window_seconds=1)


@pytest.fixture
def python_clock(monkeypatch):
    monkeypatch.setattr(ratelimit, "_database_clock", lambda: False)
    with time_machine.travel(SOME_MOMENT, tick=False) as traveller:
        yield traveller


def test_a_request_counts_until_a_window_after_its_response(python_clock):
    """The provider stamps arrival, which we cannot see; a request that took 0.3 s to arrive
    (a loaded machine) would be forgotten by books kept from our admission 0.3 s before the
    provider forgets it: the next request is a 429."""
    admitted = try_acquire("k", ONE_PER_SECOND, level=BACKGROUND)
    assert admitted.granted
    python_clock.shift(0.3)  # in flight: sending, arriving, answering
    ratelimit.release("k", ONE_PER_SECOND, admitted.ticket)
    python_clock.shift(0.95)  # 1.25 s after admission, 0.95 s after the response
    refused = try_acquire("k", ONE_PER_SECOND, level=BACKGROUND)
    assert not refused.granted
    assert refused.value == pytest.approx(0.05)  # exactly when the response is a window old
    python_clock.shift(0.06)
    assert try_acquire("k", ONE_PER_SECOND, level=BACKGROUND).granted


def test_with_an_arrival_bound_a_slow_response_holds_its_slot_only_that_long(python_clock,
                                                                             settings):
    settings.SYNC_RATE_LIMIT_ARRIVAL_SECONDS = 0.05
    admitted = try_acquire("k", ONE_PER_SECOND)
    python_clock.shift(0.01)
    sent_at = time.time()
    python_clock.shift(0.49)  # the provider takes half a second to answer
    assert ratelimit.release("k", ONE_PER_SECOND, admitted.ticket,
                             sent_at=sent_at) == pytest.approx(sent_at + 0.05)
    python_clock.shift(0.57)  # a window after the send plus the bound, not after the answer
    assert try_acquire("k", ONE_PER_SECOND).granted

    settings.SYNC_RATE_LIMIT_ARRIVAL_SECONDS = None  # exact: a window after the answer
    python_clock.shift(2)
    admitted = try_acquire("k", ONE_PER_SECOND)
    sent_at = time.time()
    python_clock.shift(0.5)
    ratelimit.release("k", ONE_PER_SECOND, admitted.ticket, sent_at=sent_at)
    python_clock.shift(0.6)
    assert not try_acquire("k", ONE_PER_SECOND).granted


def test_a_request_in_flight_counts_and_is_looked_at_again_soon(python_clock):
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    first = try_acquire("k", policy)
    assert first.granted and try_acquire("k", policy).granted
    python_clock.shift(5)  # both still in flight: their end is not known yet
    refused = try_acquire("k", policy)
    assert not refused.granted
    assert refused.value == pytest.approx(policy.window_seconds / policy.limit)
    ratelimit.release("k", policy, first.ticket)
    python_clock.shift(1.01)
    assert try_acquire("k", policy).granted


def test_a_worker_that_died_in_flight_frees_its_slot_after_the_hold(python_clock, settings):
    settings.SYNC_HTTP_TIMEOUT_SECONDS = 30
    assert try_acquire("k", ONE_PER_SECOND).granted  # and never released
    python_clock.shift(ratelimit.in_flight_hold() + 0.5)
    assert not try_acquire("k", ONE_PER_SECOND).granted
    python_clock.shift(0.6)
    assert try_acquire("k", ONE_PER_SECOND).granted


def test_a_released_ticket_is_released_once(python_clock):
    policy = RateLimitPolicy(limit=3, window_seconds=1)
    a = try_acquire("k", policy)
    python_clock.shift(0.01)
    b = try_acquire("k", policy)
    assert ratelimit.release("k", policy, a.ticket) is not None
    assert ratelimit.release("k", policy, a.ticket) is None  # nothing else is touched
    assert sorted(RateLimitBucket.objects.get(key="k").admitted) == [
        pytest.approx(a.value), b.ticket]


def test_a_429_pauses_every_caller_on_the_key_until_retry_after(python_clock):
    policy = RateLimitPolicy(limit=10, window_seconds=1)
    ratelimit.pause("k", policy, 3)
    for level in (BACKGROUND, INTERACTIVE):  # a person's click too: the provider refuses all
        refused = try_acquire("k", policy, level=level)
        assert not refused.granted
    python_clock.shift(2.9)
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    assert try_acquire("other-key", policy).granted
    python_clock.shift(0.11)
    assert all(try_acquire("k", policy).granted for _ in range(10))


def test_a_429_from_the_provider_holds_back_the_other_workers_on_the_key(python_clock):
    """One worker is told 429 with Retry-After: 4; another worker on the same key, which never
    saw the 429, is not let through before the 4 seconds have passed."""
    client = LimitedClient(LimitedProvider())
    key, policy = "limited:scope", LimitedProvider.rate_limit
    with responses.RequestsMock() as rsps:
        rsps.get("https://limited.test/things", status=429, headers={"Retry-After": "4"},
                 json={"message": "Rate limit is exceeded. Try again in 4 seconds."})
        with pytest.raises(RateLimitedError) as info:
            client.request("GET", "/things")
    assert info.value.retry_after == 4.0
    seen = []
    other = threading.Thread(target=lambda: seen.append(try_acquire(key, policy)))
    other.start()
    other.join()
    assert not seen[0].granted
    python_clock.shift(3.95)
    assert not try_acquire(key, policy).granted
    python_clock.shift(0.1)
    assert try_acquire(key, policy).granted


def test_a_failed_request_still_releases_its_slot(python_clock):
    client = LimitedClient(LimitedProvider())
    with responses.RequestsMock() as rsps:
        rsps.get("https://limited.test/things", body=requests.ConnectionError("refused"))
        with pytest.raises(RetryableError):
            client.request("GET", "/things")
    entries = RateLimitBucket.objects.get(key="limited:scope").admitted
    assert entries == [pytest.approx(SOME_MOMENT.timestamp())]  # answered now, not in flight


@pytest.mark.postgres
def test_the_database_statements_keep_the_same_books():
    policy = RateLimitPolicy(limit=2, window_seconds=600)
    first = try_acquire("k", policy, level=BACKGROUND)
    assert first.granted
    assert first.ticket == pytest.approx(first.value + ratelimit.in_flight_hold())
    assert RateLimitBucket.objects.get(key="k").admitted == [first.ticket]
    released_at = ratelimit.release("k", policy, first.ticket)
    assert first.value <= released_at < first.ticket
    assert RateLimitBucket.objects.get(key="k").admitted == [released_at]
    assert ratelimit.release("k", policy, first.ticket) is None
    second = try_acquire("k", policy, level=BACKGROUND)
    assert second.granted
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    ratelimit.pause("other", policy, 900)
    entries = RateLimitBucket.objects.get(key="other").admitted
    assert len(entries) == policy.limit
    refused = try_acquire("other", policy, level=INTERACTIVE)
    assert not refused.granted
    assert entries[0] == pytest.approx(refused.at + 900 - 600, abs=5)
