"""Fixtures for the sandbox framework's tests: companies, registered clients and tokens of the
test-only simulators in fake_provider.py."""

from urllib.parse import urlencode

import pytest

from sandbox.framework import ratelimit, tokens
from sandbox.models import SandboxClient, SandboxTenant

CLIENT_ID = "hub-client"
CLIENT_SECRET = "hub-secret"
REDIRECT_URI = "http://127.0.0.1:8000/integrations/callback"

# For transactional tests: after each, flush only these apps' tables, not every app's. On
# PostgreSQL the flush is a TRUNCATE of each table, which costs seconds per test otherwise.
SANDBOX_APPS = ["sandbox", "django.contrib.contenttypes", "django.contrib.auth",
                "django.contrib.sessions"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit windows live in the process, not the database: forget them between tests."""
    ratelimit.reset_all()
    yield
    ratelimit.reset_all()


@pytest.fixture
def make_tenant(db):
    def make(provider="fake", name="Nordbil AS", **kwargs):
        return SandboxTenant.objects.create(provider=provider, name=name, **kwargs)

    return make


@pytest.fixture
def make_client(db):
    def make(provider="fake", client_id=CLIENT_ID, secret=CLIENT_SECRET,
             redirect_uris=REDIRECT_URI):
        return SandboxClient.objects.create(provider=provider, client_id=client_id,
                                            client_secret=secret, name="The hub",
                                            redirect_uris=redirect_uris)

    return make


@pytest.fixture
def bearer(db):
    """Headers with a fresh access token, for the test client's and `requests`' `headers=`."""

    def make(tenant, *, client_id=CLIENT_ID, scope="", ttl=3600):
        token = tokens.issue_access_token(tenant.provider, tenant=tenant, client_id=client_id,
                                          scope=scope, ttl=ttl)
        return {"Authorization": f"Bearer {token.value}"}

    return make


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


def form_post(client, url, data, headers=None):
    """POST `data` form-encoded, as OAuth clients must (the test client defaults to multipart)."""
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded",
                       headers=headers or {})
