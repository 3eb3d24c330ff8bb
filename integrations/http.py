"""The HTTP machinery every provider client shares: session, timeouts, rate limit, token,
error classification and logging. A provider's `client.py` only fills the hooks
(`base_url`, `auth_headers`, `parse_error`), as django-anymail's backends do.
"""

import logging
import time
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from integrations import credentials, ratelimit
from integrations.errors import (
    AmbiguousError,
    AuthError,
    PermanentError,
    RateLimitedError,
    RetryableError,
)

logger = logging.getLogger("integrations.http")

# Methods that change nothing when repeated; a timeout on one of them is merely retryable.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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

    def __init__(self, provider, *, session=None):
        self.provider = provider
        self.connection = provider.connection
        self.session = session or build_session()

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
    def request(self, method, path, *, json=None, params=None, headers=None, data=None,
                expected=(200, 201, 202, 204)):
        method = method.upper()
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        policy = self.provider.rate_limit
        refreshed = False
        while True:
            all_headers = {**self.default_headers(), **(headers or {})}
            seen_version = None
            if self.uses_access_token:
                token, seen_version = credentials.access_token(self.connection)
                all_headers.update(self.auth_headers(token))
            if policy is not None:
                ratelimit.acquire(self.provider.rate_limit_key(), policy,
                                  max_wait=settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, json=json, params=params, data=data, headers=all_headers,
                    timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS,
                )
            except requests.ConnectionError as exc:
                self._log(method, path, None, started)
                if _never_sent(exc) or method in SAFE_METHODS:
                    raise RetryableError(f"Could not reach {self.provider.name}: "
                                         f"{type(exc).__name__}") from None
                raise AmbiguousError(f"The connection to {self.provider.name} broke after the "
                                     f"request was sent; it may have been stored.") from None
            except requests.Timeout:
                self._log(method, path, None, started)
                if method in SAFE_METHODS:
                    raise RetryableError(f"{self.provider.name} did not answer in time") from None
                raise AmbiguousError(f"{self.provider.name} did not answer in time; the request "
                                     f"may have been stored.") from None
            except requests.RequestException as exc:
                # e.g. a body cut off mid-way (ChunkedEncodingError): the provider got the request.
                self._log(method, path, None, started)
                if method in SAFE_METHODS:
                    raise RetryableError(f"The answer from {self.provider.name} was cut off: "
                                         f"{type(exc).__name__}") from None
                raise AmbiguousError(f"The answer from {self.provider.name} was cut off after the "
                                     f"request was sent; it may have been stored.") from None
            self._log(method, path, response.status_code, started)
            if self.uses_access_token and self.is_auth_failure(response) and not refreshed:
                # The token may have been revoked early: refresh once, unless someone else
                # already did since we read it.
                credentials.access_token(self.connection, force=True, seen_version=seen_version)
                refreshed = True
                continue
            if response.status_code in expected:
                return response
            raise self.classify(response)

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


def _never_sent(exc):
    """Connection refused or name resolution failed: the provider never saw the request."""
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "ConnectTimeout", "NameResolution",
                                   "Connection refused"))


def _raw_body(response):
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:4000]}
