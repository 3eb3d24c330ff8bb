"""Connecting an organization to Fortnox, keeping the grant alive, and letting it go.

- Consent: `authorization_url` sends an admin to Fortnox with a single-use `state` bound to the
  admin and the organization (`integrations.oauthstate`); `complete_authorization` takes the
  callback, exchanges the code (client id and secret as Basic auth), reads the company's name
  and tenant id, and stores the tokens encrypted on the `Connection`.
- Refresh tokens work once and rotate on every refresh. `refresh` is only ever called through
  `integrations.credentials` (the connection row locked, the new pair saved in the same
  transaction), so two workers never spend the same refresh token.
- Service accounts (`service_account=True`): an administrator approves once, and from then on a
  token is asked for with client id, secret and the tenant id (`client_credentials`, header
  `TenantId`); there is no refresh token at all, so nothing can be lost in a race.

The token endpoint is spoken to with plain `requests`: requests-oauthlib refuses http:// token
URLs unless a process-wide environment variable is set, and the sandbox is served over http.
"""

import base64
import json
from contextlib import suppress
from datetime import timedelta
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.auth import HTTPBasicAuth

from integrations import oauthstate, ratelimit
from integrations.errors import (
    ActionBlocked,
    AuthError,
    ProviderError,
    RetryableError,
    ValidationProblem,
)
from integrations.http import parse_retry_after

KEY = "fortnox"
CALLBACK_PATH = "/api/integrations/fortnox/callback"
CODE_MODE, SERVICE_MODE = "code", "service"

# What each record type needs (Fortnox scopes grant read and write). Invoices need `payment` to
# read payments and `customer` because an invoice's customer is sent first.
SCOPES_BY_RECORD = {
    "customer": ("customer",),
    "invoice": ("invoice", "payment", "customer", "project"),
    "quote": ("offer", "customer", "project"),
    "project": ("project",),
    "employee": ("salary",),
    "time_entry": ("salary", "project"),
    "payslip": ("salary",),
}
# Company name and tenant id, the chart of accounts for the mapping editor, locked period and
# predefined accounts for error messages.
BASE_SCOPES = ("companyinformation", "bookkeeping", "settings")

RECONNECT = "An administrator must connect Fortnox again under Integrationer."


def scopes(record_types=None):
    """The scopes for the record types our Fortnox provider declares (or the ones given)."""
    if record_types is None:
        from integrations.providers.fortnox.provider import Fortnox

        record_types = Fortnox.capabilities.records
    wanted = set(BASE_SCOPES)
    for record_type in record_types:
        wanted.update(SCOPES_BY_RECORD.get(record_type, ()))
    return sorted(wanted)


def redirect_uri():
    return settings.APP_BASE_URL + CALLBACK_PATH


def _client_configured():
    return bool(settings.FORTNOX_CLIENT_ID and settings.FORTNOX_CLIENT_SECRET)


def authorization_url(*, organization, user, service_account=False) -> str:
    """Where to send the admin to approve our app for their Fortnox company."""
    if not _client_configured():
        raise ActionBlocked([ValidationProblem(
            "Fortnox is not set up on this server: FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET "
            "must be set (see .env.example).", field="provider")])
    state = oauthstate.issue(provider=KEY, organization=organization, user=user,
                             data={"service_account": bool(service_account)})
    params = {
        "client_id": settings.FORTNOX_CLIENT_ID,
        "redirect_uri": redirect_uri(),
        "scope": " ".join(scopes()),
        "state": state,
        "access_type": "offline",
        "response_type": "code",
    }
    if service_account:
        params["account_type"] = "service"
    return f"{settings.FORTNOX_AUTH_URL}/auth?{urlencode(params, quote_via=quote)}"


# -- the token endpoint -------------------------------------------------------------------------
def token_request(form, *, headers=None):
    """POST to /oauth-v1/token with our client as Basic auth. The answer's JSON, or
    RetryableError (Fortnox unreachable or failing) / AuthError (the grant was refused)."""
    try:
        response = requests.post(
            f"{settings.FORTNOX_AUTH_URL}/token", data=form,
            auth=HTTPBasicAuth(settings.FORTNOX_CLIENT_ID, settings.FORTNOX_CLIENT_SECRET),
            headers={"Accept": "application/json", **(headers or {})},
            timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise RetryableError(f"Could not reach Fortnox's login service ({type(exc).__name__}); "
                             "trying again later.") from None
    try:
        body = response.json()
    except ValueError:
        body = {"text": response.text[:2000]}
    if response.status_code == 200 and body.get("access_token"):
        return body
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"Fortnox's login service answered {response.status_code}; "
                             "trying again later.", status_code=response.status_code, raw=body,
                             raw_text=response.text[:4000])
    error = str(body.get("error") or "")
    raise AuthError(_token_error_message(form.get("grant_type"), error,
                                         str(body.get("error_description") or "")),
                    status_code=response.status_code, code=error or None, raw=body,
                    raw_text=response.text[:4000])


def _token_error_message(grant_type, error, description):
    theirs = f" (Fortnox: {error}{': ' + description if description else ''})" if error else ""
    if error == "invalid_client":
        return ("Fortnox does not accept this server's client id and secret; check "
                f"FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET.{theirs}")
    if grant_type == "refresh_token":
        return ("Fortnox no longer accepts this connection's refresh token: access was revoked "
                f"in Fortnox, or the token is older than 45 days. {RECONNECT}{theirs}")
    if grant_type == "client_credentials":
        return ("Fortnox no longer gives this server a token for the company's service account: "
                f"the consent was withdrawn in Fortnox. {RECONNECT}{theirs}")
    return f"Fortnox did not accept the approval.{theirs}"


def _expires_at(token):
    return timezone.now() + timedelta(seconds=int(token.get("expires_in") or 3600))


def refresh(credentials):
    """A new access token for stored credentials: (new credentials, expires_at). Call only
    through `integrations.credentials` (under the connection's row lock)."""
    if credentials.get("mode") == SERVICE_MODE:
        tenant_id = credentials.get("tenant_id")
        if not tenant_id:
            raise AuthError(f"The Fortnox service account has no tenant id stored. {RECONNECT}")
        token = token_request({"grant_type": "client_credentials"},
                              headers={"TenantId": str(tenant_id)})
        return {**credentials, "access_token": token["access_token"]}, _expires_at(token)
    refresh_token = credentials.get("refresh_token")
    if not refresh_token:
        raise AuthError(f"No Fortnox refresh token is stored. {RECONNECT}")
    token = token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
    new = {**credentials, "mode": CODE_MODE, "access_token": token["access_token"],
           # Fortnox rotates it: the old one is spent now, so the new one must be kept.
           "refresh_token": token.get("refresh_token") or refresh_token}
    return new, _expires_at(token)


def revoke(credentials) -> bool | None:
    """Ask Fortnox to forget the refresh token (access tokens of the code flow cannot be
    revoked and die within the hour). True when Fortnox confirmed, False when it refused;
    None when there is nothing to revoke (a service account has no refresh token). A busy or
    unreachable Fortnox raises RetryableError, so the caller can ask again."""
    token = credentials.get("refresh_token")
    if not token:
        return None
    if not _client_configured():
        return False
    try:
        response = requests.post(
            f"{settings.FORTNOX_AUTH_URL}/revoke",
            data={"token_type_hint": "refresh_token", "token": token},
            auth=HTTPBasicAuth(settings.FORTNOX_CLIENT_ID, settings.FORTNOX_CLIENT_SECRET),
            headers={"Accept": "application/json"}, timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise RetryableError(f"Fortnox could not be reached to revoke: {type(exc).__name__}"
                             ) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(f"Fortnox answered {response.status_code} to the revocation",
                             status_code=response.status_code,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return response.status_code == 200


# -- connect and disconnect ---------------------------------------------------------------------
def _tenant_from_jwt(access_token):
    """The `tenantId` claim of a Fortnox access token (a JWT), read without verifying."""
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return ""
    return str(claims.get("tenantId") or claims.get("tenantid") or "")


def _company_request(access_token):
    return requests.get(
        f"{settings.FORTNOX_BASE_URL}/3/companyinformation",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS)


def company_information(access_token):
    """GET /3/companyinformation with a token we have not stored yet (a one-off at connect
    time). It counts against the company's limit like every later request: the token names
    the tenant, so the limiter's key is known before the connection is stored (a token that
    names none is asked without, as the answer is what names the company then)."""
    from integrations.providers.fortnox.provider import Fortnox

    tenant = _tenant_from_jwt(access_token)
    try:
        if not tenant:
            response = _company_request(access_token)
        else:
            key = Fortnox.rate_limit_key_for((settings.FORTNOX_CLIENT_ID or "unset", tenant))
            with ratelimit.slot(key, Fortnox.rate_limit):
                response = _company_request(access_token)
    except requests.RequestException as exc:
        raise RetryableError(f"Could not reach Fortnox ({type(exc).__name__}).") from None
    if response.status_code != 200:
        raise ProviderError(f"Fortnox answered {response.status_code} when asked for the "
                            "company's information.", status_code=response.status_code)
    return response.json().get("CompanyInformation") or {}


def _blocked(message):
    return ActionBlocked([ValidationProblem(message, field="provider")])


def complete_authorization(*, code, state, user):
    """The callback: check `state` (single use, same user), exchange the code, read the
    company, store everything on the organization's Fortnox connection. Raises ActionBlocked
    with a message for the admin when anything is wrong; nothing is stored then."""
    from integrations.models import Connection

    row = oauthstate.consume(state, provider=KEY, user=user)
    organization = row.organization
    service = bool(row.data.get("service_account"))
    again = "Start the connection again from Integrationer."
    if not code:
        raise _blocked(f"Fortnox sent no authorization code (was the request denied?). {again}")
    try:
        token = token_request({"grant_type": "authorization_code", "code": code,
                               "redirect_uri": redirect_uri()})
        company = company_information(token["access_token"])
    except ProviderError as exc:
        raise _blocked(f"{exc.message} {again}") from None
    tenant_id = str(company.get("DatabaseNumber") or _tenant_from_jwt(token["access_token"]))
    if service:
        if not tenant_id:
            raise _blocked(f"Fortnox did not tell which company was approved. {again}")
        credentials = {"mode": SERVICE_MODE, "access_token": token["access_token"],
                       "tenant_id": tenant_id}
    else:
        credentials = {"mode": CODE_MODE, "access_token": token["access_token"],
                       "refresh_token": token.get("refresh_token", ""),
                       "scope": token.get("scope", "")}
    linked_to = None
    with transaction.atomic():
        connection = (Connection.objects.select_for_update().for_org(organization)
                      .filter(provider=KEY).first())
        if connection is None:
            connection = Connection(organization=organization, provider=KEY)
        elif (connection.remote_tenant_id and tenant_id
              and connection.remote_tenant_id != tenant_id and connection.links.exists()):
            linked_to = connection.remote_company_name or connection.remote_tenant_id
        if linked_to is None:
            connection.set_credentials(credentials, expires_at=_expires_at(token))
            connection.status = Connection.Status.CONNECTED
            connection.status_reason = ""
            connection.connected_at = timezone.now()
            connection.remote_company_name = str(company.get("CompanyName") or "")[:200]
            connection.remote_tenant_id = tenant_id[:100]
            connection.save()
    if linked_to is not None:
        with suppress(ProviderError):  # best effort: the grant was not wanted anyway
            revoke(credentials)  # HTTP: only after the row lock's transaction has ended
        approved = company.get("CompanyName") or tenant_id
        raise _blocked(
            f"You approved a different Fortnox company ({approved}) "
            f"than the one this organization is linked to ({linked_to}). Approve "
            "that company instead, or remove the existing links first.")
    return connection
