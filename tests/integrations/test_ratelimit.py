"""The shared limiter: never over the provider's window, yet close to it; clicks go first."""

import multiprocessing
import time

import pytest
from django.db import connections

from integrations import ratelimit
from integrations.ratelimit import BACKGROUND, INTERACTIVE, RateLimitPolicy, try_acquire

pytestmark = pytest.mark.django_db(transaction=True)


def test_policy_keeps_burst_plus_refill_within_the_limit():
    policy = RateLimitPolicy(limit=25, window_seconds=5, burst=1)
    assert policy.burst + policy.rate * policy.window_seconds <= 25
    assert policy.rate * policy.window_seconds >= 0.9 * 25
    with pytest.raises(ValueError):
        RateLimitPolicy(limit=5, window_seconds=1, burst=5)


def test_an_empty_bucket_says_how_long_to_wait():
    policy = RateLimitPolicy(limit=10, window_seconds=1, burst=2)
    assert try_acquire("k", policy, level=BACKGROUND)[0]
    assert try_acquire("k", policy, level=BACKGROUND)[0]
    granted, wait = try_acquire("k", policy, level=BACKGROUND)
    assert not granted and 0 < wait <= 1 / policy.rate + 0.01
    time.sleep(wait + 0.01)
    assert try_acquire("k", policy, level=BACKGROUND)[0]


def test_keys_are_independent():
    policy = RateLimitPolicy(limit=2, window_seconds=10, burst=1)
    assert try_acquire("tenant-a", policy)[0]
    assert not try_acquire("tenant-a", policy)[0]
    assert try_acquire("tenant-b", policy)[0]


def test_a_waiting_interactive_caller_goes_before_background():
    policy = RateLimitPolicy(limit=10, window_seconds=1, burst=1)
    assert try_acquire("k", policy, level=BACKGROUND)[0]
    granted, wait = try_acquire("k", policy, level=INTERACTIVE)
    assert not granted
    time.sleep(wait + 0.02)
    # The slot has refilled, but a person is waiting for it: background stands back.
    assert not try_acquire("k", policy, level=BACKGROUND)[0]
    assert try_acquire("k", policy, level=INTERACTIVE)[0]
    time.sleep(1 / policy.rate + 0.02)
    assert try_acquire("k", policy, level=BACKGROUND)[0]


def test_acquire_gives_the_worker_back_when_the_wait_is_long():
    policy = RateLimitPolicy(limit=2, window_seconds=60, burst=1)
    ratelimit.acquire("slow", policy)
    with pytest.raises(ratelimit.LocalRateLimitWait) as info:
        ratelimit.acquire("slow", policy, max_wait=0.5)
    assert info.value.wait_seconds > 0.5


LIMIT, WINDOW, RUN_SECONDS = 20, 1.0, 3.0


def _hammer(key, queue):
    connections.close_all()  # fresh connections in the child; never share the parent's socket
    policy = RateLimitPolicy(limit=LIMIT, window_seconds=WINDOW)
    admitted = []
    deadline = time.time() + RUN_SECONDS
    try:
        while time.time() < deadline:
            admitted.append(ratelimit.acquire(key, policy, level=BACKGROUND))
    finally:
        connections.close_all()
        queue.put(admitted)


@pytest.mark.postgres
def test_four_processes_never_exceed_the_window_and_use_most_of_it():
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=("shared-key", queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=RUN_SECONDS + 30) for _ in workers]
    for w in workers:
        w.join(timeout=10)
    assert all(results), "every process got slots"
    stamps = sorted(t for r in results for t in r)  # database clock: one clock for all
    busiest = max(sum(1 for t in stamps[i:] if t < start + WINDOW)
                  for i, start in enumerate(stamps))
    assert busiest <= LIMIT, f"{busiest} requests in one {WINDOW}s window (limit {LIMIT})"
    span = stamps[-1] - stamps[0]
    used = (len(stamps) - 1) / (span / WINDOW * LIMIT)
    assert used >= 0.90, f"used only {used:.0%} of the limit"
