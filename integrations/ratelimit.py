"""A rate limiter shared by every worker process, keyed by the provider's real scope.

The providers count requests in a sliding window (e.g. 25 per 5 s per client and tenant, or 10
per second per subscription key), stamped when each request ARRIVES at them. We cannot see that
moment, only that it lies between our admission and the response coming back. So the books hold,
per key, one entry per request: while the request is in flight its entry counts (it is stamped
`admitted + hold`, the longest a request can take, so a worker that died still frees its slot in
the end); when the response is back (`release`) the entry is re-stamped with that moment and
counts for one more window. A request is admitted only while fewer than `limit` entries count.
Every request the provider still remembers is then in our books too, whatever the machine did
between our stamp and its arrival (stamping at admission, even with a 2 % headroom, let a request
that took 30 ms to arrive be forgotten by us before the provider: a 429); and a slot is free again
one window after its response, the least any limiter can know.

A 429 that still arrives teaches the limiter (`pause`): the key's window is filled until the
provider's Retry-After has passed, so every worker sharing the key stands back, not only the one
that was told.

The key (`Provider.rate_limit_key(path)`) names the provider, a digest of its scope (a key is
shown in admin and its URLs, and a scope may be a secret such as a subscription key) and, for
limits counted per endpoint (`RateLimitPolicy.per_endpoint`), the endpoint.

State is one row per key (`RateLimitBucket`), changed by one atomic statement
(`integrations/ratelimit_sql.py`): on PostgreSQL with the database clock, so all processes share
one clock; on SQLite (the one-machine default) with Python's clock, read under its write lock.
Inside a job (`deferred_releases`) a release is written by the next admission on the key, so a
request costs one statement, and a job one more.

Priority: an interactive caller (a person clicked) that finds the window full marks the key, and
background callers stand back until it has had its slot; a person's job marks it as it starts
(`expect_person`). Background admissions may be spaced (`SYNC_RATE_LIMIT_PACE`, see `_pace`), so
a key's slots do not free in bursts that a click would wait behind.
"""

import contextvars
import json
import logging
import random
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db

from integrations import ratelimit_sql as sql
from integrations.errors import LocalRateLimitWait

logger = logging.getLogger("integrations.ratelimit")
INTERACTIVE, BACKGROUND = "interactive", "background"
_priority = contextvars.ContextVar("rate_limit_priority", default=BACKGROUND)


@dataclass(frozen=True)
class RateLimitPolicy:
    limit: int
    window_seconds: float
    # The window may be stretched by this fraction. Not needed for arrival delays (an entry
    # counts until one window after the response, which is after the arrival); kept for a
    # provider whose own clock is known to run slow.
    headroom: float = 0.0
    # Counted per endpoint (e.g. 600 per minute per client and endpoint): the key then names
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


def in_flight_hold():
    """How long an admitted request may be in flight before its slot counts as answered: a
    request never outlives twice its timeout (connect, then read)."""
    return 2 * float(settings.SYNC_HTTP_TIMEOUT_SECONDS)


class Decision(NamedTuple):
    granted: bool
    # admitted: the admission time; refused: seconds until a slot frees
    value: float
    # the clock reading the decision was taken at (seconds since the epoch)
    at: float
    # admitted: what `release` needs once the response is back
    ticket: float | None = None
    # admitted: the decision's clock minus this process's `time.time()` (see Admission)
    offset: float = 0.0


class Admission(NamedTuple):
    at: float  # when it was admitted (the database clock on PostgreSQL)
    ticket: float  # hand to `release`
    # the limiter's clock minus this process's `time.time()`, read no earlier than the
    # admission (so a send time converted with it is never earlier than the true one)
    offset: float = 0.0


def _database_clock():
    """Whether the decision is one statement on the database's clock (PostgreSQL)."""
    return db.vendor == "postgresql"


def _one_statement_sqlite():
    """Whether the decision is one statement on SQLite (with Python's clock)."""
    return db.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 38)


# -- releases deferred to the next statement on the key -----------------------------------------
class _Deferred:
    def __init__(self):
        self.offsets = {}  # (key, ticket) admitted in this scope -> [its Decision's offset]
        self.pending = {}  # key -> (policy, [(ticket, stamp)])


_deferred = contextvars.ContextVar("rate_limit_deferred", default=None)


@contextmanager
def deferred_releases():
    """Within this block (one job), a `release` is noted, and written by the next admission on
    the same key or when the block ends: one statement per request instead of two. The books
    are the same: until written, the entry counts as in flight (counting is all the limiter does
    with it); it is then stamped with the time the response came back (on the limiter's clock,
    converted with the admission's offset, which errs late), not the time it is written. Only a
    worker that dies in between holds its slot longer (for the in-flight hold)."""
    if _deferred.get() is not None:  # the outer block writes them
        yield
        return
    scope = _Deferred()
    token = _deferred.set(scope)
    try:
        yield
    finally:
        _deferred.reset(token)
        for key, (policy, released) in scope.pending.items():
            _write_releases(key, policy, released)


def _write_releases(key, policy, released):
    """Write deferred releases now. Never raises: an entry not written counts as in flight
    until its hold ends, which errs on the safe side."""
    try:
        if _database_clock():
            with db.cursor() as cur:
                for ticket, stamp in released:
                    cur.execute(sql.PG_RELEASE, {"key": key, "ticket": ticket,
                                                 "arrived_by": stamp,
                                                 "window": policy.effective_window})
        elif _one_statement_sqlite():
            _sqlite_statement(key, policy, interactive=False, take=False, released=released)
        else:
            _change_locked(key, lambda admitted, now: _apply_released(
                admitted, released, now, policy))
    except DatabaseError:
        logger.warning("could not write %d rate-limit release(s) for %s", len(released), key,
                       exc_info=True)


def _apply_released(admitted, released, now, policy):
    """The books with each released entry (one, even if two match) re-stamped, within the
    window."""
    admitted = list(admitted)
    for ticket, stamp in released:
        if ticket in admitted:
            admitted.remove(ticket)
            admitted.append(min(now, stamp))
    return [t for t in admitted if t > now - policy.effective_window]


# -- the limiter ---------------------------------------------------------------------------------
def try_acquire(key, policy, *, level=None, hold=None) -> Decision:
    """Take one slot if there is one: Decision(True, admitted_at, at, ticket) or
    Decision(False, seconds to wait, at). An admitted request must be `release`d when its
    response is back; until then it counts as in flight for at most `hold` seconds."""
    interactive = (level or current_priority()) == INTERACTIVE
    hold = in_flight_hold() if hold is None else hold
    scope = _deferred.get()
    released = scope.pending.pop(key, (None, []))[1] if scope is not None else []
    try:
        if _database_clock():
            decision = _try_acquire_postgresql(key, policy, interactive, hold, released)
        elif _one_statement_sqlite():
            decision = _try_acquire_sqlite(key, policy, interactive, hold, released)
        else:
            decision = _try_acquire_locked(key, policy, interactive, hold, released)
    except BaseException:
        if released:  # not written: keep them for the next statement
            scope.pending.setdefault(key, (policy, []))[1][:0] = released
        raise
    if scope is not None and decision.granted:
        scope.offsets.setdefault((key, decision.ticket), []).append(decision.offset)
    return decision


def release(key, policy, ticket, *, sent_at=None):
    """The admitted request's response is back (or it failed): from now it counts for one
    window, as the provider counts it from its arrival, which was no later than now. Returns
    the time it was stamped with (None if the entry was gone; inside `deferred_releases`, the
    time it will be stamped with).

    With `SYNC_RATE_LIMIT_ARRIVAL_SECONDS` set and `sent_at` (the limiter's clock when the
    request left), the arrival is taken to be no later than `sent_at` + that bound either:
    a slow response then holds its slot only that long past the send. Safe while the
    request's way to the provider varies by less than the bound (a 429 teaches otherwise)."""
    bound = getattr(settings, "SYNC_RATE_LIMIT_ARRIVAL_SECONDS", None)
    arrived_by = sent_at + float(bound) if bound and sent_at is not None else float("inf")
    scope = _deferred.get()
    if scope is not None and scope.offsets.get((key, ticket)):
        stamp = min(time.time() + scope.offsets[key, ticket].pop(), arrived_by)
        scope.pending.setdefault(key, (policy, []))[1].append((ticket, stamp))
        return stamp
    if _database_clock():
        arrived_by = min(arrived_by, 1e15)  # a float8 that LEAST can compare
        with db.cursor() as cur:
            cur.execute(sql.PG_RELEASE, {"key": key, "ticket": ticket, "arrived_by": arrived_by,
                                         "window": policy.effective_window})
            row = cur.fetchone()
        return row[0] if row else None

    def answered(admitted, now):
        if ticket not in admitted:
            return None
        admitted.remove(ticket)  # one entry, even if two match
        return [t for t in admitted if t > now - policy.effective_window] + [
            min(now, arrived_by)]

    return _change_locked(key, answered)


def pause(key, policy, seconds):
    """The provider answered 429 (with Retry-After `seconds`): fill the key's window until
    then, so no worker sharing the key sends anything before the provider will take it."""
    scope = _deferred.get()
    if scope is not None and key in scope.pending:
        _write_releases(key, *scope.pending.pop(key))
    seconds = max(float(seconds), 0.0)
    shift = seconds - policy.effective_window
    if _database_clock():
        with db.cursor() as cur:
            cur.execute(sql.PG_PAUSE, {"key": key, "shift": shift, "limit": policy.limit,
                                       "window": policy.effective_window})
        return
    _change_locked(key, lambda admitted, now: (
        [t for t in admitted if t > now - policy.effective_window]
        + [now + shift] * policy.limit))


def _pace(policy):
    """Seconds between two admissions on a key before a background caller may take a third
    (`SYNC_RATE_LIMIT_PACE` of a slot's share of the window; 0: none). Slots free one window
    after their response, and a waiting caller takes each at once: so requests admitted
    together come back together a window later, and the window keeps the shape of a burst (ten
    admissions within 150 ms, then nothing for 850 ms, measured at 10 per second). A person's
    click arriving in that gap waits for the burst. Spacing background admissions spreads the
    slots over the window; at less than one share it never holds the key below its limit."""
    fraction = float(getattr(settings, "SYNC_RATE_LIMIT_PACE", 0) or 0)
    return fraction * policy.window_seconds / policy.limit


def _admitted_by_this_statement(waiting_until, now, hold):
    """An admission leaves minus its ticket (admission + hold), which lies ahead of the clock;
    a refusal leaves a mark or minus the last admission's time, which does not (see
    sql.PG_LAST_ADMITTED)."""
    return -waiting_until > now + hold / 2


def expect_person(key, policy, *, seconds=None):
    """A person's job has started and will ask for a slot on `key` in a moment. If the window
    is full, the person is marked as waiting from now, as a refused request would mark them:
    a slot that frees while their job prepares its first request is kept for it, instead of
    going to background and leaving the person to wait for the next (a slot's share of the
    window, 100 ms at 10 per second). The mark ends with the person's first admission, or after
    `seconds` (two slots' share) should the job send nothing. Never raises."""
    share = policy.window_seconds / policy.limit
    params = {"key": key, "window": policy.effective_window, "limit": policy.limit,
              "seconds": 2 * share if seconds is None else seconds}
    try:
        if _database_clock():
            with db.cursor() as cur:
                cur.execute(sql.PG_EXPECT_PERSON, params)
        elif _one_statement_sqlite():
            with db.cursor() as cur:
                cur.execute(sql.SQLITE_EXPECT_PERSON, {**params, "now": time.time()})
        else:
            def mark(bucket, now):
                full = sum(1 for t in bucket.admitted if t > now - policy.effective_window)
                if full >= policy.limit:
                    bucket.interactive_waiting_until = max(bucket.interactive_waiting_until,
                                                           now + params["seconds"])
                    bucket.save(update_fields=["interactive_waiting_until"])

            with transaction.atomic():
                mark(_bucket_locked(key), time.time())
    except DatabaseError:
        logger.warning("could not mark a person waiting on %s", key, exc_info=True)


def _try_acquire_postgresql(key, policy, interactive, hold, released):
    params = {"key": key, "window": policy.effective_window, "limit": policy.limit,
              "interactive": interactive, "hold": hold, "released": json.dumps(released),
              "pace": _pace(policy)}
    with db.cursor() as cur:
        before = time.time()
        cur.execute(sql.PG_TAKE, params)
        waiting_until, admitted, now = cur.fetchone()
        if _admitted_by_this_statement(waiting_until, now, hold):  # see sql.PG_TAKE
            ticket = -waiting_until
            admitted = ticket - hold  # read no earlier than `before`: the offset errs late
            return Decision(True, admitted, admitted, ticket, admitted - before)
        admitted = json.loads(admitted) if isinstance(admitted, str) else admitted
        wait = _wait(sorted(admitted), policy, now, interactive, waiting_until)
        if interactive:
            cur.execute(sql.PG_MARK_INTERACTIVE, {"key": key, "until": now + wait + 1.0})
        return Decision(False, wait, now)


def _sqlite_statement(key, policy, *, interactive, take, released, hold=0.0):
    """SQLite's one statement: (books, interactive_waiting_until, the clock it decided at)."""
    readings = []

    def clock():  # called once, under the write lock (see sql.SQLITE_TAKE)
        readings.append(time.time())
        return readings[-1]

    db.ensure_connection()
    db.connection.create_function(sql.SQLITE_CLOCK, 0, clock)
    with db.cursor() as cur:
        cur.execute(sql.SQLITE_TAKE, {
            "key": key, "take": take, "hold": hold, "interactive": interactive,
            "limit": policy.limit, "window": policy.effective_window,
            "released": json.dumps(released), "pace": _pace(policy)})
        admitted, waiting_until = cur.fetchone()
    return json.loads(admitted), waiting_until, readings[0]


def _try_acquire_sqlite(key, policy, interactive, hold, released):
    admitted, waiting_until, now = _sqlite_statement(
        key, policy, interactive=interactive, take=True, released=released, hold=hold)
    if _admitted_by_this_statement(waiting_until, now, hold):  # see sql.SQLITE_TAKE
        return Decision(True, now, now, -waiting_until)
    wait = _wait(sorted(admitted), policy, now, interactive, waiting_until)
    if interactive:
        with db.cursor() as cur:
            cur.execute(sql.SQLITE_MARK_INTERACTIVE, {"key": key, "until": now + wait + 1.0})
    return Decision(False, wait, now)


def _bucket_locked(key):
    from integrations.models import RateLimitBucket

    # Inside the caller's transaction, which on SQLite holds the write lock from its start
    # (transaction_mode IMMEDIATE): one read, then one write.
    bucket = RateLimitBucket.objects.filter(key=key).first()
    return bucket if bucket is not None else RateLimitBucket.objects.create(key=key)


def _change_locked(key, change):
    """Any other database: `change(admitted, now)` -> the new entries (None: leave them).
    Returns the time of the change, or None when nothing changed."""
    with transaction.atomic():
        bucket = _bucket_locked(key)
        now = time.time()
        admitted = change(list(bucket.admitted), now)
        if admitted is None:
            return None
        bucket.admitted = sorted(admitted)
        bucket.save(update_fields=["admitted"])
        return now


def _try_acquire_locked(key, policy, interactive, hold, released=()):
    """Any other database (SQLite before 3.38, one machine): read, decide and write under the
    write lock."""
    with transaction.atomic():
        bucket = _bucket_locked(key)
        now = time.time()
        recent = sorted(_apply_released(bucket.admitted, released, now, policy))
        mark = bucket.interactive_waiting_until
        if mark < 0:  # the last admission (see sql.PG_LAST_ADMITTED)
            mark = -(-mark - hold if -mark > now else -mark)
        person_waiting = mark > now
        paced = mark >= 0 or -mark <= now - _pace(policy)
        if len(recent) < policy.limit and (interactive or (not person_waiting and paced)):
            bucket.admitted = [*recent, now + hold]
            bucket.interactive_waiting_until = -(now + hold)
            bucket.save(update_fields=["admitted", "interactive_waiting_until"])
            return Decision(True, now, now, now + hold)
        bucket.interactive_waiting_until = mark
        wait = _wait(recent, policy, now, interactive, mark)
        bucket.admitted = recent  # forget what left the window, so the row stays small
        if interactive:
            bucket.interactive_waiting_until = max(bucket.interactive_waiting_until,
                                                   now + wait + 1.0)
        bucket.save(update_fields=["admitted", "interactive_waiting_until"])
        return Decision(False, wait, now)


def _wait(recent, policy, now, interactive, waiting_until):
    """Seconds until the entry that blocks us leaves the window (when that request is still in
    flight, its end is not known: look again after one slot's share of the window, a person
    sooner). While a person is waiting, the next slot that frees is theirs: a background caller
    waits for the one after it, and looks again as soon as that frees (a caller that slept
    longer would leave slots empty, and the budget lost then comes back as a gap one window
    later, where the next click lands)."""
    share = policy.window_seconds / policy.limit
    person = not interactive and waiting_until > now
    # Background is spaced after the last admission (`waiting_until` is minus its time after a
    # refusal: see sql.PG_LAST_ADMITTED).
    paced = 0.0
    if not interactive and waiting_until < 0:
        paced = max(0.0, -waiting_until + _pace(policy) - now)
    # How many entries must leave the window before our slot is free.
    leaving = len(recent) - policy.limit + 1 + (1 if person else 0)
    if leaving <= 0:
        # Room, but a person is about to take it: look again shortly.
        return min(waiting_until - now, share / 4) if person else paced
    if leaving > len(recent):  # a limit of 1, and the person's request is not yet in
        return min(waiting_until - now, share)
    blocking = recent[leaving - 1]
    in_flight = share / 4 if interactive else share
    wait = in_flight if blocking > now else max(0.0, blocking + policy.effective_window - now)
    return max(wait, paced)


def acquire(key, policy, *, level=None, max_wait=None) -> Admission:
    """Block until a slot is granted; returns the Admission (hand its ticket to `release` when
    the response is back, or use `slot`).

    Raises LocalRateLimitWait when the wait would exceed `max_wait`, so a job can give its
    worker back instead of sleeping."""
    waited = 0.0
    while True:
        decision = try_acquire(key, policy, level=level)
        if decision.granted:
            return Admission(decision.value, decision.ticket, decision.offset)
        # A little spread so processes that wake together do not all collide again.
        pause_for = (decision.value + 0.001
                     + random.uniform(0.0, 0.1 * policy.window_seconds / policy.limit))
        if max_wait is not None and waited + pause_for > max_wait:
            raise LocalRateLimitWait(pause_for)
        time.sleep(pause_for)
        waited += pause_for


@contextmanager
def slot(key, policy, *, level=None, max_wait=None):
    """One request's slot: acquired on entry (blocking, see `acquire`), released on exit, when
    the response is back or the request failed."""
    admission = acquire(key, policy, level=level, max_wait=max_wait)
    try:
        yield admission
    finally:
        release(key, policy, admission.ticket)
