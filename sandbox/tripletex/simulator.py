"""The Tripletex `Simulator`: Basic auth with a session token, Tripletex's error envelope, and
its rate limit, which is counted per employee token and API consumer in fixed periods and told
on every response:

    X-Rate-Limit-Limit      requests allowed in the current period
    X-Rate-Limit-Remaining  requests left in it
    X-Rate-Limit-Reset      seconds until the period ends

"Once the rate limit is hit, all requests will return HTTP status code 429 for the remainder of
the current period" (spec introduction). The real numbers are not published (UNCONFIRMED);
this simulator allows `PERIOD_LIMIT` requests per `PERIOD_SECONDS`, changeable at run time with
POST _control/ratelimit. Every response also carries `x-tlx-request-id`.
"""

import math
import time

from django.utils import timezone

from sandbox.framework import tokens
from sandbox.framework.ratelimit import AdmittedRequest, RateLimit
from sandbox.framework.simulator import Simulator
from sandbox.models import SandboxRecord
from sandbox.tripletex import errors, seed
from sandbox.tripletex.book import TripletexBook
from sandbox.tripletex.store import SLUG

PERIOD_LIMIT = 500
PERIOD_SECONDS = 60
TEST_TOKEN_PREFIX = "test-"


class PeriodLimit(RateLimit):
    """`limit` requests per fixed period of `window_seconds`, which starts with the first request
    after the last period ended; refused requests do not count."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._periods = {}  # key -> [start, used]

    def try_acquire(self, key, *, method="", path=""):
        with self._lock:
            now = self.clock()
            period = self._periods.get(key)
            if period is None or now >= period[0] + self.window_seconds:
                period = self._periods[key] = [now, 0]
            if period[1] >= self.limit:
                return max(1, math.ceil(period[0] + self.window_seconds - now))
            period[1] += 1
            self._admitted.append(AdmittedRequest(key, now, time.time(), method, path))
            return None

    def status(self, key):
        """(limit, remaining, seconds until the period resets) for `key`."""
        with self._lock:
            now = self.clock()
            period = self._periods.get(key)
            if period is None or now >= period[0] + self.window_seconds:
                return self.limit, self.limit, int(self.window_seconds)
            left = max(1, math.ceil(period[0] + self.window_seconds - now))
            return self.limit, max(0, self.limit - period[1]), left

    def reset(self):
        super().reset()
        with self._lock:
            self._periods.clear()


def employee_key(request):
    """One budget per API consumer and employee token."""
    token = getattr(request, "sandbox_token", None)
    return f"{token.client_id}|{token.scope}" if token else ""


RATE_LIMIT = PeriodLimit(limit=PERIOD_LIMIT, window_seconds=PERIOD_SECONDS, key=employee_key,
                         name="Tripletex: per consumer and employee token, fixed periods")


def employee_token(tenant, token_id):
    return SandboxRecord.objects.filter(tenant=tenant, kind="EmployeeToken",
                                        remote_id=str(token_id)).first()


def authenticate(request):
    """`Authorization: Basic base64("<company id or 0>:<session token>")`. The user part is 0,
    blank or the token owner's company id (accountant access to other companies is not
    simulated: any other id is refused). A session stops working when it expires, is deleted,
    or its employee token is deleted or deactivated."""
    credentials = tokens.basic_credentials(request)
    if credentials is None:
        return tokens.MISSING
    company, session = credentials
    token, reason = tokens.validate_access_token(SLUG, session)
    if token is None:
        return reason
    if company not in ("", "0", token.tenant.external_id):
        return tokens.INVALID
    employee = employee_token(token.tenant, token.scope.removeprefix("employeeToken:"))
    if employee is None or not employee.data.get("_active", True):
        return tokens.REVOKED
    if token.expires_at <= timezone.now():
        return tokens.EXPIRED
    request.sandbox_token = token
    request.sandbox_tenant = token.tenant
    return None


simulator = Simulator(
    SLUG, "Tripletex",
    urls="sandbox.tripletex.urls",
    unauthorized=errors.unauthorized,
    server_error=errors.server_error,
    rate_limited=errors.rate_limited,
    method_not_allowed=errors.method_not_allowed,
    rate_limit=RATE_LIMIT,
    authenticate=authenticate,
    accountant=TripletexBook(),
    description="API v2 (test environment): session tokens, customers, products, orders, "
                "order to invoice, invoices and payments, VAT types, accounts, webhooks",
    seed=seed.seed,
)


def endpoint(*, methods=("GET",), auth=True, rate_limit=RATE_LIMIT):
    """`simulator.endpoint`, plus the headers Tripletex puts on every response: the request id
    and, once the caller is known, the rate-limit status of its employee token."""
    inner = simulator.endpoint(methods=methods, auth=auth, rate_limit=rate_limit)

    def decorate(view):
        handle = inner(view)

        def with_headers(request, *args, **kwargs):
            request_id = errors.request_id(request)
            response = handle(request, *args, **kwargs)
            response.headers.setdefault("x-tlx-request-id", request_id)
            key = employee_key(request)
            if key:
                limit, remaining, reset = RATE_LIMIT.status(key)
                response.headers.setdefault("X-Rate-Limit-Limit", str(limit))
                response.headers.setdefault("X-Rate-Limit-Remaining", str(remaining))
                response.headers.setdefault("X-Rate-Limit-Reset", str(reset))
            return response

        with_headers.csrf_exempt = True
        with_headers.__name__ = getattr(view, "__name__", "endpoint")
        with_headers.__doc__ = view.__doc__
        return with_headers

    return decorate
