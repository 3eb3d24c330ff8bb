"""An accepted event and its task, written in ONE statement (one round trip, one commit).

On PostgreSQL with django-q2's ORM broker on the same database, the event's row and its task's
row go in one `INSERT ... ; INSERT` joined by a CTE:

    WITH event AS (INSERT INTO <inbox> (...) VALUES (...)
                   ON CONFLICT (provider, provider_event_id) WHERE ... DO NOTHING
                   RETURNING id)
    INSERT INTO django_q_ormq (key, payload, lock) SELECT %s, %s, %s FROM event RETURNING id

One statement is one transaction on its own (Django's connections autocommit), so both rows
commit together or neither does: the outbox the two-insert transaction gave, without BEGIN and
COMMIT as round trips of their own. An event id already taken inserts neither row and returns
nothing (the endpoint then answers "duplicate" or "queued_again"). django-q2 still builds and
signs the task package (`processing.orm_task_row`); only its row is written here.

Elsewhere (SQLite, where a round trip costs nothing; a Redis broker, which must push after the
commit) the endpoint stores the event and dispatches its task in a transaction, as before.
"""

import functools
from contextlib import nullcontext

from django.db import connections, router, transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from integrations.models import WebhookEvent
from integrations.webhooks import processing


def _database():
    return connections[router.db_for_write(WebhookEvent)]


def available() -> bool:
    db = _database()
    return db.vendor == "postgresql" and Conf.ORM == db.alias


@functools.cache
def _statement(alias):
    db = connections[alias]
    q = db.ops.quote_name
    fields = WebhookEvent._meta.concrete_fields
    columns = ", ".join(q(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    task = OrmQ._meta
    task_columns = ", ".join(q(task.get_field(name).column) for name in ("key", "payload", "lock"))
    return (
        f"WITH event AS (INSERT INTO {q(WebhookEvent._meta.db_table)} ({columns}) "
        f"VALUES ({values}) ON CONFLICT ({q('provider')}, {q('provider_event_id')}) "
        f"WHERE {q('provider_event_id')} IS NOT NULL DO NOTHING RETURNING {q('id')}) "
        f"INSERT INTO {q(task.db_table)} ({task_columns}) SELECT %s, %s, %s FROM event "
        f"RETURNING {q(task.pk.column)}"
    )


def insert_queued(event: WebhookEvent):
    """Store `event` (new, verified, `queued`) and its task in one statement. True when both
    were written, False when its event id was already taken (nothing written), None when this
    database or broker cannot do it in one statement (the caller stores it its own way)."""
    if not available():
        return None
    task = processing.orm_task_row(event.pk, event.provider)
    if task is None:
        return None
    db = _database()
    params = [f.get_db_prep_save(f.pre_save(event, True), connection=db)
              for f in WebhookEvent._meta.concrete_fields]
    params += [*task, timezone.now()]  # `lock`: due now, as the broker's own enqueue sets it
    # Inside a caller's transaction (a test, ATOMIC_REQUESTS) a savepoint keeps a failed
    # statement from breaking it; in autocommit the statement is its own transaction.
    with transaction.atomic(using=db.alias) if not db.get_autocommit() else nullcontext():
        with db.cursor() as cursor:
            cursor.execute(_statement(db.alias), params)
            return cursor.fetchone() is not None
