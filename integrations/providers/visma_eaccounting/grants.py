"""The grant Visma's identity server gave an organization, shared by its Visma products (the
second half of identity.py's interface; identity.py re-exports every name here, so callers use
`identity.<name>`). See identity.py's docstring, "Sharing one grant"."""

import hashlib
import logging
from contextlib import suppress
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.credentials import single_flight
from integrations.errors import ActionBlocked, AuthError, ProviderError, ValidationProblem

logger = logging.getLogger("integrations.visma.identity")


def _identity():
    # Imported when called: identity.py imports this module at its end.
    from integrations.providers.visma_eaccounting import identity

    return identity


def _grant_lock(organization_id, customer_id):
    """The grant's single-flight lock (integrations.credentials), keyed so it can be taken
    before the row exists and never collides with a connection's lock."""
    digest = hashlib.sha256(f"{organization_id}:{customer_id}".encode()).hexdigest()[:20]
    return single_flight(SimpleNamespace(pk=f"visma-grant-{digest}"))


def store_grant(*, organization, token, company_name=""):
    from integrations.providers.visma_eaccounting.models import VismaGrant

    customer_id = str(_identity().claims(token["access_token"]).get("customer_id") or "")
    if not customer_id:
        raise ActionBlocked([ValidationProblem(
            "Visma's token does not say which company was approved. Start the connection "
            "again from Integrationer.", field="provider")])
    superseded = ""
    credentials = {"access_token": token["access_token"],
                   "refresh_token": token.get("refresh_token") or "",
                   "scope": _identity()._granted(token)}
    with _grant_lock(organization.pk, customer_id), transaction.atomic():
        grant, _created = VismaGrant.objects.select_for_update().get_or_create(
            organization=organization, customer_id=customer_id)
        old = grant.credentials.get("refresh_token") or ""
        superseded = old if old and old != credentials["refresh_token"] else ""
        grant.set_credentials(credentials, expires_at=_identity()._expires_at(token))
        grant.status, grant.status_reason = VismaGrant.Status.ACTIVE, ""
        grant.company_name = (company_name or grant.company_name)[:200]
        grant.save()
    if superseded:  # HTTP only after the transaction; the old grant is not wanted any more
        with suppress(ProviderError):
            _identity().revoke_token(superseded)
    return grant


def siblings_in_use(organization, product) -> list:
    """The other Visma products the organization has a connection for (in any state): a
    consent for `product` asks for their scopes too, so one consent serves all."""
    from integrations.models import Connection
    from integrations.providers import registry

    existing = set(Connection.objects.for_org(organization).values_list("provider", flat=True))
    return [k for k in _identity().API_SCOPE
            if k != product and k in existing and k in registry.keys()]


def products_to_attach(organization, product, granted_scope) -> list:
    from integrations.models import Connection
    from integrations.providers import registry

    granted = set(granted_scope.split())
    existing = set(Connection.objects.for_org(organization).values_list("provider", flat=True))
    keys = [product] + [k for k in _identity().API_SCOPE
                        if k != product and k in existing and k in registry.keys()]
    return [k for k in keys if _identity().API_SCOPE.get(k) in granted]


def _connection_credentials(grant):
    creds = grant.credentials
    return {"grant_id": grant.pk, "access_token": creds.get("access_token", ""),
            "scope": creds.get("scope", "")}


def attach(*, grant, provider_key, company_name=""):
    from integrations.models import Connection

    with transaction.atomic():
        connection = (Connection.objects.select_for_update().for_org(grant.organization)
                      .filter(provider=provider_key).first())
        if connection is None:
            connection = Connection(organization=grant.organization, provider=provider_key)
        connection.set_credentials(_connection_credentials(grant),
                                   expires_at=grant.token_expires_at)
        connection.status = Connection.Status.CONNECTED
        connection.status_reason = ""
        connection.connected_at = timezone.now()
        connection.remote_company_name = (company_name or grant.company_name)[:200]
        connection.remote_tenant_id = grant.customer_id[:100]
        connection.save()
    return connection


def has_scope(credentials, scope) -> bool:
    return scope in str(credentials.get("scope") or "").split()


def refresh_connection(credentials):
    """A connection's new access token (HTTP at most once per grant expiry, whoever asks)."""
    from integrations.providers.visma_eaccounting.models import VismaGrant

    grant = VismaGrant.objects.filter(pk=credentials.get("grant_id") or 0).first()
    if grant is None:
        raise AuthError(f"This connection's Visma grant is gone. {_identity().RECONNECT}")
    stale = credentials.get("access_token") or ""
    with _grant_lock(grant.organization_id, grant.customer_id):
        grant.refresh_from_db()
        if grant.status != VismaGrant.Status.ACTIVE:
            raise AuthError(grant.status_reason
                            or f"Visma refused this grant. {_identity().RECONNECT}")
        current = grant.credentials
        margin = settings.TOKEN_REFRESH_MARGIN_SECONDS
        if current.get("access_token") != stale and not grant.expires_within(margin):
            # The other product (or a connect) already got a new one.
            return _connection_credentials(grant), grant.token_expires_at
        if not current.get("refresh_token"):
            raise AuthError(f"No Visma refresh token is stored. {_identity().RECONNECT}")
        try:
            token = _identity()._refresh_token_grant(current["refresh_token"])
        except AuthError as refused:
            # Its own write, under the lock: a waiting refresh reads the mark instead of
            # spending the refresh token again.
            VismaGrant.objects.filter(pk=grant.pk).update(
                status=VismaGrant.Status.REFUSED, status_reason=str(refused)[:1000],
                updated_at=timezone.now())
            raise
        grant.set_credentials({
            "access_token": token["access_token"],
            # Rotated (one-time) refresh tokens: the old one is spent now; clients that Visma
            # gives reusable ones get the same back, or none (then the old one stays good).
            "refresh_token": token.get("refresh_token") or current["refresh_token"],
            "scope": _identity()._granted(token) or current.get("scope", ""),
        }, expires_at=_identity()._expires_at(token))
        with transaction.atomic():
            grant.save(update_fields=["encrypted_credentials", "token_expires_at", "version",
                                      "updated_at"])
        logger.info("visma grant %s refreshed", grant.pk)
        return _connection_credentials(grant), grant.token_expires_at


def _users(grant, *, besides):
    from integrations.models import Connection

    live = (Connection.Status.CONNECTED, Connection.Status.NEEDS_REAUTH)
    rows = (Connection.objects.for_org(grant.organization).filter(status__in=live)
            .exclude(pk=besides.pk))
    return [c for c in rows if c.credentials.get("grant_id") == grant.pk]


def release(connection, credentials):
    """Disconnect's revoke for one product: True/False when Visma was asked to revoke, None
    when the grant is kept for another product (or there was none)."""
    from integrations.models import Connection
    from integrations.providers.visma_eaccounting.models import VismaGrant
    from integrations.synclog import log_event

    grant = VismaGrant.objects.filter(pk=credentials.get("grant_id") or 0,
                                      organization_id=connection.organization_id).first()
    if grant is None:
        return None
    with _grant_lock(grant.organization_id, grant.customer_id):
        grant.refresh_from_db()
        users = _users(grant, besides=connection)
        if users:
            names = ", ".join(c.provider_name for c in users)
            note = (f"The Visma grant is kept: {names} still uses it. It is revoked at Visma when "
                    "that is disconnected too.")
            Connection.objects.filter(pk=connection.pk).update(
                status_reason=f"Disconnected by an administrator. {note}")
            log_event(organization_id=connection.organization_id, provider=connection.provider,
                      entity="connection", action="grant_kept", status="ok", message=note,
                      connection=connection, local_id=connection.pk,
                      details={"grant_id": grant.pk, "kept_for": [c.pk for c in users]})
            return None
        refresh_token = grant.credentials.get("refresh_token") or ""
        confirmed = _identity().revoke_token(refresh_token) if refresh_token else None
        # A failed revocation raised above and keeps the row, so asking again revokes it; a
        # later connect replaces and revokes it too.
        grant.delete()
        return confirmed
