"""The shared limiter: never over the provider's window, yet close to it; clicks go first.

Time is moved, never waited for, so a machine that pauses the process cannot change an outcome.
The limiter decides with Python's clock on SQLite (the one-machine default): time-machine moves
that clock. PostgreSQL decides with the database clock, which no test can move: the rules are
checked there on the same Python-clock path (it runs on any database), and the SQL statement
itself by moving back the times the limiter remembers, with windows of minutes.
"""

import multiprocessing
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connections

from integrations import ratelimit
from integrations.errors import LocalRateLimitWait
from integrations.models import RateLimitBucket
from integrations.ratelimit import BACKGROUND, INTERACTIVE, RateLimitPolicy, try_acquire
from integrations.ratelimit_measure import busiest_window

pytestmark = pytest.mark.django_db(transaction=True)

# Any instant: the limiter compares times only with each other.
SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def python_clock(monkeypatch):
    """Python's clock, standing still until the test moves it, deciding on every database."""
    monkeypatch.setattr(ratelimit, "_database_clock", lambda: False)
    with time_machine.travel(SOME_MOMENT, tick=False) as traveller:
        yield traveller


def _answered(key, policy, level=BACKGROUND):
    """A slot whose request was answered at once (released as soon as it is taken)."""
    decision = try_acquire(key, policy, level=level)
    if decision.granted:
        ratelimit.release(key, policy, decision.ticket)
    return decision


def _move_database_clock_on(seconds):
    """The database clock cannot be moved; to the limiter, every remembered time moving back by
    `seconds` is the same."""
    for bucket in RateLimitBucket.objects.all():
        bucket.admitted = [t - seconds for t in bucket.admitted]
        # A person's mark is a time; minus a time (the last admission, see ratelimit_sql)
        # moves the other way.
        if bucket.interactive_waiting_until > 0:
            bucket.interactive_waiting_until -= seconds
        elif bucket.interactive_waiting_until < 0:
            bucket.interactive_waiting_until += seconds
        bucket.save()


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError, match="positive limit and window"):
        RateLimitPolicy(limit=0, window_seconds=1)
    with pytest.raises(ValueError, match="positive limit and window"):
        RateLimitPolicy(limit=5, window_seconds=0)
    assert RateLimitPolicy(limit=25, window_seconds=5).effective_window == pytest.approx(5)
    assert RateLimitPolicy(limit=25, window_seconds=5,
                           headroom=0.02).effective_window == pytest.approx(5.1)


def test_a_full_window_says_how_long_until_the_oldest_slot_frees(python_clock):
    policy = RateLimitPolicy(limit=3, window_seconds=2)
    oldest = _answered("k", policy)
    python_clock.shift(0.5)
    assert _answered("k", policy).granted
    assert _answered("k", policy).granted
    granted, wait, at = try_acquire("k", policy, level=BACKGROUND)[:3]
    assert not granted
    assert wait == pytest.approx(oldest.value + policy.effective_window - at)
    python_clock.shift(wait - 0.01)
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    python_clock.shift(0.02)
    assert try_acquire("k", policy, level=BACKGROUND).granted
    # Only the oldest slot freed: the two admitted half a second later still count.
    assert not try_acquire("k", policy, level=BACKGROUND).granted


def test_after_a_pause_the_whole_window_is_available_again(python_clock):
    """Budget is never wasted: what the provider has forgotten we may use at once."""
    policy = RateLimitPolicy(limit=5, window_seconds=2)
    assert all(_answered("p", policy).granted for _ in range(5))
    assert not try_acquire("p", policy)[0]
    python_clock.shift(policy.effective_window - 0.02)
    assert not try_acquire("p", policy)[0]
    python_clock.shift(0.04)
    assert all(_answered("p", policy).granted for _ in range(5))
    assert not try_acquire("p", policy)[0]


def test_keys_are_independent(python_clock):
    policy = RateLimitPolicy(limit=1, window_seconds=10)
    assert try_acquire("tenant-a", policy)[0]
    assert not try_acquire("tenant-a", policy)[0]
    assert try_acquire("tenant-b", policy)[0]


def test_a_waiting_interactive_caller_goes_before_background(python_clock):
    policy = RateLimitPolicy(limit=1, window_seconds=1)
    assert _answered("k", policy, level=BACKGROUND).granted
    refused = try_acquire("k", policy, level=INTERACTIVE)
    assert not refused.granted
    python_clock.shift(refused.value + 0.01)
    # The slot is free again, but a person is waiting for it: background stands back.
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=INTERACTIVE).granted
    python_clock.shift(policy.effective_window + 0.01)
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_a_person_who_does_not_come_back_holds_background_back_only_briefly(python_clock):
    policy = RateLimitPolicy(limit=4, window_seconds=1)
    assert all(_answered("k", policy, level=BACKGROUND).granted for _ in range(4))
    refused = try_acquire("k", policy, level=INTERACTIVE)
    python_clock.shift(refused.value + 0.01)
    held_back = try_acquire("k", policy, level=BACKGROUND)
    assert not held_back.granted
    # Told to look again after one slot's share of the window, not after the person's grace.
    assert 0 < held_back.value <= policy.window_seconds / policy.limit
    python_clock.shift(1.0)
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_background_behind_a_waiting_person_looks_again_when_the_slot_after_theirs_frees(
        python_clock):
    """The first slot that frees is the person's; background sleeps exactly until the next one
    frees, never longer (a slot left empty is budget lost)."""
    policy = RateLimitPolicy(limit=3, window_seconds=1)
    assert _answered("k", policy).granted
    python_clock.shift(0.1)
    second = _answered("k", policy)
    python_clock.shift(0.1)
    assert _answered("k", policy).granted
    refused = try_acquire("k", policy, level=INTERACTIVE)
    assert not refused.granted
    held_back = try_acquire("k", policy, level=BACKGROUND)
    assert not held_back.granted
    assert held_back.value == pytest.approx(second.value + policy.effective_window
                                            - held_back.at)
    python_clock.shift(refused.value + 0.001)
    assert _answered("k", policy, level=INTERACTIVE).granted
    python_clock.shift(held_back.value - refused.value)
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_a_slot_that_frees_while_a_persons_job_prepares_is_kept_for_it(python_clock):
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    first = _answered("k", policy)
    python_clock.shift(0.5)
    assert _answered("k", policy).granted
    ratelimit.expect_person("k", policy)  # the job started; its first request comes later
    python_clock.shift(first.value + policy.effective_window - time.time() + 0.01)
    # The oldest slot is free, but it is the person's: background stands back.
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=INTERACTIVE).granted
    python_clock.shift(0.5)
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_a_person_expected_on_a_window_with_room_holds_nobody_back(python_clock):
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    assert _answered("k", policy).granted
    ratelimit.expect_person("k", policy)
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_a_person_expected_who_sends_nothing_holds_background_back_only_briefly(python_clock):
    policy = RateLimitPolicy(limit=1, window_seconds=1)
    assert _answered("k", policy).granted
    ratelimit.expect_person("k", policy)
    python_clock.shift(policy.effective_window + 0.01)
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    python_clock.shift(2 * policy.window_seconds / policy.limit)
    assert try_acquire("k", policy, level=BACKGROUND).granted


@pytest.mark.postgres
def test_the_database_clock_keeps_a_slot_for_an_expected_person():
    policy = RateLimitPolicy(limit=2, window_seconds=600)
    assert _answered("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=BACKGROUND).granted
    ratelimit.expect_person("k", policy, seconds=1200)
    _move_database_clock_on(601)
    # The marked time moved back too (601 of 1200 s): the person is still expected.
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=INTERACTIVE).granted
    assert try_acquire("k", policy, level=BACKGROUND).granted


def test_paced_background_is_spaced_after_the_last_admission_and_a_person_is_not(
        python_clock, settings):
    """SYNC_RATE_LIMIT_PACE: slots taken in a burst would free in a burst a window later, and a
    click arriving after it waits for the next one; background admissions are spaced instead."""
    settings.SYNC_RATE_LIMIT_PACE = 0.5
    policy = RateLimitPolicy(limit=4, window_seconds=2)  # a share of 0.5 s: spaced 0.25 s
    first = _answered("k", policy)
    assert first.granted
    python_clock.shift(0.1)
    paced = try_acquire("k", policy, level=BACKGROUND)
    assert not paced.granted  # room, but too soon after the last admission
    assert paced.value == pytest.approx(first.value + 0.25 - paced.at)
    person = try_acquire("k", policy, level=INTERACTIVE)
    assert person.granted  # never paced
    ratelimit.release("k", policy, person.ticket)
    python_clock.shift(0.24)
    assert not try_acquire("k", policy, level=BACKGROUND).granted  # spaced after the person
    python_clock.shift(0.02)
    assert _answered("k", policy).granted
    # Paced or not, the window's limit holds.
    python_clock.shift(0.3)
    assert _answered("k", policy).granted
    python_clock.shift(0.3)
    assert not try_acquire("k", policy, level=BACKGROUND).granted


@pytest.mark.parametrize("quiet_for", [0.4, 0.6, 0.99, 1.5])
def test_a_paced_key_left_quiet_admits_background_at_once(python_clock, settings, quiet_for):
    """The last admission is remembered as minus its ticket (admission + in-flight hold) until
    a refusal: however long the key stayed quiet, it reads as that admission, not a later one."""
    settings.SYNC_RATE_LIMIT_PACE = 0.9
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    assert _answered("k", policy).granted
    python_clock.shift(quiet_for * ratelimit.in_flight_hold())
    assert _answered("k", policy).granted


@pytest.mark.postgres
def test_the_database_clock_admits_background_on_a_paced_key_left_quiet(settings):
    settings.SYNC_RATE_LIMIT_PACE = 0.9
    policy = RateLimitPolicy(limit=2, window_seconds=1)
    assert _answered("k", policy, level=BACKGROUND).granted
    _move_database_clock_on(0.6 * ratelimit.in_flight_hold())
    assert _answered("k", policy, level=BACKGROUND).granted


def test_unpaced_by_default_background_takes_every_free_slot_at_once(python_clock):
    policy = RateLimitPolicy(limit=4, window_seconds=2)
    assert all(_answered("k", policy).granted for _ in range(4))


@pytest.mark.postgres
def test_the_database_clock_paces_background_after_the_last_admission(settings):
    settings.SYNC_RATE_LIMIT_PACE = 1.0
    policy = RateLimitPolicy(limit=2, window_seconds=1200)  # spaced ten minutes apart
    assert _answered("k", policy, level=BACKGROUND).granted
    paced = try_acquire("k", policy, level=BACKGROUND)
    assert not paced.granted
    assert 590 < paced.value <= 600
    _move_database_clock_on(300)
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    _move_database_clock_on(301)
    assert _answered("k", policy, level=BACKGROUND).granted
    assert not try_acquire("k", policy, level=BACKGROUND).granted  # full now, whatever the pace


def test_acquire_gives_the_worker_back_when_the_wait_is_long(python_clock):
    policy = RateLimitPolicy(limit=1, window_seconds=60)
    first = ratelimit.acquire("slow", policy)
    ratelimit.release("slow", policy, first.ticket)
    with pytest.raises(LocalRateLimitWait) as info:
        ratelimit.acquire("slow", policy, max_wait=0.5)
    # The slot frees when the first admission leaves the window, plus a little spread.
    spread = 0.1 * policy.window_seconds / policy.limit + 0.01
    frees_at = policy.effective_window
    assert frees_at < info.value.wait_seconds <= frees_at + spread


@pytest.mark.postgres
def test_the_database_clock_frees_a_full_window_when_its_oldest_admission_leaves():
    # Ten minutes: no pause of the process can carry the database clock across a boundary here.
    policy = RateLimitPolicy(limit=3, window_seconds=600)
    assert _answered("k", policy, level=BACKGROUND).granted
    _move_database_clock_on(120)
    assert _answered("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=BACKGROUND).granted
    oldest = min(RateLimitBucket.objects.get(key="k").admitted)
    granted, wait, at = try_acquire("k", policy, level=BACKGROUND)[:3]
    assert not granted
    assert wait == pytest.approx(oldest + policy.effective_window - at, abs=1e-3)
    _move_database_clock_on(wait - 60)
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    _move_database_clock_on(61)
    assert try_acquire("k", policy, level=BACKGROUND).granted
    # Only the oldest slot freed: the two admitted two minutes later still count.
    assert not try_acquire("k", policy, level=BACKGROUND).granted


@pytest.mark.postgres
def test_the_database_clock_puts_a_waiting_person_before_background():
    policy = RateLimitPolicy(limit=1, window_seconds=600)
    assert _answered("k", policy, level=BACKGROUND).granted
    refused = try_acquire("k", policy, level=INTERACTIVE)
    assert not refused.granted
    bucket = RateLimitBucket.objects.get(key="k")
    assert bucket.interactive_waiting_until == pytest.approx(refused.at + refused.value + 1.0)
    # The window empties while the person is still marked as waiting: background stands back.
    RateLimitBucket.objects.filter(key="k").update(admitted=[])
    assert not try_acquire("k", policy, level=BACKGROUND).granted
    assert _answered("k", policy, level=INTERACTIVE).granted
    # Nobody waits any more (an admission leaves minus its ticket there: see ratelimit_sql).
    assert RateLimitBucket.objects.get(key="k").interactive_waiting_until <= 0
    _move_database_clock_on(policy.effective_window + 1)
    assert try_acquire("k", policy, level=BACKGROUND).granted


LIMIT, WINDOW, RUN_SECONDS = 20, 1.0, 4.0


def _hammer(key, start_at, queue):
    connections.close_all()  # fresh connections in the child; never share the parent's socket
    policy = RateLimitPolicy(limit=LIMIT, window_seconds=WINDOW)
    admitted, refused = [], []
    time.sleep(max(0.0, start_at - time.time()))
    try:
        while time.time() < start_at + RUN_SECONDS:
            decision = try_acquire(key, policy, level=BACKGROUND)
            if decision.granted:
                admitted.append((decision.value, ratelimit.release(key, policy,
                                                                   decision.ticket)))
            else:
                refused.append((decision.at, decision.value))
                time.sleep(decision.value + 0.001)
    finally:
        connections.close_all()
        queue.put((admitted, refused))


def test_four_processes_never_exceed_the_window_and_never_withhold_budget():
    """Safety: never more than the limit in any window. Use: a request is refused only while the
    window is really full (an entry counts until a window after its release), and told exactly
    when the next slot frees, so the share used is bounded only by how long requests take and
    how promptly the machine runs the workers; `bench/ratelimit_share.py` measures that share on
    a given machine."""
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0
    workers = [ctx.Process(target=_hammer, args=("shared-key", start_at, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=RUN_SECONDS + 60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
    pairs = [pair for admitted, _ in results for pair in admitted]  # the database clock
    stamps = sorted(t for t, _ in pairs)
    refusals = [r for _, refused in results for r in refused]
    # Which worker wins a slot is not promised (the machine decides who runs first); the
    # workers together must have met full windows, or nothing was tested.
    assert len(stamps) > LIMIT, "the workers never filled a window"
    assert refusals, "the workers never met a full window"
    busiest = busiest_window(stamps, WINDOW)
    assert busiest <= LIMIT, f"{busiest} requests in one {WINDOW}s window (limit {LIMIT})"

    policy = RateLimitPolicy(limit=LIMIT, window_seconds=WINDOW)
    span = policy.effective_window
    withheld = []
    for at, wait in refusals:
        # The entries that counted at `at`: admitted by then and released less than a window
        # before (or later: still in flight). `at` is read just after the refusal; the machine
        # may pause in between, so look back a further window before calling a refusal
        # unjustified.
        counted = sorted(r for t, r in pairs if t <= at and r > at - 2 * span)
        if len(counted) < LIMIT:  # refused with no full window behind it
            withheld.append((at, wait, len(counted)))
            continue
        # Told to wait beyond the moment the blocking entry leaves the window (one still in
        # flight is looked at again after one slot's share of the window).
        blocking = counted[-LIMIT]
        frees = blocking + span if blocking <= at else at + WINDOW / LIMIT
        if wait > 0 and at + wait > frees + 0.01:
            withheld.append((at, wait, len(counted)))
    assert not withheld, f"{len(withheld)} of {len(refusals)} refused with room: {withheld[:3]}"
