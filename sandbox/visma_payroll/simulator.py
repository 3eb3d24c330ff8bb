"""The Visma payroll (Spiris Lön API V2) `Simulator`: slug `visma_payroll`, the companies and
tokens of the Visma identity server it shares with the eAccounting simulator (a token needs
`vls:api`), Visma's error envelope and its limit of 600 requests per minute per client and
endpoint [visma-payroll.md 1.1]."""

from sandbox.framework.ratelimit import RateLimit, by_client_and_endpoint
from sandbox.framework.simulator import Simulator
from sandbox.visma_eaccounting import identity
from sandbox.visma_eaccounting.errors import rate_limited, server_error

SCOPE = "vls:api"
RATE_LIMIT = RateLimit(limit=600, window_seconds=60, key=by_client_and_endpoint,
                       name="Visma payroll: 600 per minute per client and endpoint")


def _seed():
    from sandbox.visma_payroll.seed import seed_demo

    seed_demo()


simulator = Simulator(
    "visma_payroll", "Visma payroll (Spiris Lön)", urls="sandbox.visma_payroll.urls",
    realm=identity.REALM, authenticate=identity.authenticator(SCOPE),
    unauthorized=identity.unauthorized, server_error=server_error,
    rate_limited=rate_limited, rate_limit=RATE_LIMIT, seed=_seed,
    description="Spiris Lön API V2: employees, shortcuts (hours worked, absences, additions "
                "and deductions) with IsRead, pay codes, wage runs and payslips; tokens from "
                "the Visma identity server (scope vls:api).",
)
