"""config/postgresql: a kept connection is checked before reuse without a round trip while it
is idle and the server has said nothing, and Django's way otherwise; a connection the server
ended is found and replaced; `prepared_cursor` prepares its statements on the server."""

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_postgresql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asked(monkeypatch):
    """The times Django's own check (`SELECT 1`) ran."""
    calls = []
    original = django_postgresql.DatabaseWrapper.is_usable

    def recorded(self):
        calls.append(self.alias)
        return original(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", recorded)
    return calls


def test_an_idle_connection_the_server_said_nothing_on_is_usable_without_a_query(asked):
    connection.ensure_connection()
    assert connection.is_usable()
    assert asked == []


def test_a_connection_the_server_ended_is_found_and_the_next_request_gets_a_new_one(asked):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    login = {key: value for key, value in connection.get_connection_params().items()
             if key in ("host", "port", "user", "password", "dbname")}
    with psycopg.connect(**login, autocommit=True) as other:  # as an administrator would
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches the socket a moment later.
    for _ in range(200):
        if not connection.is_usable():
            break
    else:
        pytest.fail("the ended connection still looks usable")
    assert asked  # the socket had something to say: asked Django's way, which failed
    # What Django does at the start of a request with CONN_HEALTH_CHECKS on.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_inside_a_transaction_it_asks_the_server(asked):
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert connection.is_usable()
        assert asked == ["default"]
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_a_prepared_cursor_prepares_its_statement_once_on_the_server():
    text = "SELECT %s::int + 1 AS prepared_by_the_hub"
    for n in range(3):
        with connection.prepared_cursor() as cursor:
            cursor.execute(text, [n])
            assert cursor.fetchone()[0] == n + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements "
                       "WHERE statement LIKE %s", ["%prepared_by_the_hub%"])
        assert len(cursor.fetchall()) == 1
