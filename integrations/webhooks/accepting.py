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
nothing is lost; its task is queued by the next sweep (`processing.relay_accepted`, a quarter
of a second with `run_dispatcher`), several events to a task, instead of one django-q2 task
built, signed, logged and inserted per request.

Elsewhere (SQLite, where a round trip costs nothing; tasks run at once in sync mode, as in
tests) the endpoint stores the event `queued` and dispatches its task in one transaction.
"""

import functools
from contextlib import nullcontext

from django.db import connections, router, transaction
from django_q.conf import Conf

from integrations.models import WebhookEvent


def _database():
    return connections[router.db_for_write(WebhookEvent)]


def available() -> bool:
    return _database().vendor == "postgresql" and not Conf.SYNC


@functools.cache
def _statement(alias):
    db = connections[alias]
    q = db.ops.quote_name
    fields = WebhookEvent._meta.concrete_fields
    columns = ", ".join(q(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {q(WebhookEvent._meta.db_table)} ({columns}) VALUES ({values}) "
        f"ON CONFLICT ({q('provider')}, {q('provider_event_id')}) "
        f"WHERE {q('provider_event_id')} IS NOT NULL DO NOTHING RETURNING {q('id')}"
    )


@functools.cache
def _preparers(alias):
    """(attribute, value -> parameter) for each column, in `_statement`'s order. psycopg takes
    the Python values of these columns as they are (str, int, bool, None, UUID, bytes, aware
    datetimes); JSON goes through Django's field. Django's per-field `get_db_prep_save` for all
    of them cost more than the rest of building the statement."""
    db = connections[alias]
    preparers = []
    for field in WebhookEvent._meta.concrete_fields:
        if field.get_internal_type() in _NATIVE:
            preparers.append((field.attname, _same))
        else:
            preparers.append((field.attname, functools.partial(
                lambda field, value: field.get_db_prep_save(value, connection=db), field)))
    return preparers


def _same(value):
    return value


# Field types whose values psycopg sends as they are (Django's preparation returns them as
# they are on PostgreSQL, or a wrapper psycopg does not need).
_NATIVE = {"CharField", "TextField", "BooleanField", "PositiveIntegerField", "IntegerField",
           "BigIntegerField", "ForeignKey", "UUIDField", "DateTimeField", "BinaryField",
           "GenericIPAddressField"}


def insert_accepted(event: WebhookEvent):
    """Store `event` (new, verified, `accepted`) in one statement. True when it was written,
    False when its event id was already taken (nothing written), None when this database or
    queue cannot take the fast path (the caller stores it its own way)."""
    if not available():
        return None
    db = _database()
    params = [prepare(getattr(event, attname)) for attname, prepare in _preparers(db.alias)]
    cursor = db.prepared_cursor() if hasattr(db, "prepared_cursor") else db.cursor()
    # Inside a caller's transaction (a test, ATOMIC_REQUESTS) a savepoint keeps a failed
    # statement from breaking it; in autocommit the statement is its own transaction.
    with transaction.atomic(using=db.alias) if not db.get_autocommit() else nullcontext():
        with cursor:
            cursor.execute(_statement(db.alias), params)
            return cursor.fetchone() is not None
