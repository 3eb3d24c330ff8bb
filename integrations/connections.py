"""Connection life cycle steps every provider shares: disconnecting.

A provider only says how to revoke (`Provider.revoke_credentials`); the order of the steps is
the same for all of them and lives here, so every page and API that disconnects revokes.
"""

import logging
import time

from django.db import transaction
from django.utils.translation import gettext_noop

from integrations.credentials import copy_credentials_state, single_flight
from integrations.engine.backoff import backoff_delay
from integrations.errors import ProviderError, RetryableError
from integrations.synclog import log_event

logger = logging.getLogger("integrations.connections")

REVOKED, NOT_REVOKED, NOTHING = "revoked", "not_revoked", "nothing_to_revoke"
REVOKE_ATTEMPTS, REVOKE_MAX_WAIT = 3, 5.0
DISCONNECTED_REASON = gettext_noop("Disconnected by an administrator.")
NOT_TOLD_REASON = gettext_noop(
    "The provider could not be told; remove the integration in the provider's own settings "
    "as well.")


def disconnect_connection_rollback_unsafe(provider, *, user=None) -> str:
    """Revoke at the provider where it can, then forget the credentials here. Returns REVOKED,
    NOT_REVOKED or NOTHING (no credentials were stored, or the provider cannot revoke).

    The connection is first marked disconnected under its row lock, so no worker refreshes (and
    rotates) a token after we read the stored one; the revocation itself runs outside any
    transaction (it is HTTP, and on SQLite a transaction holds the whole database's write
    lock); the credentials are cleared whatever the provider answered."""
    from integrations.models import Connection

    connection = provider.connection
    # The refresh lock: a refresh in flight saves its rotated grant first, and we revoke that.
    with single_flight(connection), transaction.atomic():
        fresh = Connection.objects.select_for_update().get(pk=connection.pk)
        stored = fresh.credentials
        fresh.status = Connection.Status.DISCONNECTED
        fresh.status_reason = DISCONNECTED_REASON
        fresh.save(update_fields=["status", "status_reason", "updated_at"])
        version = fresh.credentials_version
    outcome, detail = NOTHING, ""
    if stored:
        try:
            confirmed = _revoke_rollback_unsafe(provider, stored)
        except ProviderError as exc:
            outcome, detail = NOT_REVOKED, exc.message
        except Exception as exc:  # our bug or an odd answer: still forget the grant here
            logger.exception("revoke for connection %s crashed", connection.pk)
            outcome, detail = NOT_REVOKED, f"{type(exc).__name__}: {exc}"
        else:
            # True: the provider confirmed; False: it did not; None: its API cannot revoke.
            outcome = {True: REVOKED, False: NOT_REVOKED}.get(confirmed, NOTHING)
    with transaction.atomic():
        fresh = Connection.objects.select_for_update().get(pk=connection.pk)
        # Someone may have connected again while the provider was asked: that grant stays.
        if (fresh.status == Connection.Status.DISCONNECTED
                and fresh.credentials_version == version):
            fresh.clear_credentials()
            if outcome == NOT_REVOKED:
                fresh.status_reason = f"{DISCONNECTED_REASON} {NOT_TOLD_REASON}"
            fresh.save()
    copy_credentials_state(connection, fresh)
    log_event(organization_id=connection.organization_id, provider=connection.provider,
              entity="connection", action="disconnect",
              status="ok" if outcome != NOT_REVOKED else "failed",
              connection=connection, local_id=connection.pk,
              message=f"At the provider: {outcome}" + (f" ({detail})" if detail else ""),
              details={"user_id": getattr(user, "pk", None), "revoked": outcome})
    logger.info("connection %s disconnected (%s)", connection.pk, outcome)
    return outcome


def _revoke_rollback_unsafe(provider, stored):
    """The provider's revoke, as a person's click (ahead of background work in the limiter),
    tried again after a short wait when the provider answers 429 or 5xx: a grant left alive
    because the provider was busy for a second is worse than a disconnect that takes two."""
    from integrations import ratelimit

    for attempt in range(1, REVOKE_ATTEMPTS + 1):
        try:
            with ratelimit.priority(ratelimit.INTERACTIVE):
                return provider.revoke_credentials(stored)
        except RetryableError as exc:
            if attempt == REVOKE_ATTEMPTS:
                raise
            wait = min(backoff_delay(attempt, retry_after=exc.retry_after), REVOKE_MAX_WAIT)
            logger.info("revoke for connection %s: %s; again in %.1f s", provider.connection.pk,
                        exc.message, wait)
            time.sleep(wait)
    return None
