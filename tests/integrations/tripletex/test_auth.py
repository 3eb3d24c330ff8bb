"""Session tokens: made from our consumer token and the dealer's employee token, ending at
midnight (Norwegian time) of their expiration date, renewed ahead of that and after a 401."""

from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine

from integrations.credentials import access_token_rollback_unsafe
from integrations.models import Connection
from integrations.providers.tripletex import auth
from integrations.providers.tripletex.client import TripletexClient
from integrations.providers.tripletex.provider import Tripletex
from tests.integrations.tripletex.fake import TripletexEdge

pytestmark = pytest.mark.django_db
# Any instant; the code reads the clock and the test freezes it here (11:30 in Oslo).
SOME_MOMENT = datetime(2031, 3, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def edge(tx_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield TripletexEdge(rsps)


def test_a_session_ends_at_midnight_of_its_expiration_date(edge, settings):
    settings.TRIPLETEX_SESSION_DAYS = 2
    with time_machine.travel(SOME_MOMENT, tick=False):
        token, expires_at = auth.create_session("test-employee-5ecret")
    body = edge.json_body(edge.rsps.calls[0].request)
    assert body == {"consumerToken": "test-consumer-5ecret",
                    "employeeToken": "test-employee-5ecret", "expirationDate": "2031-03-06"}
    assert token in edge.sessions
    assert expires_at == datetime(2031, 3, 5, 23, 0, tzinfo=UTC)  # 00:00 on the 6th in Oslo


def test_a_refused_employee_token_is_an_auth_error_saying_what_to_do(edge):
    from integrations.errors import AuthError

    with pytest.raises(AuthError, match="My profile -> API access"):
        auth.create_session("deleted-by-the-dealer")


def test_a_401_makes_a_new_session_once_and_the_call_goes_through(edge, connection):
    # The stored session was deleted at Tripletex (e.g. it expired early).
    client = TripletexClient(Tripletex(connection))
    assert client.get_value("/token/session/>whoAmI")["company"]["id"] == 9100001
    connection.refresh_from_db()
    assert connection.credentials["access_token"] in edge.sessions
    assert connection.credentials["access_token"] != "session-1"


def test_a_session_is_renewed_ahead_of_its_end(edge, connection, settings):
    edge.grant("test-employee-5ecret", "session-1")
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=connection.token_expires_at.replace(year=2000))
    connection.refresh_from_db()
    token, _version = access_token_rollback_unsafe(connection)
    assert token != "session-1" and token in edge.sessions
    connection.refresh_from_db()
    assert connection.token_expires_at - connection.updated_at > timedelta(hours=12)
