"""A rate limiter shared by every worker process, keyed by the provider's real scope.

State is one row per key (`RateLimitBucket`) changed by one atomic upsert, so any number of
processes share it. On PostgreSQL the database clock is the only clock; SQLite (the embedded
default, one machine) uses the local clock and serializes writes.

A token bucket of capacity B refilled at r admits at most B + r*W in any window W, so the refill
rate is set to (limit - B) / W with a hair of headroom: the provider's window is never exceeded
and a single busy key still uses ~95 % of it.

Priority: an interactive caller (a person clicked) that finds the bucket empty marks the key, and
background callers stand back until it has had its slot.
"""

import contextvars
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection as db

from integrations.errors import LocalRateLimitWait

INTERACTIVE, BACKGROUND = "interactive", "background"
_priority = contextvars.ContextVar("rate_limit_priority", default=BACKGROUND)

# Float arithmetic and clock granularity must never let the bucket admit one too many.
_HEADROOM = 0.99


@dataclass(frozen=True)
class RateLimitPolicy:
    limit: int
    window_seconds: float
    burst: int = 1

    def __post_init__(self):
        if not 1 <= self.burst < self.limit:
            raise ValueError("burst must be at least 1 and below the limit")

    @property
    def rate(self):
        """Tokens per second."""
        return (self.limit - self.burst) / self.window_seconds * _HEADROOM


@contextmanager
def priority(level):
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority():
    return _priority.get()


_TABLE = "integrations_ratelimitbucket"

_PG_TAKE = f"""
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
INSERT INTO {_TABLE} AS b (key, tokens, updated_at, interactive_waiting_until)
SELECT %(key)s, %(cap)s - 1, clock.now, 0 FROM clock
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST(%(cap)s, b.tokens + (EXCLUDED.updated_at - b.updated_at) * %(rate)s) - 1,
    updated_at = EXCLUDED.updated_at,
    interactive_waiting_until = CASE WHEN %(interactive)s THEN 0
                                     ELSE b.interactive_waiting_until END
WHERE LEAST(%(cap)s, b.tokens + (EXCLUDED.updated_at - b.updated_at) * %(rate)s) >= 1
  AND (%(interactive)s OR b.interactive_waiting_until < EXCLUDED.updated_at)
RETURNING updated_at
"""

_PG_PEEK = f"""
SELECT b.tokens, b.updated_at, b.interactive_waiting_until,
       extract(epoch FROM clock_timestamp())::float8
FROM {_TABLE} b WHERE b.key = %(key)s
"""

_PG_MARK_INTERACTIVE = f"""
UPDATE {_TABLE} SET interactive_waiting_until =
    GREATEST(interactive_waiting_until, extract(epoch FROM clock_timestamp()) + %(hold)s)
WHERE key = %(key)s
"""

_SQLITE_TAKE = f"""
INSERT INTO {_TABLE} AS b (key, tokens, updated_at, interactive_waiting_until)
VALUES (%(key)s, %(cap)s - 1, %(now)s, 0)
ON CONFLICT (key) DO UPDATE SET
    tokens = MIN(%(cap)s, b.tokens + (excluded.updated_at - b.updated_at) * %(rate)s) - 1,
    updated_at = excluded.updated_at,
    interactive_waiting_until = CASE WHEN %(interactive)s THEN 0
                                     ELSE b.interactive_waiting_until END
WHERE MIN(%(cap)s, b.tokens + (excluded.updated_at - b.updated_at) * %(rate)s) >= 1
  AND (%(interactive)s OR b.interactive_waiting_until < excluded.updated_at)
RETURNING updated_at
"""

_SQLITE_PEEK = f"""
SELECT b.tokens, b.updated_at, b.interactive_waiting_until, %(now)s
FROM {_TABLE} b WHERE b.key = %(key)s
"""

_SQLITE_MARK_INTERACTIVE = f"""
UPDATE {_TABLE} SET interactive_waiting_until =
    MAX(interactive_waiting_until, %(now)s + %(hold)s)
WHERE key = %(key)s
"""


def _sql(name):
    pg = db.vendor == "postgresql"
    return {
        "take": _PG_TAKE if pg else _SQLITE_TAKE,
        "peek": _PG_PEEK if pg else _SQLITE_PEEK,
        "mark": _PG_MARK_INTERACTIVE if pg else _SQLITE_MARK_INTERACTIVE,
    }[name]


def try_acquire(key, policy, *, level=None):
    """Take one slot if there is one. Returns (granted, admitted_at or seconds to wait)."""
    interactive = (level or current_priority()) == INTERACTIVE
    params = {
        "key": key,
        "cap": float(policy.burst),
        "rate": policy.rate,
        "interactive": interactive,
        "now": time.time(),
    }
    with db.cursor() as cur:
        cur.execute(_sql("take"), params)
        row = cur.fetchone()
        if row is not None:
            return True, row[0]
        cur.execute(_sql("peek"), params)
        peek = cur.fetchone()
        if peek is None:  # deleted between the two statements: just try again
            return False, 0.0
        tokens, updated_at, waiting_until, now = peek
        current = min(policy.burst, tokens + (now - updated_at) * policy.rate)
        wait = max(0.0, (1 - current) / policy.rate)
        if interactive:
            cur.execute(_sql("mark"), {**params, "hold": wait + 1.0})
        elif waiting_until > now:
            wait = max(wait, min(waiting_until - now, 1.0 / policy.rate))
        return False, wait


def acquire(key, policy, *, level=None, max_wait=None):
    """Block until a slot is granted; returns the admission time (seconds since the epoch).

    Raises LocalRateLimitWait when the wait would exceed `max_wait`, so a job can give its
    worker back instead of sleeping."""
    waited = 0.0
    while True:
        granted, value = try_acquire(key, policy, level=level)
        if granted:
            return value
        # A little spread so processes that wake together do not all collide again.
        pause = value + random.uniform(0.0, 0.2 / policy.rate) + 0.001
        if max_wait is not None and waited + pause > max_wait:
            raise LocalRateLimitWait(pause)
        time.sleep(pause)
        waited += pause
