"""The HTTP machinery every provider client shares: session, timeouts, rate limit, token,
error classification and logging. A provider's `client.py` only fills the hooks
(`base_url`, `auth_headers`, `parse_error`), as django-anymail's backends do.

A request refuses to run inside a database transaction (`refuse_inside_transaction`), and a
failure without an answer is classified by the exception types in its chain: only a request that
certainly never left (connect timeout, refused, name not resolved) may simply be sent again.
"""

import http.client
import logging
import socket
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import connections
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.util.retry import Retry

from integrations import credentials, ratelimit
from integrations.errors import (
    AmbiguousError,
    AuthError,
    LocalRateLimitWait,
    PermanentError,
    RateLimitedError,
    RetryableError,
)

logger = logging.getLogger("integrations.http")

# Methods that change nothing when repeated; a timeout on one of them is merely retryable.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def in_transaction():
    """Whether a database transaction is open on any connection of this thread. A test case's
    own wrapping atomic blocks (Django marks them `_from_testcase`) do not count: they stand in
    for autocommit."""
    for db in connections.all(initialized_only=True):
        if any(not getattr(block, "_from_testcase", False) for block in db.atomic_blocks):
            return True
    return False


def refuse_inside_transaction(what):
    """Raise when called inside a database transaction: a slow provider would hold the
    transaction's locks (on SQLite the whole database's write lock) for the whole call, and a
    rollback cannot take back what the provider stored."""
    if in_transaction():
        raise RuntimeError(f"HTTP inside a database transaction: {what}. Call it after the "
                           f"transaction commits (transaction.on_commit) or before it opens.")


def build_session():
    """A session whose transport retries only what certainly never reached the provider
    (connection refused, DNS), via urllib3's Retry; everything else is the engine's business."""
    session = requests.Session()
    retry = Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2,
                  allowed_methods=None, raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def parse_retry_after(value):
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


class ProviderClient:
    """Subclass per provider. One instance per provider instance (connection)."""

    base_url = ""
    # Does this client send an access token from `integrations.credentials`?
    uses_access_token = True
    # A patient client (an importer's) sleeps through our own limiter's waits and up to this
    # many 429s instead of giving up: an import is not a job the engine could re-queue.
    patient_429_attempts = 5
    patient_429_wait = 5.0  # when the 429 names no Retry-After

    def __init__(self, provider, *, session=None, patient=False):
        self.provider = provider
        self.connection = provider.connection
        self.session = session or build_session()
        self.patient = patient

    def request(self, method, path, **kwargs):
        attempts = 0
        while True:
            try:
                return self.request_once(method, path, **kwargs)
            except LocalRateLimitWait as wait:
                if not self.patient:
                    raise
                time.sleep(min(wait.wait_seconds, 5.0))
            except RateLimitedError as exc:
                attempts += 1
                if not self.patient or attempts > self.patient_429_attempts:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.patient_429_wait
                time.sleep(min(wait, 60.0))

    # -- hooks ---------------------------------------------------------------------------------
    def auth_headers(self, access_token):
        return {"Authorization": f"Bearer {access_token}"}

    def default_headers(self):
        return {"Accept": "application/json"}

    def parse_error(self, response):
        """(code, message a person can act on) from a provider error body."""
        return None, (response.text[:500] or response.reason)

    def is_auth_failure(self, response):
        return response.status_code == 401

    # -- the request -------------------------------------------------------------------------
    def request_once(self, method, path, *, json=None, params=None, headers=None, data=None,
                     expected=(200, 201, 202, 204)):
        """One request (our limiter and the provider may refuse it); `request` adds patience."""
        method = method.upper()
        refuse_inside_transaction(f"{method} {path.split('?')[0]}")
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        policy = self.provider.rate_limit
        limit_key = None
        if policy is not None:
            # The path, not the URL: the limiter counts what the provider counts (its endpoint).
            limit_key = self.provider.rate_limit_key(
                urlsplit(path).path if path.startswith("http") else path)
        refreshed = False
        while True:
            all_headers = {**self.default_headers(), **(headers or {})}
            seen_version = None
            if self.uses_access_token:
                token, seen_version = credentials.access_token_rollback_unsafe(self.connection)
                all_headers.update(self.auth_headers(token))
            admission = None
            if policy is not None:
                admission = ratelimit.acquire(limit_key, policy,
                                              max_wait=settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS)
            started, sent_at = time.monotonic(), time.time()
            try:
                response = self.session.request(
                    method, url, json=json, params=params, data=data, headers=all_headers,
                    timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS,
                )
            except requests.RequestException as exc:
                self._log(method, path, None, started)
                raise self._transport_error(method, exc) from None
            finally:
                if admission is not None:  # the provider counted it no later than now
                    ratelimit.release(limit_key, policy, admission.ticket,
                                      sent_at=sent_at + admission.offset)
            self._log(method, path, response.status_code, started)
            if response.status_code == 429 and policy is not None:
                # Every worker on the key stands back until the provider takes requests again.
                ratelimit.pause(limit_key, policy,
                                parse_retry_after(response.headers.get("Retry-After"))
                                or policy.window_seconds)
            if self.uses_access_token and self.is_auth_failure(response) and not refreshed:
                # The token may have been revoked early: refresh once, unless someone else
                # already did since we read it.
                credentials.access_token_rollback_unsafe(self.connection, force=True,
                                                         seen_version=seen_version)
                refreshed = True
                continue
            if response.status_code in expected:
                return response
            raise self.classify(response)

    def _transport_error(self, method, exc):
        """No answer: retryable when the request certainly never reached the provider or
        repeating it changes nothing; otherwise it may have been stored (ambiguous)."""
        name = self.provider.name
        if _never_sent(exc):
            return RetryableError(f"Could not reach {name}: {type(exc).__name__}")
        timed_out = isinstance(exc, requests.Timeout) or any(
            isinstance(e, urllib3_errors.ReadTimeoutError) for e in _exception_chain(exc))
        if method in SAFE_METHODS:
            if timed_out:
                return RetryableError(f"{name} did not answer in time")
            return RetryableError(f"The connection to {name} broke: {type(exc).__name__}")
        if timed_out:
            return AmbiguousError(f"{name} did not answer in time; the request may have been "
                                  f"stored.")
        return AmbiguousError(f"The connection to {name} broke after the request was sent; it "
                              f"may have been stored.")

    def classify(self, response):
        status = response.status_code
        code, message = self.parse_error(response)
        raw = _raw_body(response)
        kwargs = {"status_code": status, "code": code, "raw": raw,
                  "raw_text": response.text[:20000]}
        if status == 429:
            return RateLimitedError(message or "Too many requests",
                                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                                    **kwargs)
        if status >= 500 or status in (408, 425):
            return RetryableError(message or f"{self.provider.name} had an error ({status})",
                                  retry_after=parse_retry_after(response.headers.get("Retry-After")),
                                  **kwargs)
        if status == 401:
            return AuthError(message or "The provider no longer accepts our credentials", **kwargs)
        return PermanentError(message or f"{self.provider.name} refused the request ({status})",
                              **kwargs)

    def _log(self, method, path, status, started):
        # Method, path without query string, status and time: no bodies, no personal data.
        logger.info("%s %s %s -> %s in %d ms", self.provider.key, method, path.split("?")[0],
                    status if status is not None else "no response",
                    (time.monotonic() - started) * 1000)


# Failures that can only happen before the request left: connecting timed out, was refused or
# unreachable (urllib3's NewConnectionError and NameResolutionError are ConnectTimeoutErrors),
# or the name did not resolve.
_NEVER_SENT = (
    requests.ConnectTimeout,
    urllib3_errors.ConnectTimeoutError,
    ConnectionRefusedError,
    socket.gaierror,
)
# Failures after the request may have left: no answer in time, the connection dropped or reset
# while we waited, a body cut off mid-way.
_MAYBE_SENT = (
    requests.ReadTimeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3_errors.ReadTimeoutError,
    urllib3_errors.ProtocolError,
    http.client.HTTPException,  # RemoteDisconnected, IncompleteRead, BadStatusLine
    ConnectionResetError,
    BrokenPipeError,
)


def _exception_chain(exc):
    """`exc` and what it wraps, outermost first: requests wraps urllib3's error in its args,
    MaxRetryError names the last failure in `reason`, and `raise ... from` links the rest."""
    seen, queue = set(), [exc]
    while queue:
        current = queue.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        queue.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            queue.append(reason)
        queue.extend((current.__cause__, current.__context__))


def _never_sent(exc):
    """Whether the provider certainly never saw the request, decided by the exception types in
    its chain: the outermost one that tells the phase wins (a refused connection's OS error
    sits under urllib3's NewConnectionError; a reset while waiting sits under ProtocolError).
    When no type tells, assume it was sent."""
    for current in _exception_chain(exc):
        if isinstance(current, _MAYBE_SENT):
            return False
        if isinstance(current, _NEVER_SENT):
            return True
    return False


def _raw_body(response):
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:4000]}
