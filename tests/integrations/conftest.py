from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.providers import registry
from tests.integrations.fakebooks import FakeBooks, FakeBooksServer


@pytest.fixture
def fakebooks_registered():
    registry.register(FakeBooks)
    yield FakeBooks
    registry.unregister(FakeBooks.key)


@pytest.fixture
def fake_server(fakebooks_registered):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeBooksServer(rsps)


@pytest.fixture
def connection(org, fakebooks_registered):
    from integrations.models import Connection

    conn = Connection(organization=org, provider="fakebooks", status=Connection.Status.CONNECTED)
    conn.set_credentials({"access_token": "access-0", "refresh_token": "refresh-0"},
                         expires_at=timezone.now() + timedelta(hours=1))
    conn.save()
    return conn
