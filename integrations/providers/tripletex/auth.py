"""Tripletex session tokens (fact sheet §2).

Our consumer token (a setting, one for every customer) and the dealer's employee token (made
in Tripletex under My profile -> API access for our application, pasted once, kept encrypted)
make a session token: `POST /token/session/:create {consumerToken, employeeToken,
expirationDate}` (no auth header). The session expires at midnight of `expirationDate`;
"refreshing" is making a new session with the employee token, which stays valid until the
dealer deletes it. Disconnect deletes the session (`DELETE /token/session/{token}`).
"""

from datetime import datetime, time, timedelta

import requests
from django.conf import settings
from django.utils import timezone

from integrations.errors import AuthError, PermanentError, RetryableError
from integrations.providers.tripletex.client import api_base, basic_header, error_message

TIMEOUT = 20


def _send(method, path, **kwargs):
    try:
        return requests.request(method, f"{api_base()}{path}", timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise RetryableError(f"Tripletex could not be reached: {type(exc).__name__}") from None


def session_expiry(expiration_date):
    """A session made with `expiration_date` stops working at the start of that day (midnight,
    Norwegian time, taken as the earliest reading of "midnight of the date")."""
    zone = timezone.get_default_timezone()
    return timezone.make_aware(datetime.combine(expiration_date, time.min), zone)


def create_session(employee_token):
    """(session token, expires_at). AuthError when Tripletex refuses the tokens."""
    if not settings.TRIPLETEX_CONSUMER_TOKEN:
        raise AuthError("Tripletex is not configured on this server: set "
                        "TRIPLETEX_CONSUMER_TOKEN.")
    expiration = timezone.localdate() + timedelta(days=max(1, settings.TRIPLETEX_SESSION_DAYS))
    response = _send("POST", "/token/session/:create", json={
        "consumerToken": settings.TRIPLETEX_CONSUMER_TOKEN, "employeeToken": employee_token,
        "expirationDate": expiration.isoformat()})
    if response.status_code == 429 or response.status_code >= 500:
        code, message = error_message(response)
        raise RetryableError(f"Tripletex's token service: {message}",
                             status_code=response.status_code, code=code,
                             raw_text=response.text[:4000])
    if response.status_code not in (200, 201):
        code, message = error_message(response)
        raise AuthError(f"Tripletex refused the employee token ({code or response.status_code}: "
                        f"{message}). Make a new one in Tripletex (My profile -> API access) "
                        f"and paste it under Settings -> Accounting.",
                        status_code=response.status_code, code=code,
                        raw_text=response.text[:4000])
    token = (response.json().get("value") or {}).get("token")
    if not token:
        raise PermanentError("Tripletex made no session token.", raw_text=response.text[:4000])
    return token, session_expiry(expiration)


def delete_session(session_token):
    """True when Tripletex deleted the session (or it was already gone)."""
    response = _send("DELETE", f"/token/session/{session_token}",
                     headers=basic_header(session_token))
    if response.status_code in (200, 204, 401, 404):
        return True
    code, message = error_message(response)
    error = RetryableError if response.status_code == 429 or response.status_code >= 500 \
        else PermanentError
    raise error(f"Tripletex did not delete the session: {message}",
                status_code=response.status_code, code=code, raw_text=response.text[:4000])


def delete_subscriptions(session_token, subscription_ids):
    """Unsubscribe our webhooks (they belong to the employee token, which stays with the
    dealer): ids Tripletex no longer has count as gone. Returns the ids deleted or gone."""
    gone = []
    for subscription_id in subscription_ids:
        response = _send("DELETE", f"/event/subscription/{subscription_id}",
                         headers=basic_header(session_token))
        if response.status_code in (200, 204, 404):
            gone.append(subscription_id)
    return gone
