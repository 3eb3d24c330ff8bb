"""Fixtures for the integrations admin tests, loaded by each test_admin*.py through
`pytest_plugins` (so they do not depend on the package conftest, and are never imported directly:
pytest must import a plugin module itself)."""

import pytest

from integrations.providers import registry
from tests.integrations.admin_helpers import AdminBooks, client_for, make_connection


@pytest.fixture
def adminbooks():
    registry.register(AdminBooks)
    yield AdminBooks
    registry.unregister(AdminBooks.key)


@pytest.fixture
def org_admin(make_user, org):
    return make_user("anne-admin", org, role="admin")


@pytest.fixture
def admin_of(org_admin):
    """A logged-in browser of `org`'s administrator."""
    return client_for(org_admin)


@pytest.fixture
def superuser_browser(django_user_model):
    return client_for(django_user_model.objects.create_superuser("root", password="pw-123456"))


@pytest.fixture
def conn(org, adminbooks):
    return make_connection(org)


@pytest.fixture
def other_conn(other_org, adminbooks):
    return make_connection(other_org)
