"""Changes coming back, by polling: the scheduled loop over a provider's connections, and the
cursors that say where each poll got to.

The loop is the same for every provider (`Provider.poll_all` calls it): every connected
connection, one at a time, each through its provider's `poll()` hook. One connection's trouble
never stops the others: a refused grant marks the connection as needing re-authorization, any
other failure is written to the sync log and the poll runs again next time from the same
cursor, because a hook moves its cursor only after what it read has been applied.
"""

import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from accounting import rls
from integrations.credentials import mark_needs_reauth
from integrations.errors import AuthError, ProviderError
from integrations.models import Connection, SyncCursor
from integrations.synclog import log_event

logger = logging.getLogger("integrations.inbound")

POLL_ACTION = "poll"


def poll_provider_connections(provider_cls) -> dict:
    """Poll every connected connection of one provider. Returns {connection pk: the hook's
    result, or {"error": message}}."""
    results = {}
    connections = (Connection.objects.filter(provider=provider_cls.key,
                                             status=Connection.Status.CONNECTED)
                   .select_related("organization").order_by("pk"))
    for connection in connections:
        results[connection.pk] = poll_connection(provider_cls, connection)
    return results


def poll_connection(provider_cls, connection):
    """One connection's scheduled poll, inside its organization (row-level security);
    failures are recorded, never raised."""
    with rls.tenant_context(connection.organization_id):
        return _poll_connection(provider_cls, connection)


def _poll_connection(provider_cls, connection):
    try:
        return provider_cls(connection).poll()
    except AuthError as exc:
        mark_needs_reauth(connection, reason=exc.message)
        _log_failure(connection, exc, status="failed")
        return {"error": exc.message}
    except ProviderError as exc:
        _log_failure(connection, exc, status="retry")
        return {"error": exc.message}
    except Exception as exc:  # our own bug: keep the trace, and let the next connection run
        logger.exception("poll of connection %s (%s) crashed", connection.pk, connection.provider)
        error = ProviderError(f"Internal error: {type(exc).__name__}: {exc}")
        _log_failure(connection, error, status="failed")
        return {"error": error.message}


def _log_failure(connection, exc, *, status):
    log_event(organization_id=connection.organization_id, provider=connection.provider,
              entity="import", action=POLL_ACTION, status=status, connection=connection,
              message=_("The import from %(provider)s stopped and runs again from the same "
                        "point: %(error)s") % {"provider": connection.provider_name,
                                              "error": exc.message},
              response_code=exc.status_code,
              details={"provider_response": exc.raw} if exc.raw is not None else None)


# -- cursors ----------------------------------------------------------------------------------
def read_cursor(connection, name, *, default="") -> str:
    """Where the poll named `name` got to on this connection (`default` the first time, which
    is also stored, so a failed first poll starts from the same point again)."""
    cursor, _created = SyncCursor.objects.get_or_create(
        connection=connection, record_type=name,
        defaults={"organization_id": connection.organization_id, "value": default})
    return cursor.value or default


def move_cursor(connection, name, value):
    """Record how far a poll got; call it only once what it read has been applied (in the same
    transaction as the writes, where there is one)."""
    SyncCursor.objects.update_or_create(
        connection=connection, record_type=name,
        defaults={"organization_id": connection.organization_id, "value": str(value),
                  "updated_at": timezone.now()})


def mark_polled(connection):
    Connection.objects.filter(pk=connection.pk).update(last_sync_at=timezone.now())
