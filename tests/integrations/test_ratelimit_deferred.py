"""Inside a job (`ratelimit.deferred_releases`) the limiter costs one statement per request: a
release is written by the next admission on the key, or when the block ends. The books stay the
same: until it is written the entry counts as in flight, and it is stamped with the moment the
response came back, not the moment it is written.

Time is moved with time-machine on the Python-clock path (any database); the PostgreSQL
statement is checked by reading back the books it writes.
"""

from datetime import UTC, datetime

import pytest
import responses
import time_machine
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations import ratelimit
from integrations.errors import RateLimitedError
from integrations.models import RateLimitBucket
from integrations.ratelimit import RateLimitPolicy, try_acquire
from tests.integrations.ratelimit_doubles import LimitedClient, LimitedProvider

pytestmark = pytest.mark.django_db(transaction=True)

SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)
START = SOME_MOMENT.timestamp()


@pytest.fixture
def python_clock(monkeypatch):
    monkeypatch.setattr(ratelimit, "_database_clock", lambda: False)
    with time_machine.travel(SOME_MOMENT, tick=False) as traveller:
        yield traveller


def _books(key="k"):
    return sorted(RateLimitBucket.objects.get(key=key).admitted)


def _statements(queries):
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_release_is_written_by_the_next_admission_with_its_response_time(python_clock):
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    with ratelimit.deferred_releases():
        first = try_acquire("k", policy)
        python_clock.shift(0.2)
        with CaptureQueriesContext(db) as queries:
            stamp = ratelimit.release("k", policy, first.ticket)
        assert not _statements(queries)
        assert stamp == pytest.approx(START + 0.2)
        assert _books() == [first.ticket]  # not written yet: it counts, as in flight
        python_clock.shift(0.3)
        second = try_acquire("k", policy)
        assert second.granted
        # Stamped when the response came back (0.2), not when it was written (0.5).
        assert _books() == [pytest.approx(START + 0.2), second.ticket]
        python_clock.shift(0.1)
        ratelimit.release("k", policy, second.ticket)
        assert _books() == [pytest.approx(START + 0.2), second.ticket]
    # The block's end writes what no admission did.
    assert _books() == [pytest.approx(START + 0.2), pytest.approx(START + 0.6)]


def test_a_refused_admission_still_writes_the_release(python_clock):
    """Else the slot would stay in flight until its hold ends, though its response is back."""
    policy = RateLimitPolicy(limit=1, window_seconds=1)
    with ratelimit.deferred_releases():
        first = try_acquire("k", policy)
        ratelimit.release("k", policy, first.ticket)
        python_clock.shift(0.5)
        refused = try_acquire("k", policy)
        assert not refused.granted
        assert refused.value == pytest.approx(0.5)  # told when the answered slot frees
        assert _books() == [pytest.approx(START)]
        python_clock.shift(0.51)
        assert try_acquire("k", policy).granted


def test_a_ticket_admitted_outside_the_block_is_released_at_once(python_clock):
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    outside = try_acquire("k", policy)
    with ratelimit.deferred_releases():
        python_clock.shift(0.1)
        assert ratelimit.release("k", policy, outside.ticket) == pytest.approx(START + 0.1)
        assert _books() == [pytest.approx(START + 0.1)]


def test_each_key_gets_its_own_releases(python_clock):
    policy = RateLimitPolicy(limit=5, window_seconds=1)
    with ratelimit.deferred_releases():
        a = try_acquire("a", policy)
        b = try_acquire("b", policy)
        python_clock.shift(0.1)
        ratelimit.release("a", policy, a.ticket)
        ratelimit.release("b", policy, b.ticket)
        try_acquire("a", policy)
        assert _books("a")[0] == pytest.approx(START + 0.1)
        assert _books("b") == [b.ticket]
    assert _books("b") == [pytest.approx(START + 0.1)]


def test_a_429_writes_the_release_before_it_fills_the_window(python_clock):
    client = LimitedClient(LimitedProvider())
    policy = LimitedProvider.rate_limit
    with ratelimit.deferred_releases(), responses.RequestsMock() as rsps:
        rsps.get("https://limited.test/things", status=429, headers={"Retry-After": "3"})
        with pytest.raises(RateLimitedError):
            client.request("GET", "/things")
        entries = _books("limited:scope")
        # The request's own entry answered now, and the window filled until Retry-After.
        assert entries[0] == pytest.approx(START)
        assert entries[1:] == [pytest.approx(START + 3 - 1)] * policy.limit


@pytest.mark.postgres
def test_the_database_statement_writes_the_deferred_release_as_it_admits():
    policy = RateLimitPolicy(limit=2, window_seconds=600)
    with ratelimit.deferred_releases():
        first = try_acquire("k", policy)
        stamp = ratelimit.release("k", policy, first.ticket)
        assert first.value <= stamp < first.ticket
        assert _books() == [first.ticket]
        with CaptureQueriesContext(db) as queries:
            second = try_acquire("k", policy)
        assert second.granted and len(_statements(queries)) == 1
        answered, in_flight = _books()
        # The response time, or the database clock when that is sooner: never before the
        # admission, never after the response as this process saw it.
        assert first.value <= answered <= stamp and in_flight == second.ticket
        ratelimit.release("k", policy, second.ticket)
        with CaptureQueriesContext(db) as queries:
            refused = try_acquire("k", policy)
        assert not refused.granted and len(_statements(queries)) == 1  # no second read
        assert refused.value == pytest.approx(stamp + 600 - refused.at, abs=1)
        written = _books()
        assert len(written) == 2 and written[1] < second.ticket  # both answered
    assert _books() == written  # nothing left to write
