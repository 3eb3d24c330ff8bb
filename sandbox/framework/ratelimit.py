"""Per-key sliding-window rate limits that answer with the provider's own 429.

A sliding-window *log* (the times of the admitted requests per key) is the strictest reading
of "N per W seconds": a request is admitted only if fewer than N were admitted in the W
seconds before it, so no window of length W ever holds more than N. That is what the real
providers enforce (per client and tenant, per subscription key, or per client and endpoint;
see each simulator), and a hub limiter that
passes against it will pass against them. Refused requests are not counted, as at the
providers ("service resumes once you drop below the limit").

State is in-process under a lock: the sandbox is served by one process (runserver, or
pytest's live server thread) whose threads all share it, and keeping it out of the database
keeps it correct on SQLite, where the live server's threads share one connection. Every
admitted request is recorded so tests can assert "never more than N in any window".
"""

import functools
import math
import threading
import time
import weakref
from collections import defaultdict, deque
from dataclasses import dataclass

_ALL_LIMITS = weakref.WeakSet()


@dataclass(frozen=True)
class AdmittedRequest:
    key: str
    at: float  # time.monotonic() when admitted: what windows are measured in
    wall_time: float  # time.time(), for people and other processes
    method: str
    path: str


class RateLimit:
    """At most `limit` requests per `window_seconds` for each key that `key(request)` returns.

    `rejected(request, retry_after_seconds)` builds the 429; when None, the `Simulator` using
    this limit supplies its provider's builder. `history` bounds the admitted-request record.
    `clock` (seconds, monotonic) may be replaced, e.g. by a test that must not depend on how
    fast a loaded machine sends its requests.
    """

    def __init__(self, *, limit, window_seconds, key, rejected=None, name="", history=20_000,
                 clock=time.monotonic):
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = float(window_seconds)
        self.key = key
        self.rejected = rejected
        self.name = name or f"{limit} per {window_seconds:g} s"
        self.clock = clock
        self._lock = threading.Lock()
        self._windows = defaultdict(deque)
        self._admitted = deque(maxlen=history)
        _ALL_LIMITS.add(self)

    def __repr__(self):
        return f"<RateLimit {self.name}>"

    def try_acquire(self, key, *, method="", path=""):
        """None if the request is admitted (and recorded), else whole seconds until a slot
        frees up (at least 1)."""
        with self._lock:
            now = self.clock()
            window = self._windows[key]
            while window and window[0] <= now - self.window_seconds:
                window.popleft()
            if len(window) >= self.limit:
                return max(1, math.ceil(window[0] + self.window_seconds - now))
            window.append(now)
            self._admitted.append(AdmittedRequest(key, now, time.time(), method, path))
            return None

    def admit(self, request, rejected=None):
        """None if `request` may proceed, else the 429 response to answer with."""
        retry_after = self.try_acquire(self.key(request), method=request.method,
                                       path=request.path)
        if retry_after is None:
            return None
        build = self.rejected or rejected
        if build is None:
            raise ValueError(f"{self!r} has no 429 builder; pass rejected=")
        return build(request, retry_after)

    def __call__(self, view):
        """Use as a view decorator on its own (a `Simulator` endpoint applies it for you)."""

        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            return self.admit(request) or view(request, *args, **kwargs)

        return limited

    def admitted(self, key=None):
        """The admitted requests still in the record, oldest first, of one key or all."""
        with self._lock:
            return [entry for entry in self._admitted if key is None or entry.key == key]

    def max_admitted_in_any_window(self, key=None):
        return max_in_any_window([entry.at for entry in self.admitted(key)],
                                 self.window_seconds)

    def reset(self):
        with self._lock:
            self._windows.clear()
            self._admitted.clear()


def max_in_any_window(times, window_seconds):
    """The largest number of `times` inside any half-open interval of `window_seconds`."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while times[start] <= moment - window_seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def reset_all():
    """Forget every limit's windows and records (between tests)."""
    for rate_limit in list(_ALL_LIMITS):
        rate_limit.reset()


# -- keys: the provider's real scope of a limit -------------------------------------------------

def by_header(name, *, query_param=None):
    """One budget per value of a header (e.g. a subscription key, which may also come
    as a query parameter)."""

    def key(request):
        value = request.headers.get(name, "")
        if not value and query_param:
            value = request.GET.get(query_param, "")
        return value

    return key


def by_client_and_tenant(request):
    """One budget per integration and company. Requests without a token (the token
    endpoint) share one budget."""
    token = getattr(request, "sandbox_token", None)
    return f"{token.client_id}|{token.tenant.external_id}" if token else ""


def by_client_and_endpoint(request):
    """One budget per integration and endpoint: the route pattern, so
    /customers/1 and /customers/2 share one."""
    token = getattr(request, "sandbox_token", None)
    match = request.resolver_match
    endpoint = match.route if match is not None else request.path
    return f"{token.client_id if token else ''}|{endpoint}"
