"""Django's PostgreSQL backend with a health check that costs no round trip.

A connection kept between requests (`CONN_MAX_AGE`) is checked before a request reuses it
(`CONN_HEALTH_CHECKS`), so a database restart costs no request a 500. Django checks by sending
`SELECT 1`: one more round trip for every request that touches the database, which for a
webhook (verify, one statement, answer) was half of its round trips.

An idle session hears nothing from the server unless the server is ending it: a restart, an
administrator's `pg_terminate_backend` or an idle timeout sends an error and closes the socket
(we never LISTEN, so no notification arrives unasked). So an idle connection whose socket has
nothing to read is alive as far as anything short of a round trip can tell, and one that has
something to read, or that is inside a transaction, is checked Django's way. A connection
broken silently (a network that drops packets without a reset) is found by neither check
before it is used; the request then fails and Django discards the connection, as before.

`prepared_cursor()` is a cursor whose statements the server parses and plans once per
connection (bound on the server, prepared on first use): for a statement run on every request
with only its values changing (the webhook inbox's insert), it saves the server's planning and
our quoting of the values into the text. Django's own cursors bind on the client and prepare
nothing (its default), so everything else is unchanged.

`DATABASE_URL` selects this backend for `postgres://` URLs (config/settings.py).
"""

import select

from django.db.backends.postgresql import base, operations
from psycopg import pq


class _PreparedCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, **kwargs):
        return super().execute(query, params, prepare=True if prepare is None else prepare,
                               **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # psycopg keeps no text of a statement run prepared: compose it, for the query log
        # (DEBUG, tests counting queries) as a client-bound cursor would have sent it.
        text = super().last_executed_query(cursor, sql, params)
        if text is None and sql is not None:
            try:
                return self.compose_sql(sql, params)
            except Exception:  # a log line is not worth failing the statement
                return sql
        return text


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("prepare_threshold") is None:
            # Django turns psycopg's preparing off unless OPTIONS sets a threshold; its own
            # cursors bind on the client and never prepare, so this reaches only cursors that
            # bind on the server (`prepared_cursor`, or all with OPTIONS server_side_binding).
            params["prepare_threshold"] = 5
        return params

    def prepared_cursor(self):
        """A cursor (Django's wrapper: execute wrappers, error translation, query logging) whose
        statements are prepared on the server. Use it for statements with a fixed text."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(_PreparedCursor(self.connection))

    def is_usable(self):
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not readable or super().is_usable()
