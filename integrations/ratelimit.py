"""A rate limiter shared by every worker process, keyed by the provider's real scope.

The providers count requests in a sliding window (e.g. 25 per 5 s per client and tenant, or 10
per second per subscription key), so the limiter keeps the same books: per key, the times of the
admissions still inside the window. A request is admitted only while fewer than `limit`
admissions lie within the last `window` (stretched by a small headroom, since a request reaches
the provider a little after we stamp it). That never exceeds the provider's rule and never
wastes budget: a slot is free again exactly when the provider forgets it.

The key (`Provider.rate_limit_key(path)`) names the provider, a digest of its scope (a key is
shown in admin and its URLs, and a scope may be a secret such as a subscription key) and, for
limits counted per endpoint (`RateLimitPolicy.per_endpoint`), the endpoint.

State is one row per key (`RateLimitBucket`), changed by one atomic statement on PostgreSQL (with
the database clock, so all processes share one clock) and under the write lock on SQLite (the
one-machine default).

Priority: an interactive caller (a person clicked) that finds the window full marks the key, and
background callers stand back until it has had its slot.
"""

import contextvars
import json
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection as db
from django.db import transaction

from integrations.errors import LocalRateLimitWait

INTERACTIVE, BACKGROUND = "interactive", "background"
_priority = contextvars.ContextVar("rate_limit_priority", default=BACKGROUND)


@dataclass(frozen=True)
class RateLimitPolicy:
    limit: int
    window_seconds: float
    # The window is stretched by this fraction: our stamp precedes the provider's by the time the
    # request takes to arrive, and arrival times jitter.
    headroom: float = 0.02
    # Counted per endpoint (Visma: 600 per minute per client and endpoint): the key then names
    # the endpoint (`Provider.rate_limit_key(path)`).
    per_endpoint: bool = False

    def __post_init__(self):
        if self.limit < 1 or self.window_seconds <= 0:
            raise ValueError("a rate limit needs a positive limit and window")

    @property
    def effective_window(self):
        return self.window_seconds * (1 + self.headroom)


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

# One statement: the row lock is held only while it runs, never across a round trip to a client
# that the machine may pause. The table is UNLOGGED (see the migration), so the commit does not
# wait for a WAL flush either; admission times need not survive a crash.
_PG_TAKE = f"""
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
INSERT INTO {_TABLE} AS b (key, admitted, interactive_waiting_until)
SELECT %(key)s, jsonb_build_array(clock.now), 0 FROM clock
ON CONFLICT (key) DO UPDATE SET
    admitted = (
        SELECT coalesce(jsonb_agg(e.x ORDER BY e.x::float8), '[]'::jsonb)
        FROM jsonb_array_elements(b.admitted) AS e(x)
        WHERE e.x::float8 > (EXCLUDED.admitted->>0)::float8 - %(window)s
    ) || EXCLUDED.admitted,
    interactive_waiting_until = CASE WHEN %(interactive)s THEN 0
                                     ELSE b.interactive_waiting_until END
WHERE (
        SELECT count(*) FROM jsonb_array_elements(b.admitted) AS e(x)
        WHERE e.x::float8 > (EXCLUDED.admitted->>0)::float8 - %(window)s
    ) < %(limit)s
  AND (%(interactive)s OR b.interactive_waiting_until < (EXCLUDED.admitted->>0)::float8)
RETURNING (b.admitted->>-1)::float8
"""

_PG_PEEK = f"""
SELECT admitted, interactive_waiting_until, extract(epoch FROM clock_timestamp())::float8
FROM {_TABLE} WHERE key = %(key)s
"""

_PG_MARK_INTERACTIVE = f"""
UPDATE {_TABLE} SET interactive_waiting_until = GREATEST(interactive_waiting_until, %(until)s)
WHERE key = %(key)s
"""


class Decision(NamedTuple):
    granted: bool
    # admitted: the admission time; refused: seconds until a slot frees
    value: float
    # the clock reading the decision was taken at (seconds since the epoch)
    at: float


def try_acquire(key, policy, *, level=None) -> Decision:
    """Take one slot if there is one: Decision(True, admitted_at, at) or
    Decision(False, seconds to wait, at)."""
    interactive = (level or current_priority()) == INTERACTIVE
    if db.vendor == "postgresql":
        return _try_acquire_postgresql(key, policy, interactive)
    return _try_acquire_locked(key, policy, interactive)


def _try_acquire_postgresql(key, policy, interactive):
    params = {"key": key, "window": policy.effective_window, "limit": policy.limit,
              "interactive": interactive}
    with db.cursor() as cur:
        cur.execute(_PG_TAKE, params)
        row = cur.fetchone()
        if row is not None:
            return Decision(True, row[0], row[0])
        cur.execute(_PG_PEEK, params)
        peek = cur.fetchone()
        if peek is None:  # deleted between the two statements: just try again
            return Decision(False, 0.0, time.time())
        admitted, waiting_until, now = peek
        admitted = json.loads(admitted) if isinstance(admitted, str) else admitted
        wait = _wait(sorted(t for t in admitted if t > now - policy.effective_window),
                     policy, now, interactive, waiting_until)
        if interactive:
            cur.execute(_PG_MARK_INTERACTIVE, {"key": key, "until": now + wait + 1.0})
        return Decision(False, wait, now)


def _try_acquire_locked(key, policy, interactive):
    """Any other database (SQLite, one machine): read, decide and write under the write lock."""
    from integrations.models import RateLimitBucket

    RateLimitBucket.objects.get_or_create(key=key)
    with transaction.atomic():
        bucket = RateLimitBucket.objects.select_for_update().get(key=key)
        now = time.time()
        recent = sorted(t for t in bucket.admitted if t > now - policy.effective_window)
        person_waiting = bucket.interactive_waiting_until > now
        if len(recent) < policy.limit and (interactive or not person_waiting):
            bucket.admitted = [*recent, now]
            if interactive:
                bucket.interactive_waiting_until = 0
            bucket.save(update_fields=["admitted", "interactive_waiting_until"])
            return Decision(True, now, now)
        wait = _wait(recent, policy, now, interactive, bucket.interactive_waiting_until)
        bucket.admitted = recent  # forget what left the window, so the row stays small
        if interactive:
            bucket.interactive_waiting_until = max(bucket.interactive_waiting_until,
                                                   now + wait + 1.0)
        bucket.save(update_fields=["admitted", "interactive_waiting_until"])
        return Decision(False, wait, now)


def _wait(recent, policy, now, interactive, waiting_until):
    """Seconds until the oldest admission that blocks us leaves the window; a background caller
    also waits while a person is waiting."""
    if len(recent) >= policy.limit:
        blocking = recent[len(recent) - policy.limit]
        wait = max(0.0, blocking + policy.effective_window - now)
    else:
        wait = 0.0
    if not interactive and waiting_until > now:
        wait = max(wait, min(waiting_until - now, policy.window_seconds / policy.limit))
    return wait


def acquire(key, policy, *, level=None, max_wait=None):
    """Block until a slot is granted; returns the admission time (seconds since the epoch).

    Raises LocalRateLimitWait when the wait would exceed `max_wait`, so a job can give its
    worker back instead of sleeping."""
    waited = 0.0
    while True:
        granted, value, _at = try_acquire(key, policy, level=level)
        if granted:
            return value
        # A little spread so processes that wake together do not all collide again.
        pause = value + random.uniform(0.0, 0.1 * policy.window_seconds / policy.limit) + 0.001
        if max_wait is not None and waited + pause > max_wait:
            raise LocalRateLimitWait(pause)
        time.sleep(pause)
        waited += pause
