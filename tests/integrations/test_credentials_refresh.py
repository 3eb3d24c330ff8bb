"""A token refresh holds no database transaction (and so no row lock) while the provider answers,
and still saves the rotated tokens, or the needs-reauth mark, for good."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from integrations import credentials
from integrations.http import in_transaction
from integrations.models import Connection
from tests.integrations.fakebooks import FakeBooks


def _expire(connection):
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=5))
    connection.refresh_from_db()


@pytest.fixture
def seen_during_refresh(monkeypatch):
    """What the provider's refresh saw: whether a transaction was open, and whether another
    database session could lock the connection's row meanwhile."""
    seen = {"check_row_lock": False}
    original = FakeBooks.refresh_credentials

    def refresh(provider, creds):
        seen["in_transaction"] = in_transaction()
        if seen["check_row_lock"]:  # another session sees the row only once it is committed
            seen["row_lock"] = _row_lock_from_another_session(provider.connection.pk)
        return original(provider, creds)

    monkeypatch.setattr(FakeBooks, "refresh_credentials", refresh)
    return seen


def _row_lock_from_another_session(pk):
    outcome = []

    def lock():
        try:
            with transaction.atomic():
                Connection.objects.select_for_update(nowait=True).get(pk=pk)
            outcome.append("free")
        except DatabaseError:
            outcome.append("locked")
        finally:
            db_connection.close()

    worker = threading.Thread(target=lock)
    worker.start()
    worker.join()
    return outcome[0]


@pytest.mark.django_db
def test_the_providers_refresh_runs_outside_any_transaction(connection, fake_server,
                                                            seen_during_refresh):
    _expire(connection)
    token, _ = credentials.access_token_rollback_unsafe(connection)
    assert token == "access-1" and fake_server.token_calls == 1
    assert seen_during_refresh["in_transaction"] is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_holds_no_row_lock_and_saves_the_rotated_pair(connection, fake_server,
                                                                 seen_during_refresh):
    seen_during_refresh["check_row_lock"] = True
    _expire(connection)
    credentials.access_token_rollback_unsafe(connection)
    assert seen_during_refresh["in_transaction"] is False
    assert seen_during_refresh["row_lock"] == "free"
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.credentials == {"access_token": "access-1", "refresh_token": "refresh-1"}


@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_marks_the_connection_for_good(connection, fake_server):
    from integrations.errors import AuthError

    fake_server.refresh_token = "someone-else"  # ours no longer works
    _expire(connection)
    with pytest.raises(AuthError, match="refresh token already used"):
        credentials.access_token_rollback_unsafe(connection)
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.NEEDS_REAUTH
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert fake_server.token_calls == 1


@pytest.mark.django_db
def test_a_refresh_inside_a_transaction_is_refused_before_any_request(connection, fake_server):
    _expire(connection)
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="HTTP inside a database transaction"):
            credentials.access_token_rollback_unsafe(connection)
    assert fake_server.token_calls == 0
    # A token that is still good needs no HTTP, so it may be read anywhere.
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(hours=1))
    connection.refresh_from_db()
    with transaction.atomic():
        assert credentials.access_token_rollback_unsafe(connection)[0] == "access-0"


def _waiting_for_an_advisory_lock():
    with db_connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cur.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_disconnect_waits_for_a_refresh_in_flight_and_revokes_the_rotated_grant(
        connection, fake_server, monkeypatch):
    """The row is no longer locked during a refresh, so the disconnect takes the same lock:
    otherwise it would revoke the old grant while the new one is saved after it."""
    revoked = []
    monkeypatch.setattr(FakeBooks, "revoke_credentials",
                        lambda provider, creds: revoked.append(creds["refresh_token"]))
    original = FakeBooks.refresh_credentials
    disconnecting = threading.Thread(target=_disconnect, args=(connection.pk,))
    seen = {}

    def refresh(provider, creds):
        disconnecting.start()
        for _ in range(500):  # until the disconnect waits for our lock, or has finished
            if not disconnecting.is_alive() or _waiting_for_an_advisory_lock():
                break
            threading.Event().wait(0.01)
        seen["disconnect_finished_during_refresh"] = not disconnecting.is_alive()
        return original(provider, creds)

    monkeypatch.setattr(FakeBooks, "refresh_credentials", refresh)
    _expire(connection)
    credentials.access_token_rollback_unsafe(connection)
    disconnecting.join()
    assert seen["disconnect_finished_during_refresh"] is False
    assert revoked == ["refresh-1"], "the grant that was current when it disconnected"
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == Connection.Status.DISCONNECTED and stored.credentials == {}


def _disconnect(pk):
    try:
        connection = Connection.objects.get(pk=pk)
        FakeBooks(connection).disconnect()
    finally:
        db_connection.close()
