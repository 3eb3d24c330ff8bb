"""Visma's identity server (identity.vismaonline.com, Duende IdentityServer), for every Visma
product here: Visma eAccounting (`ea:api`) and Visma payroll (`vls:api`). One consent can carry
both products' scopes, and then one grant serves both connections.

Interface (keyword arguments; `product` is a registry key, e.g. "visma_eaccounting")

    scopes(*product_scopes)                 "ea:api offline_access ..." sorted, deduplicated:
                                            OFFLINE plus each product's scopes
    authorization_url(*, product, organization, user, scopes, redirect_uri, data=None)
                                            the consent URL (requests-oauthlib); a single-use
                                            `state` bound to user and organization
                                            (`integrations.oauthstate`, provider=product, `data`
                                            kept on the state row); `prompt=select_account`, and
                                            Visma's eAccounting service filter when `ea:api` is
                                            asked for
    exchange_code(code, *, redirect_uri)    token dict (access_token, refresh_token, expires_in,
                                            scope); our client as Basic auth
    claims(access_token)                    the JWT's claims, unverified (`customer_id` = the
                                            Visma company, our tenant id)
    store_grant(*, organization, token, company_name="")
                                            the organization's VismaGrant for the company the
                                            token is for, holding this token now (a superseded
                                            refresh token is revoked afterwards)
    attach(*, grant, provider_key, company_name="")
                                            the organization's Connection for that product now
                                            uses the grant (created if missing; connected);
                                            returns it. Stored on the connection: {"grant_id",
                                            "access_token", "scope"} and the grant's expiry
    siblings_in_use(organization, product)  the other Visma products the organization has a
                                            connection for: their scopes join the consent
    products_to_attach(organization, product, granted_scope)
                                            the product itself and every sibling product the
                                            organization already has a connection for, whose
                                            API scope was granted
    refresh_connection(credentials)         -> (credentials, expires_at): a provider's
                                            `refresh_credentials` hook returns this
    release(connection, credentials)        a provider's `revoke_credentials` hook returns this:
                                            revokes at /connect/revocation only when no other
                                            connection still uses the grant; otherwise keeps it
                                            and says so (sync log and the connection's reason)
    has_scope(credentials, scope)           whether the stored grant carries a scope
    is_configured() / require_configured(product_name)

Sharing one grant. The refresh token lives once, in `VismaGrant` (per organization and Visma
company), never on the connections. A connection's refresh (called single-flight per connection
by `integrations.credentials`) takes a second lock, the grant's (the same `single_flight`
machinery; the order is always connection, then grant), re-reads the grant and either adopts an
access token someone else already got (the other product refreshed) or refreshes once, saving
the rotated refresh token in its own short transaction before the lock is released. So 16 jobs
of eAccounting and 16 of payroll on one expired token make one refresh, and a refresh by one
product never invalidates the other. Disconnecting one product while the other still uses the
grant keeps the grant (and says so); the last one out revokes it. Reconnecting replaces the
grant's tokens for both.

Plain http is refused by oauthlib; it is allowed only for an identity server on a loopback
address (the sandbox), by setting oauthlib's switch when such a URL is configured.
"""

import base64
import hashlib
import json
import logging
import os
from contextlib import suppress
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from integrations import oauthstate
from integrations.credentials import single_flight
from integrations.errors import (
    ActionBlocked,
    AuthError,
    ProviderError,
    RetryableError,
    ValidationProblem,
)
from integrations.http import parse_retry_after

logger = logging.getLogger("integrations.visma.identity")

OFFLINE = "offline_access"
# Each Visma product's gate scope (DOC-AUTH): a grant serves a product when it carries it.
API_SCOPE = {"visma_eaccounting": "ea:api", "visma_payroll": "vls:api"}
PRODUCT_NAMES = {"visma_eaccounting": "Visma eAccounting", "visma_payroll": "Visma payroll"}
# Limits the company picker to companies that have eAccounting (CL-PROMPT).
EACCOUNTING_SERVICE = "service:44643EB1-3F76-4C1C-A672-402AE8085934"
RECONNECT = "An administrator must connect Visma again under Integrationer."


# -- settings ------------------------------------------------------------------------------------
def is_configured() -> bool:
    return bool(settings.VISMA_CLIENT_ID and settings.VISMA_CLIENT_SECRET)


def require_configured(product_name="Visma"):
    if not is_configured():
        raise ActionBlocked([ValidationProblem(
            f"{product_name} is not set up on this server: VISMA_CLIENT_ID and "
            "VISMA_CLIENT_SECRET must be set (see .env.example).", field="provider")])


def _url(path):
    base = settings.VISMA_IDENTITY_URL
    parts = urlsplit(base)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        # The sandbox on this machine; oauthlib refuses http otherwise (and still does for
        # every non-loopback address we are configured with).
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return f"{base}/connect/{path}"


def _auth():
    return HTTPBasicAuth(settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET)


# -- consent -------------------------------------------------------------------------------------
def scopes(*product_scopes) -> str:
    wanted = {OFFLINE}
    for group in product_scopes:
        wanted.update([group] if isinstance(group, str) else group)
    return " ".join(sorted(wanted))


def authorization_url(*, product, organization, user, scopes, redirect_uri, data=None) -> str:
    require_configured(PRODUCT_NAMES.get(product, "Visma"))
    state = oauthstate.issue(provider=product, organization=organization, user=user,
                             data={**(data or {}), "scope": scopes})
    session = OAuth2Session(settings.VISMA_CLIENT_ID, redirect_uri=redirect_uri,
                            scope=scopes.split(), state=state)
    extra = {"prompt": "select_account"}
    if "ea:api" in scopes.split():
        extra["acr_values"] = EACCOUNTING_SERVICE
    url, _state = session.authorization_url(_url("authorize"), **extra)
    return url


# -- the token endpoint --------------------------------------------------------------------------
def _check_token_response(response):
    """requests-oauthlib compliance hook: a busy or failing identity server is retryable, not a
    refused grant (oauthlib would only see a body it cannot parse)."""
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(
            f"Visma's identity server answered {response.status_code}; trying again later.",
            status_code=response.status_code, raw_text=response.text[:4000],
            retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return response


def _session(**kwargs):
    session = OAuth2Session(settings.VISMA_CLIENT_ID, **kwargs)
    session.register_compliance_hook("access_token_response", _check_token_response)
    session.register_compliance_hook("refresh_token_response", _check_token_response)
    return session


def _refused(grant_type, exc):
    error = getattr(exc, "error", "") or type(exc).__name__
    description = getattr(exc, "description", "") or ""
    theirs = f" (Visma: {error}{': ' + description if description else ''})"
    if error == "invalid_client":
        message = ("Visma does not accept this server's client id and secret; check "
                   "VISMA_CLIENT_ID and VISMA_CLIENT_SECRET.")
    elif grant_type == "refresh_token":
        message = ("Visma no longer accepts this connection's refresh token: access was "
                   f"withdrawn in Visma, or the token expired. {RECONNECT}")
    else:
        message = "Visma did not accept the approval (the code is single-use and lasts 5 minutes)."
    return AuthError(message + theirs, status_code=getattr(exc, "status_code", None),
                     code=error, raw={"error": error, "error_description": description})


def _token_call(grant_type, call):
    try:
        token = call()
    except (RetryableError, ActionBlocked):
        raise
    except OAuth2Error as exc:
        raise _refused(grant_type, exc) from None
    except requests.RequestException as exc:
        raise RetryableError(f"Could not reach Visma's identity server ({type(exc).__name__}); "
                             "trying again later.") from None
    except ValueError as exc:  # a 2xx body that is not a token
        raise ProviderError(f"Visma's identity server sent an answer we cannot read: {exc}"
                            ) from None
    if not token.get("access_token"):
        raise ProviderError("Visma's identity server answered without an access token.")
    return dict(token)


def exchange_code(code, *, redirect_uri) -> dict:
    require_configured()
    session = _session(redirect_uri=redirect_uri)
    return _token_call("authorization_code", lambda: session.fetch_token(
        _url("token"), code=code, auth=_auth(), include_client_id=False,
        timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS, headers={"Accept": "application/json"}))


def _refresh_token_grant(refresh_token) -> dict:
    session = _session()
    return _token_call("refresh_token", lambda: session.refresh_token(
        _url("token"), refresh_token=refresh_token, auth=_auth(),
        timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS, headers={"Accept": "application/json"}))


def revoke_token(refresh_token) -> bool:
    """POST /connect/revocation with our client as Basic auth. True when Visma confirmed; a
    busy or unreachable identity server raises RetryableError (the caller asks again)."""
    if not is_configured():
        return False
    url, headers, body = WebApplicationClient(settings.VISMA_CLIENT_ID) \
        .prepare_token_revocation_request(_url("revocation"), refresh_token,
                                          token_type_hint="refresh_token")
    try:
        response = requests.post(url, data=body, headers=headers, auth=_auth(),
                                 timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise RetryableError(f"Visma could not be reached to revoke: {type(exc).__name__}"
                             ) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(f"Visma answered {response.status_code} to the revocation",
                             status_code=response.status_code,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return response.status_code == 200


def claims(access_token) -> dict:
    """The access token's claims, read without verifying (it came straight from the token
    endpoint over TLS; we only read which company it is for)."""
    try:
        payload = access_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (AttributeError, IndexError, ValueError, TypeError):
        return {}


def _expires_at(token):
    return timezone.now() + timedelta(seconds=int(token.get("expires_in") or 3600))


def _granted(token):
    scope = token.get("scope") or ""
    return " ".join(scope) if isinstance(scope, list | tuple) else str(scope)


# -- the shared grant ----------------------------------------------------------------------------
def _grant_lock(organization_id, customer_id):
    """The grant's single-flight lock (integrations.credentials), keyed so it can be taken
    before the row exists and never collides with a connection's lock."""
    digest = hashlib.sha256(f"{organization_id}:{customer_id}".encode()).hexdigest()[:20]
    return single_flight(SimpleNamespace(pk=f"visma-grant-{digest}"))


def store_grant(*, organization, token, company_name=""):
    from integrations.providers.visma_eaccounting.models import VismaGrant

    customer_id = str(claims(token["access_token"]).get("customer_id") or "")
    if not customer_id:
        raise ActionBlocked([ValidationProblem(
            "Visma's token does not say which company was approved. Start the connection "
            "again from Integrationer.", field="provider")])
    superseded = ""
    credentials = {"access_token": token["access_token"],
                   "refresh_token": token.get("refresh_token") or "",
                   "scope": _granted(token)}
    with _grant_lock(organization.pk, customer_id), transaction.atomic():
        grant, _created = VismaGrant.objects.select_for_update().get_or_create(
            organization=organization, customer_id=customer_id)
        old = grant.credentials.get("refresh_token") or ""
        superseded = old if old and old != credentials["refresh_token"] else ""
        grant.set_credentials(credentials, expires_at=_expires_at(token))
        grant.status, grant.status_reason = VismaGrant.Status.ACTIVE, ""
        grant.company_name = (company_name or grant.company_name)[:200]
        grant.save()
    if superseded:  # HTTP only after the transaction; the old grant is not wanted any more
        with suppress(ProviderError):
            revoke_token(superseded)
    return grant


def siblings_in_use(organization, product) -> list:
    """The other Visma products the organization has a connection for (in any state): a
    consent for `product` asks for their scopes too, so one consent serves all."""
    from integrations.models import Connection
    from integrations.providers import registry

    existing = set(Connection.objects.for_org(organization).values_list("provider", flat=True))
    return [k for k in API_SCOPE if k != product and k in existing and k in registry.keys()]


def products_to_attach(organization, product, granted_scope) -> list:
    from integrations.models import Connection
    from integrations.providers import registry

    granted = set(granted_scope.split())
    existing = set(Connection.objects.for_org(organization).values_list("provider", flat=True))
    keys = [product] + [k for k in API_SCOPE
                        if k != product and k in existing and k in registry.keys()]
    return [k for k in keys if API_SCOPE.get(k) in granted]


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
        raise AuthError(f"This connection's Visma grant is gone. {RECONNECT}")
    stale = credentials.get("access_token") or ""
    with _grant_lock(grant.organization_id, grant.customer_id):
        grant.refresh_from_db()
        if grant.status != VismaGrant.Status.ACTIVE:
            raise AuthError(grant.status_reason or f"Visma refused this grant. {RECONNECT}")
        current = grant.credentials
        margin = settings.TOKEN_REFRESH_MARGIN_SECONDS
        if current.get("access_token") != stale and not grant.expires_within(margin):
            # The other product (or a connect) already got a new one.
            return _connection_credentials(grant), grant.token_expires_at
        if not current.get("refresh_token"):
            raise AuthError(f"No Visma refresh token is stored. {RECONNECT}")
        try:
            token = _refresh_token_grant(current["refresh_token"])
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
            "scope": _granted(token) or current.get("scope", ""),
        }, expires_at=_expires_at(token))
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
        confirmed = revoke_token(refresh_token) if refresh_token else None
        # A failed revocation raised above and keeps the row, so asking again revokes it; a
        # later connect replaces and revokes it too.
        grant.delete()
        return confirmed
