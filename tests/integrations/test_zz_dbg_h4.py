import pytest
from tests.integrations.test_webhooks_retry import *  # noqa
from tests.integrations import test_webhooks_retry as m

@pytest.fixture(autouse=True)
def _fix(monkeypatch):
    from integrations.providers.fortnox.provider import Fortnox
    monkeypatch.setattr(Fortnox, "rate_limit_key", lambda self, path="": "fortnox:x")
