"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so
(CI always does). On SQLite the test database is a file, as in production
(config/settings_test.py), so concurrency tests with threads and processes run on both. Only a
test of what PostgreSQL alone has (its row locks, its clock, its SQL) is marked `postgres` and
skips on SQLite."""

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: tests what only PostgreSQL has (row locks, "
                                       "its clock, its SQL)")


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: set DATABASE_URL=postgres://... (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def make_org(db):
    from accounting.models import Organization

    def make(slug="acme", **kwargs):
        kwargs.setdefault("name", slug.title())
        return Organization.objects.create(slug=slug, **kwargs)

    return make


@pytest.fixture
def make_user(db, django_user_model):
    from accounting.models import Membership

    def make(username, org, *, role="staff", password="pw-123456"):
        user = django_user_model.objects.create_user(
            username=username, password=password, is_staff=(role == "admin")
        )
        Membership.objects.create(user=user, organization=org, role=role)
        return user

    return make


@pytest.fixture
def org(make_org):
    return make_org("nordbil", name="Nordbil AS", country="NO")


@pytest.fixture
def other_org(make_org):
    return make_org("frost", name="Frost Bygg AB", country="SE", currency="SEK")
