"""The Visma eAccounting `Simulator`: slug `visma_eaccounting` (mounted at
/sandbox/visma_eaccounting/), the realm of Visma's identity server (identity.py), Visma's error
envelope, 600 requests per minute per client and endpoint [visma-eaccounting.md 3], the
accountant page and the published demo data. Every API call needs a live token with `ea:api`
(401 ErrorCode 4005 without one, 403 ErrorCode 4006 without the scope)."""

from sandbox.framework.ratelimit import RateLimit, by_client_and_endpoint
from sandbox.framework.simulator import Simulator
from sandbox.visma_eaccounting import errors, identity
from sandbox.visma_eaccounting.book import VismaBook
from sandbox.visma_eaccounting.seed import seed_demo

RATE_LIMIT = RateLimit(limit=600, window_seconds=60, key=by_client_and_endpoint,
                       name="Visma eAccounting: 600 per minute per client and endpoint")

simulator = Simulator(
    "visma_eaccounting", "Visma eAccounting", urls="sandbox.visma_eaccounting.urls",
    realm=identity.REALM, authenticate=identity.authenticator("ea:api"),
    unauthorized=identity.unauthorized, server_error=errors.server_error,
    rate_limited=errors.rate_limited, rate_limit=RATE_LIMIT,
    accountant=VismaBook(), seed=seed_demo,
    description="Visma Online's identity server (shared with Visma payroll) and the "
                "eAccounting API v2: customers, articles, invoice drafts and invoices, "
                "payments, VAT codes, accounts, company settings, partner resource links "
                "and webhooks.",
)
