"""HTTP to Tripletex v2.

Every call is Basic auth with user "0" (the token owner's company) and the session token as
password. Answers are wrapped: `{value}` for one object, `{from, count, fullResultSize,
values}` for lists. Errors come in one envelope: `{status, code, message, developerMessage,
validationMessages: [{field, message}], requestId}` (spec introduction); 409 carries codes
7000 (exists), 8000 (revision conflict: changed by someone else), 10000 (locked) and 14000
(duplicate). Every response says how much of the employee token's budget is left
(`X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` seconds); once it is spent every request
answers 429 until the reset, so the limiter is told (`integrations.ratebudget`).
"""

import base64

from django.conf import settings

from integrations import ratebudget
from integrations.errors import PermanentError, RateLimitedError
from integrations.http import ProviderClient

PAGE_SIZE = 1000

CONFLICT_WORDS = {
    "7000": "It already exists in Tripletex",
    "8000": "It was changed in Tripletex by someone else since we read it; it is read again "
            "on the next try",
    "10000": "It is locked in Tripletex (e.g. a closed period or an invoiced order)",
    "14000": "A duplicate: Tripletex already has one with the same unique value",
}


def api_base():
    return settings.TRIPLETEX_BASE_URL


def basic_header(session_token):
    raw = f"0:{session_token}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def error_message(response):
    """(code, message a person can act on) from Tripletex's error envelope."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or response.reason or "")[:500]
    if not isinstance(body, dict):
        return None, str(body)[:500]
    code = str(body.get("code") or "") or None
    message = str(body.get("message") or body.get("developerMessage") or "").strip()
    details = [f"{m.get('field') or '-'}: {m.get('message') or ''}".strip()
               for m in body.get("validationMessages") or [] if isinstance(m, dict)]
    if code in CONFLICT_WORDS:
        message = f"{CONFLICT_WORDS[code]} ({message})" if message else CONFLICT_WORDS[code]
    text = "; ".join(p for p in [message, *details] if p)
    return code, (text or f"Tripletex answered {response.status_code}")[:1000]


def budget(response):
    """(remaining, seconds to reset) from the rate-limit headers, None where absent."""
    def number(name):
        try:
            return float(response.headers.get(name))
        except (TypeError, ValueError):
            return None

    return number("X-Rate-Limit-Remaining"), number("X-Rate-Limit-Reset")


class TripletexClient(ProviderClient):
    @property
    def base_url(self):
        return api_base()

    def auth_headers(self, access_token):
        return basic_header(access_token)

    def parse_error(self, response):
        return error_message(response)

    def request(self, method, path, **kwargs):
        key = self.provider.rate_limit_key(path)
        ratebudget.wait_rollback_unsafe(key)
        response = super().request(method, path, **kwargs)
        self._note(key, response)
        return response

    def _note(self, key, response):
        remaining, reset = budget(response)
        ratebudget.note(key, remaining=remaining, reset_seconds=reset)

    def classify(self, response):
        self._note(self.provider.rate_limit_key(response.request.path_url
                                                if response.request else ""), response)
        error = super().classify(response)
        if response.status_code == 429 and isinstance(error, RateLimitedError):
            _remaining, reset = budget(response)
            if reset is not None:
                error.retry_after = max(error.retry_after or 0, reset)
        if response.status_code == 422 and not isinstance(error, PermanentError):
            return PermanentError(error.message, status_code=422, code=error.code,
                                  raw=error.raw, raw_text=error.raw_text)
        return error

    # -- helpers --------------------------------------------------------------------------------
    def get_value(self, path, params=None):
        return self.request("GET", path, params=params).json().get("value")

    def values(self, path, params=None, *, page_size=PAGE_SIZE, max_pages=50):
        """Every row of a list endpoint, page by page (`from`, `count`)."""
        rows = []
        for page in range(max_pages):
            query = {**(params or {}), "from": page * page_size, "count": page_size}
            body = self.request("GET", path, params=query).json()
            batch = body.get("values") or []
            rows.extend(batch)
            if len(batch) < page_size:
                break
        return rows

    def post_value(self, path, body, *, params=None):
        return self.request("POST", path, json=body, params=params,
                            expected=(200, 201)).json().get("value")

    def put_value(self, path, body=None, *, params=None):
        return self.request("PUT", path, json=body, params=params,
                            expected=(200, 201)).json().get("value")
