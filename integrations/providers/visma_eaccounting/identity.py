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

Sharing one grant (grants.py, its names re-exported here). The refresh token lives once, in
`VismaGrant` (per organization and Visma company), never on the connections. A connection's
refresh (called single-flight per connection by `integrations.credentials`) takes a second lock,
the grant's (the same `single_flight` machinery; the order is always connection, then grant),
re-reads the grant and either adopts an access token someone else already got (the other product
refreshed) or refreshes once, saving the rotated refresh token in its own short transaction
before the lock is released. So 16 jobs of eAccounting and 16 of payroll on one expired token
make one refresh, and a refresh by one product never invalidates the other. Disconnecting one
product while the other still uses the grant keeps the grant (and says so); the last one out
revokes it. Reconnecting replaces the grant's tokens for both.

Plain http is refused by oauthlib; it is allowed only for an identity server on a loopback
address (the sandbox), by setting oauthlib's switch when such a URL is configured.
"""

import base64
import json
import logging
import os
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from integrations import oauthstate
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


# The shared grant (grants.py), re-exported: callers use `identity.<name>`.
from integrations.providers.visma_eaccounting.grants import (  # noqa: E402, F401
    attach,
    has_scope,
    products_to_attach,
    refresh_connection,
    release,
    siblings_in_use,
    store_grant,
)
