"""An accepted event, written in ONE statement with nothing else: the endpoint's fast path.

On PostgreSQL (with tasks going through a broker, not run at once), a verified event is
stored `accepted`, and that is all the request does with the database:

    INSERT INTO <inbox> (...) VALUES (...)
    ON CONFLICT (provider, provider_event_id) WHERE provider_event_id IS NOT NULL DO NOTHING
    RETURNING id

One statement is one transaction (Django's connections autocommit), prepared once per
connection where the backend can (config/postgresql): the text never changes, only the
values. An event id already taken inserts nothing and returns nothing (the endpoint then
answers "duplicate" or "queued_again"). The row is durable before the sender hears 200, so
nothing is lost; its task is queued by a sweep a moment later (`processing.relay_accepted`:
within about a second with `run_dispatcher`), several events to a task, without writing to the
rows, instead of one django-q2 task built, signed, logged and inserted per request. Requests of
one process that store events at the same moment share the statement (`GroupInsert`).

Elsewhere (SQLite, where a round trip costs nothing; tasks run at once in sync mode, as in
tests) the endpoint stores the event `queued` and dispatches its task in one transaction.
"""

import _thread
import functools
import threading

from django.db import connections, router, transaction
from django_q.conf import Conf

from integrations.models import WebhookEvent


def _database():
    return connections[_alias()]


@functools.cache
def _alias():
    return router.db_for_write(WebhookEvent)  # the routers are set at start-up


def available() -> bool:
    return _vendor() == "postgresql" and not Conf.SYNC


@functools.cache
def _vendor():
    return _database().vendor


@functools.cache
def _statement(alias, rows=1):
    db = connections[alias]
    q = db.ops.quote_name
    fields = WebhookEvent._meta.concrete_fields
    columns = ", ".join(q(f.column) for f in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    return (
        f"INSERT INTO {q(WebhookEvent._meta.db_table)} ({columns}) VALUES {values} "
        f"ON CONFLICT ({q('provider')}, {q('provider_event_id')}) "
        f"WHERE {q('provider_event_id')} IS NOT NULL DO NOTHING RETURNING {q('id')}"
    )


def row(values: dict) -> dict:
    """Every column's value of a new inbox row: `values` (by attribute name: `connection_id`,
    not `connection`), and each other field's default (a fresh `id` among them), as
    `WebhookEvent(**values)` would hold them, without building the model instance."""
    return {attname: values[attname] if attname in values else field.get_default()
            for attname, field in _fields()}


@functools.cache
def _fields():
    return [(field.attname, field) for field in WebhookEvent._meta.concrete_fields]


@functools.cache
def _preparers(alias):
    """(attribute, value -> parameter) for each column, in `_statement`'s order. psycopg takes
    the Python values of these columns as they are (str, int, bool, None, UUID, bytes, aware
    datetimes); JSON goes through Django's field. Django's per-field `get_db_prep_save` for all
    of them cost more than the rest of building the statement."""
    db = connections[alias]
    preparers = []
    for attname, field in _fields():
        if field.get_internal_type() in _NATIVE:
            preparers.append((attname, _same))
        else:
            preparers.append((attname, functools.partial(
                lambda field, value: field.get_db_prep_save(value, connection=db), field)))
    return preparers


def _same(value):
    return value


# Field types whose values psycopg sends as they are (Django's preparation returns them as
# they are on PostgreSQL, or a wrapper psycopg does not need).
_NATIVE = {"CharField", "TextField", "BooleanField", "PositiveIntegerField", "IntegerField",
           "BigIntegerField", "ForeignKey", "UUIDField", "DateTimeField", "BinaryField",
           "GenericIPAddressField"}


def insert_accepted(values: dict):
    """Store a new, verified, `accepted` event (`values`: every column, as `row` gives them) in
    one statement. True when it was written, False when its event id was already taken
    (nothing written), None when this database or queue cannot take the fast path (the caller
    stores it its own way)."""
    if not available():
        return None
    db = _database()
    params = [prepare(values[attname]) for attname, prepare in _preparers(db.alias)]
    pk = values["id"]
    if not db.get_autocommit():
        # Inside a caller's transaction (a test, ATOMIC_REQUESTS) the row must be in it: alone,
        # in a savepoint that keeps a failed statement from breaking the transaction.
        with transaction.atomic(using=db.alias):
            return pk in _write(db, [params])
    return _group.insert(db, pk, params)


def _write(db, rows) -> set:
    """Insert `rows` (each its parameters) in one statement; the ids of those written."""
    cursor = db.prepared_cursor() if hasattr(db, "prepared_cursor") else db.cursor()
    with cursor:
        cursor.execute(_statement(db.alias, len(rows)), [value for row in rows for value in row])
        return {row[0] for row in cursor.fetchall()}


class _Entry:
    __slots__ = ("pk", "params", "ready", "lead", "result", "error")

    def __init__(self, pk, params):
        self.pk, self.params = pk, params
        self.ready = None  # a held lock, for a request that waits: released when it may go on
        self.lead, self.result, self.error = False, None, None


class _Alone(Exception):
    """The shared statement failed: store this event with a statement of its own."""


class GroupInsert:
    """Events that requests of this process store at the same moment share one statement
    (a group commit). A request that finds no statement under way writes its event at once,
    with every event that arrived meanwhile (up to `MAX_ROWS`); one that arrives while a
    statement is under way waits for it to end, and is then written by the next statement,
    which the first waiting request sends for everyone waiting. Each request answers only
    after the statement holding its event has committed, so an answered event is stored;
    nobody waits for company, only for a statement already on its way. If a shared statement
    fails, each of its events is written alone by its own request (one bad row fails only its
    own request)."""

    MAX_ROWS = 50

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = []
        self._busy = False

    def insert(self, db, pk, params) -> bool:
        """`db`: this thread's connection, which writes the statement if this request sends
        it."""
        entry = _Entry(pk, params)
        with self._lock:
            self._pending.append(entry)
            entry.lead = not self._busy
            if not entry.lead:  # a plain lock, held: the cheapest thing to wait on
                entry.ready = _thread.allocate_lock()
                entry.ready.acquire()
            self._busy = True
        if not entry.lead:
            entry.ready.acquire()
        if entry.lead:
            self._lead(db)
        if isinstance(entry.error, _Alone):
            return pk in _write(db, [params])
        if entry.error is not None:
            raise entry.error
        return entry.result

    def _lead(self, db):
        with self._lock:
            batch = self._pending[:self.MAX_ROWS]
            del self._pending[:self.MAX_ROWS]
        try:
            written = _write(db, [entry.params for entry in batch])
        except Exception as exc:
            for entry in batch:
                entry.error = _Alone() if len(batch) > 1 else exc
        else:
            for entry in batch:
                entry.result = entry.pk in written
        finally:
            with self._lock:
                if self._pending:  # the first to wait sends the next statement
                    self._pending[0].lead = True
                    self._pending[0].ready.release()
                else:
                    self._busy = False
            for entry in batch:
                if entry.ready is not None and not entry.lead:
                    entry.ready.release()
                entry.lead = False


_group = GroupInsert()
