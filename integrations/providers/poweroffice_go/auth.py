"""Connecting a PowerOffice Go client company, and disconnecting it.

v2 uses only the client-credentials grant: Basic base64(application key : client key) plus our
subscription key, answering `{access_token, expires_in}` and no refresh token. "Refreshing" is
asking again with the client key, which is the secret we keep (encrypted) per connection. The
lifetime is read from `expires_in` every time (the docs say 10 or 20 minutes; never assume).

The client key comes from the onboarding flow (Initiate -> the customer approves in Go ->
Finalize) or is pasted by an admin who activated the extension in Go by hand.
"""

from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone

from integrations.errors import AuthError, PermanentError, RetryableError
from integrations.providers.poweroffice_go.client import (
    api_base,
    error_message,
    subscription_headers,
    token_url,
)

TIMEOUT = 20


def _post(url, **kwargs):
    # Go's gateway counts these against our subscription key's 10 per second like any other
    # request: uncounted, they pushed the next request (a revoke) into a 429.
    from integrations import ratelimit
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    key, policy = PowerOfficeGo(None).rate_limit_key(), PowerOfficeGo.rate_limit
    with ratelimit.slot(key, policy, max_wait=settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS):
        try:
            response = requests.post(url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise RetryableError(
                f"PowerOffice Go could not be reached: {type(exc).__name__}") from None
    if response.status_code == 429:  # every worker on the key stands back, not only us
        from integrations.http import parse_retry_after

        ratelimit.pause(key, policy, parse_retry_after(response.headers.get("Retry-After"))
                        or policy.window_seconds)
    return response


def fetch_token(client_key):
    """(access token, expires_at) for one client key. AuthError when PowerOffice Go refuses
    the keys (wrong environment, the integration removed in Go)."""
    if not (settings.POWEROFFICE_GO_APPLICATION_KEY and settings.POWEROFFICE_GO_SUBSCRIPTION_KEY):
        raise AuthError("PowerOffice Go is not configured on this server: set "
                        "POWEROFFICE_GO_APPLICATION_KEY and POWEROFFICE_GO_SUBSCRIPTION_KEY.")
    response = _post(
        token_url(), data={"grant_type": "client_credentials"},
        auth=(settings.POWEROFFICE_GO_APPLICATION_KEY, client_key),
        headers={**subscription_headers(),
                 "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    if response.status_code == 429 or response.status_code >= 500:
        code, message = error_message(response)
        raise RetryableError(f"PowerOffice Go's token service: {message}",
                             status_code=response.status_code, code=code,
                             raw_text=response.text[:4000])
    if response.status_code != 200:
        code, message = error_message(response)
        raise AuthError(
            f"PowerOffice Go refused the client key ({code or response.status_code}: {message}). "
            f"Connect again from Settings -> Accounting.",
            status_code=response.status_code, code=code, raw_text=response.text[:4000])
    body = _answer(response, "access_token", "expires_in", what="a token")
    expires_at = timezone.now() + timedelta(seconds=int(body["expires_in"]))
    return body["access_token"], expires_at


def initiate_onboarding(*, redirect_uri, organization_number=""):
    """Start onboarding: the URL to send the person to, where they approve in Go."""
    body = {"ApplicationKey": settings.POWEROFFICE_GO_APPLICATION_KEY, "RedirectUri": redirect_uri}
    if organization_number:
        body["ClientOrganizationNo"] = organization_number
    response = _post(f"{api_base()}/Onboarding/Initiate", json=body,
                     headers=subscription_headers())
    if response.status_code not in (200, 201):
        code, message = error_message(response)
        raise PermanentError(f"PowerOffice Go did not start the onboarding: {message}",
                             status_code=response.status_code, code=code,
                             raw_text=response.text[:4000])
    return _answer(response, "TemporaryUrl", what="the onboarding")["TemporaryUrl"]


def finalize_onboarding(token):
    """The onboarded clients, each {ClientKey, ClientName, ClientOrganizationNumber}."""
    response = _post(f"{api_base()}/Onboarding/Finalize", json={"OnboardingToken": token},
                     headers=subscription_headers())
    if response.status_code not in (200, 201):
        code, message = error_message(response)
        raise PermanentError(f"PowerOffice Go did not finish the onboarding: {message}",
                             status_code=response.status_code, code=code,
                             raw_text=response.text[:4000])
    body = _answer(response, what="the onboarding")
    return body.get("OnboardedClientsInformation") or []


def _answer(response, *required, what):
    """The JSON object of a 200 that must carry `required`; anything else is PowerOffice Go's
    fault, said so with its body kept, never a crash of ours."""
    try:
        body = response.json()
    except ValueError:
        body = None
    missing = [name for name in required if not isinstance(body, dict) or not body.get(name)]
    if not isinstance(body, dict) or missing:
        raise PermanentError(
            f"PowerOffice Go answered {what} without {', '.join(missing) or 'a JSON object'}; "
            f"try again later, and contact PowerOffice Go if it persists.",
            status_code=response.status_code, raw_text=response.text[:4000])
    return body
