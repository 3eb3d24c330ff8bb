"""The Fortnox `Simulator`: slug `fortnox` (mounted at /sandbox/fortnox/), Fortnox's error
bodies, its limit of 25 requests per 5-second sliding window per client id and company, the
accountant page and the published demo data."""

from sandbox.fortnox import errors
from sandbox.fortnox.book import FortnoxBook
from sandbox.fortnox.seed import seed_demo
from sandbox.framework.ratelimit import RateLimit, by_client_and_tenant
from sandbox.framework.simulator import Simulator

RATE_LIMIT = RateLimit(limit=25, window_seconds=5, key=by_client_and_tenant,
                       name="Fortnox: 25 per 5 s per client and company")

simulator = Simulator(
    "fortnox", "Fortnox", urls="sandbox.fortnox.urls",
    unauthorized=errors.unauthorized, server_error=errors.server_error,
    rate_limited=errors.rate_limited, rate_limit=RATE_LIMIT,
    accountant=FortnoxBook(), seed=seed_demo,
    description="REST API 3 (customers, articles, accounts, invoices, payments, offers, "
                "projects, employees, salary, attendance and absence transactions), OAuth 2 "
                "with rotating refresh tokens and service accounts, and a read-only web app.",
)
