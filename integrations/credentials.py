"""Access tokens: fetched ahead of expiry, refreshed single-flight.

Many workers may find the same token expired at once, and some providers' refresh tokens work
exactly once (Fortnox). So refresh happens under a lock per connection: re-check under the lock
(someone may have refreshed while we waited), refresh, and save the rotated refresh token before
the lock is released, so nothing else can use the old one.

On PostgreSQL the lock is the connection's row (`SELECT ... FOR UPDATE`), held by the
transaction that saves the new tokens. SQLite has no row locks, and a transaction there holds
the whole database's write lock: held across the provider's HTTP call, it would stall every
other writer, the sandbox's token endpoint included when it shares the file (`make run`). SQLite
means one machine, so there the lock is an advisory file lock (`fcntl.flock`) per connection,
and the new tokens are saved in their own short transaction while it is held.
"""

import fcntl
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.errors import AuthError

logger = logging.getLogger("integrations.credentials")


def access_token(connection, *, force=False, seen_version=None):
    """Return (access token, credentials version) for the connection, refreshing when needed.

    `force` refreshes even if the stored token looks valid (the provider said 401), unless the
    credentials changed since `seen_version` (then someone else already refreshed)."""
    from integrations.models import Connection

    margin = settings.TOKEN_REFRESH_MARGIN_SECONDS
    if connection.status != Connection.Status.CONNECTED:
        raise AuthError(f"The connection to {connection.provider_name} is "
                        f"{connection.get_status_display().lower()}; connect it again.")
    if not force and not connection.token_expires_within(margin):
        return connection.credentials.get("access_token", ""), connection.credentials_version

    refused = None
    with single_flight(connection) as fresh:
        _copy_into(connection, fresh)
        if fresh.status != Connection.Status.CONNECTED:
            raise AuthError(f"The connection to {fresh.provider_name} needs to be connected again.")
        someone_else_refreshed = (seen_version is not None
                                  and fresh.credentials_version != seen_version)
        if (not force or someone_else_refreshed) and not fresh.token_expires_within(margin):
            return fresh.credentials.get("access_token", ""), fresh.credentials_version
        provider = _provider_for(fresh)
        try:
            new_credentials, expires_at = provider.refresh_credentials(fresh.credentials)
        except AuthError as exc:
            refused = exc
        else:
            fresh.set_credentials(new_credentials, expires_at=expires_at)
            with transaction.atomic():
                fresh.save(update_fields=["encrypted_credentials", "token_expires_at",
                                          "credentials_version", "updated_at"])
            _copy_into(connection, fresh)
            logger.info("credentials refreshed for connection %s (%s)", fresh.pk,
                        fresh.provider)
            return fresh.credentials.get("access_token", ""), fresh.credentials_version
    # Marked after the lock's transaction ended, so the mark is not rolled back with it.
    mark_needs_reauth(fresh, reason=str(refused))
    _copy_into(connection, fresh)
    logger.warning("credentials refresh refused for connection %s (%s)", fresh.pk, fresh.provider)
    raise refused


@contextmanager
def single_flight(connection):
    """Hold the per-connection refresh lock; yields the connection's row read under it."""
    from django.db import connection as db

    from integrations.models import Connection

    if db.vendor == "sqlite":
        name = f"hub-refresh-{Path(str(db.settings_dict['NAME'])).name}-{connection.pk}.lock"
        with open(Path(tempfile.gettempdir()) / name, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield Connection.objects.get(pk=connection.pk)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with transaction.atomic():
        yield Connection.objects.select_for_update().get(pk=connection.pk)


def mark_needs_reauth(connection, *, reason=""):
    from integrations.models import Connection

    connection.status = Connection.Status.NEEDS_REAUTH
    connection.status_reason = reason[:1000]
    connection.save(update_fields=["status", "status_reason", "updated_at"])


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
            access_token(conn, force=True, seen_version=None)
            refreshed += 1
        except AuthError:
            continue
        except Exception:  # one provider's outage must not stop the others
            logger.exception("ahead-of-time refresh failed for connection %s", conn.pk)
    return refreshed


def _provider_for(connection):
    from integrations.providers import registry

    return registry.for_connection(connection)


def _copy_into(target, source):
    for name in ("encrypted_credentials", "token_expires_at", "credentials_version", "status",
                 "status_reason"):
        setattr(target, name, getattr(source, name))
