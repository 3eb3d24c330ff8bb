import random

from django.conf import settings


def backoff_delay(failures, *, retry_after=None, rng=random):
    """Seconds to wait after the `failures`-th failed attempt: 1, 2, 4, 8, 16 ... capped, with
    +-jitter so retries of many jobs spread out. A provider's Retry-After wins."""
    if retry_after is not None:
        return float(retry_after)
    base = settings.SYNC_BACKOFF_BASE_SECONDS * (2 ** max(0, failures - 1))
    delay = min(base, settings.SYNC_BACKOFF_CAP_SECONDS)
    jitter = settings.SYNC_BACKOFF_JITTER
    return delay * rng.uniform(1 - jitter, 1 + jitter)
