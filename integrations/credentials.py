"""Access tokens: fetched ahead of expiry, refreshed single-flight, never inside a transaction.

Many workers may find the same token expired at once, and some providers' refresh tokens work
exactly once. So a refresh happens under a lock per connection:

1. take the lock (no database transaction is open, then or later);
2. re-read the connection's row: someone may have refreshed, or been refused, while we waited;
3. refresh at the provider (HTTP, with no transaction open: a slow provider holds no row or
   database lock, and nothing the provider did can be rolled back here);
4. save the rotated tokens in their own short transaction, committed before the lock is
   released, so nobody can use the old refresh token after it has been spent; a refused refresh
   marks the connection `needs_reauth` in its own write, which nothing can roll back;
5. release the lock.

The lock is a session-level advisory lock on PostgreSQL (`pg_advisory_lock`, keyed by the
connection's id, taken and released in autocommit: it belongs to the database session, not to a
transaction) and an advisory file lock (`fcntl.flock`) per connection on SQLite, which means one
machine. Calling a refresh inside a transaction is refused (`..._rollback_unsafe`): the save in
step 4 would not be committed when the lock is released.

Disconnecting takes the same lock (`integrations.connections`): the connection's row is no
longer locked during a refresh, and the grant it revokes must be the one a refresh in flight
is about to save, not the one that refresh has just spent.
"""

import fcntl
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from integrations.errors import AuthError

logger = logging.getLogger("integrations.credentials")

# Namespaces our advisory locks, so they cannot collide with another use of advisory locks on
# the same database.
_ADVISORY_LOCK_KEY = "SELECT hashtextextended('integrations.credentials.refresh:' || %s, 0)"


def access_token_rollback_unsafe(connection, *, force=False, seen_version=None):
    """Return (access token, credentials version) for the connection, refreshing when needed
    (HTTP to the provider: never inside a database transaction).

    `force` refreshes even if the stored token looks valid (the provider said 401), unless the
    credentials changed since `seen_version` (then someone else already refreshed)."""
    from integrations.models import Connection

    margin = settings.TOKEN_REFRESH_MARGIN_SECONDS
    if connection.status != Connection.Status.CONNECTED:
        raise AuthError(f"The connection to {connection.provider_name} is "
                        f"{connection.get_status_display().lower()}; connect it again.")
    if not force and not connection.token_expires_within(margin):
        return connection.credentials.get("access_token", ""), connection.credentials_version

    from integrations.http import refuse_inside_transaction

    refuse_inside_transaction(f"refreshing the access token of connection {connection.pk}")
    with single_flight(connection):
        fresh = Connection.objects.get(pk=connection.pk)
        copy_credentials_state(connection, fresh)
        if fresh.status != Connection.Status.CONNECTED:
            raise AuthError(f"The connection to {fresh.provider_name} needs to be connected again.")
        someone_else_refreshed = (seen_version is not None
                                  and fresh.credentials_version != seen_version)
        if (not force or someone_else_refreshed) and not fresh.token_expires_within(margin):
            return fresh.credentials.get("access_token", ""), fresh.credentials_version
        provider = _provider_for(fresh)
        try:
            new_credentials, expires_at = provider.refresh_credentials(fresh.credentials)
        except AuthError as refused:
            # Marked while the lock is held, so a waiting worker re-reads the mark instead of
            # spending the refresh token again; its own write, so nothing rolls it back.
            mark_needs_reauth(fresh, reason=str(refused))
            copy_credentials_state(connection, fresh)
            logger.warning("credentials refresh refused for connection %s (%s)", fresh.pk,
                           fresh.provider)
            raise
        fresh.set_credentials(new_credentials, expires_at=expires_at)
        with transaction.atomic():
            fresh.save(update_fields=["encrypted_credentials", "token_expires_at",
                                      "credentials_version", "updated_at"])
        copy_credentials_state(connection, fresh)
        logger.info("credentials refreshed for connection %s (%s)", fresh.pk, fresh.provider)
        return fresh.credentials.get("access_token", ""), fresh.credentials_version


@contextmanager
def single_flight(connection):
    """Hold the per-connection credentials lock (refresh, disconnect); it needs no database
    transaction, and none is held for it."""
    from django.db import connection as db

    if db.vendor == "sqlite":
        # Beside the database file (every process that shares the file sees the same lock,
        # and the lock goes where the database goes); a temp dir for an in-memory database.
        database = Path(str(db.settings_dict["NAME"]))
        folder = database.parent if database.parent.is_dir() and database.name != ":memory:" \
            else Path(tempfile.gettempdir())
        with open(folder / f".{database.name}-refresh-{connection.pk}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with db.cursor() as cur:
        cur.execute(_ADVISORY_LOCK_KEY, [str(connection.pk)])
        key = cur.fetchone()[0]
        cur.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        try:
            with db.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [key])
        except DatabaseError:
            # The database session is gone or unusable: a lost session released its locks.
            logger.warning("could not release the refresh lock of connection %s", connection.pk)


def mark_needs_reauth(connection, *, reason=""):
    """A connected connection whose grant the provider refused now needs re-authorization. Only
    a connected one: an administrator's "Disconnected" (and its reason) is not overwritten by a
    late job, poll or webhook that found no usable token because of it."""
    from integrations.models import Connection

    now = timezone.now()
    marked = Connection.objects.filter(pk=connection.pk, status=Connection.Status.CONNECTED) \
        .update(status=Connection.Status.NEEDS_REAUTH, status_reason=reason[:1000],
                updated_at=now)
    if marked:
        connection.status = Connection.Status.NEEDS_REAUTH
        connection.status_reason = reason[:1000]
    else:
        connection.refresh_from_db(fields=["status", "status_reason"])
    return bool(marked)


def refresh_expiring(margin_seconds=None):
    """Refresh, ahead of time, every connected token that expires within the margin."""
    from integrations.models import Connection

    margin = margin_seconds
    if margin is None:
        margin = settings.TOKEN_REFRESH_MARGIN_SECONDS * 2
    soon = timezone.now() + timezone.timedelta(seconds=margin)
    refreshed = 0
    for conn in Connection.objects.filter(status=Connection.Status.CONNECTED,
                                          token_expires_at__lte=soon):
        try:
            access_token_rollback_unsafe(conn, force=True, seen_version=None)
            refreshed += 1
        except AuthError:
            continue
        except Exception:  # one provider's outage must not stop the others
            logger.exception("ahead-of-time refresh failed for connection %s", conn.pk)
    return refreshed


def _provider_for(connection):
    from integrations.providers import registry

    return registry.for_connection(connection)


def copy_credentials_state(target, source):
    """Bring an in-memory connection up to date with a row read under the lock."""
    for name in ("encrypted_credentials", "token_expires_at", "credentials_version", "status",
                 "status_reason"):
        setattr(target, name, getattr(source, name))
