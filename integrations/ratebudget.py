"""A provider that tells its remaining budget: some providers do not publish their limit but
say on every response how many requests are left and when the period resets (e.g.
`X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset`), and once it is spent every request fails
until the reset. So instead of counting, we listen: a response saying nothing is left stops
every worker process from sending on that key until the reset (a 429 then never happens
because of us), and a job that would wait longer than `SYNC_RATE_LIMIT_MAX_WAIT_SECONDS`
gives its worker back (`LocalRateLimitWait`, the attempt does not count).

State is one row per key in the limiter's table (`RateLimitBucket`, key `budget:<key>`), whose
`interactive_waiting_until` column holds the reset time (seconds since the epoch): written only
when the budget is spent, read before each request."""

import time

from django.conf import settings

from integrations.errors import LocalRateLimitWait

PREFIX = "budget:"


def _row_key(key):
    return f"{PREFIX}{key}"[:200]


def note(key, *, remaining, reset_seconds):
    """What the provider said on a response; nothing is written while budget remains."""
    from integrations.models import RateLimitBucket

    if remaining is None or remaining > 0:
        return
    until = time.time() + max(float(reset_seconds or 1), 0.0)
    RateLimitBucket.objects.update_or_create(key=_row_key(key),
                                             defaults={"interactive_waiting_until": until})


def blocked_for(key) -> float:
    """Seconds until the key may send again (0 when it may now)."""
    from integrations.models import RateLimitBucket

    until = (RateLimitBucket.objects.filter(key=_row_key(key))
             .values_list("interactive_waiting_until", flat=True).first())
    return max(0.0, (until or 0) - time.time())


def wait_rollback_unsafe(key, *, max_wait=None):
    """Block until the provider's period has reset; raise LocalRateLimitWait when that is
    further away than `max_wait` (default SYNC_RATE_LIMIT_MAX_WAIT_SECONDS)."""
    wait = blocked_for(key)
    if wait <= 0:
        return 0.0
    limit = settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS if max_wait is None else max_wait
    if wait > limit:
        raise LocalRateLimitWait(wait)
    time.sleep(wait)
    return wait
