"""The simulators the sandbox serves, listed explicitly: adding a provider is one import and
one line here, and nothing is discovered by scanning packages.

Each provider package (`sandbox/<provider>/`) exposes a `Simulator` (see
sandbox/framework/simulator.py) as `simulator`.
"""

from sandbox.fortnox.simulator import simulator as fortnox
from sandbox.poweroffice_go.simulator import simulator as poweroffice_go
from sandbox.tripletex.simulator import simulator as tripletex
from sandbox.visma_eaccounting.simulator import simulator as visma_eaccounting
from sandbox.visma_payroll.simulator import simulator as visma_payroll

SIMULATORS = [fortnox, poweroffice_go, visma_eaccounting, tripletex, visma_payroll]


def get(slug):
    """The registered simulator with this slug, or None."""
    return next((simulator for simulator in SIMULATORS if simulator.slug == slug), None)
