import re
from pathlib import Path

from integrations.capabilities import capability_matrix_markdown
from integrations.providers.base import Capabilities, Provider
from integrations.ratelimit import RateLimitPolicy

README = Path(__file__).resolve().parents[2] / "README.md"


class _Alpha(Provider):
    key, name = "alpha", "Alpha"
    capabilities = Capabilities(records={"invoice": "both", "customer": "out"}, inbound="webhook",
                                auth=("oauth2_code",))
    rate_limit = RateLimitPolicy(limit=25, window_seconds=5)


class _Beta(Provider):
    key, name = "beta", "Beta"
    capabilities = Capabilities(records={"invoice": "out"}, inbound="poll")


def test_matrix_is_built_from_declarations():
    table = capability_matrix_markdown([_Alpha, _Beta])
    assert "| record | Alpha | Beta |" in table
    assert "| customer | out | — |" in table
    assert "| invoice | out + in | out |" in table
    assert "| changes come back by | webhook | poll |" in table
    assert "| rate limit we keep to | 25 per 5 s | — |" in table


def test_readme_matrix_matches_the_registry():
    text = README.read_text()
    match = re.search(r"<!-- capability-matrix -->\n(.*?)<!-- /capability-matrix -->", text, re.S)
    assert match, "README lacks the generated capability matrix block"
    assert match.group(1) == capability_matrix_markdown(), (
        "README's matrix is stale: run `python manage.py capability_matrix` and paste it")
