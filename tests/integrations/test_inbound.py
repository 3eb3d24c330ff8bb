"""The scheduled poll loop shared by every provider: every connected connection, one at a time;
a refused grant marks its connection and the loop goes on; any other failure is logged and its
cursor stays where it was, so the next run reads the same changes again."""

import pytest

from integrations.errors import AuthError, ProviderError
from integrations.inbound import move_cursor, read_cursor
from integrations.models import Connection, SyncCursor, SyncLogEntry
from integrations.providers import registry
from integrations.providers.base import Provider

pytestmark = pytest.mark.django_db


class Polled(Provider):
    """Reads its cursor, "fetches" (or fails as told), then moves the cursor."""

    key = "polled_inbound"
    name = "Polled"
    failures = {}  # organization slug -> exception to raise
    seen = []

    def poll(self, *, record_types=None, since=None):
        start = read_cursor(self.connection, "things", default="0")
        self.seen.append(self.connection.organization.slug)
        failure = self.failures.get(self.connection.organization.slug)
        if failure is not None:
            raise failure
        move_cursor(self.connection, "things", int(start) + 1)
        return {"things": {"updated": 1}}


@pytest.fixture
def polled():
    registry.register(Polled)
    Polled.failures, Polled.seen = {}, []
    yield Polled
    registry.unregister(Polled.key)


@pytest.fixture
def connections(polled, make_org):
    made = {}
    for slug in ("a-revoked", "b-down", "c-buggy", "d-fine"):
        made[slug] = Connection.objects.create(organization=make_org(slug), provider=Polled.key,
                                               status=Connection.Status.CONNECTED)
        move_cursor(made[slug], "things", 5)
    Connection.objects.create(organization=make_org("e-off"), provider=Polled.key,
                              status=Connection.Status.DISCONNECTED)
    return made


def _cursor(connection):
    return SyncCursor.objects.get(connection=connection, record_type="things").value


def test_one_connections_trouble_never_stops_the_others(polled, connections):
    polled.failures = {
        "a-revoked": AuthError("Polled no longer accepts our grant."),
        "b-down": ProviderError("Polled answered 503.", status_code=503, raw={"error": "down"}),
        "c-buggy": KeyError("Id"),
    }
    results = polled.poll_all()
    assert polled.seen == ["a-revoked", "b-down", "c-buggy", "d-fine"]  # never the disconnected
    by_slug = {slug: results[c.pk] for slug, c in connections.items()}
    assert by_slug["d-fine"] == {"things": {"updated": 1}}
    assert by_slug["a-revoked"] == {"error": "Polled no longer accepts our grant."}
    assert by_slug["b-down"] == {"error": "Polled answered 503."}
    assert "KeyError" in by_slug["c-buggy"]["error"]

    revoked = Connection.objects.get(pk=connections["a-revoked"].pk)
    assert revoked.status == Connection.Status.NEEDS_REAUTH
    assert revoked.status_reason == "Polled no longer accepts our grant."
    assert Connection.objects.get(pk=connections["b-down"].pk).status == "connected"

    entry = SyncLogEntry.objects.get(connection=connections["b-down"])
    assert (entry.status, entry.action, entry.provider_response_code) == ("retry", "poll", 503)
    assert "Polled answered 503." in entry.message
    assert entry.details == {"provider_response": {"error": "down"}}
    assert SyncLogEntry.objects.get(connection=connections["c-buggy"]).status == "failed"

    # the failed polls read the same changes again next time; the good one moved on
    assert [_cursor(connections[s]) for s in ("a-revoked", "b-down", "c-buggy", "d-fine")] == [
        "5", "5", "5", "6"]


def test_the_first_poll_starts_from_the_default_and_keeps_it_when_it_fails(polled, make_org):
    connection = Connection.objects.create(organization=make_org("new"), provider=Polled.key,
                                           status=Connection.Status.CONNECTED)
    polled.failures = {"new": ProviderError("down")}
    polled.poll_all()
    assert _cursor(connection) == "0"
    polled.failures = {}
    polled.poll_all()
    assert _cursor(connection) == "1"


def test_only_that_providers_connections_are_polled(polled, connections, make_org):
    Connection.objects.create(organization=make_org("elsewhere"), provider="fakebooks",
                              status=Connection.Status.CONNECTED)
    assert set(polled.poll_all()) == {c.pk for c in connections.values()}
