"""Visma eAccounting's HTTP side: the `/v2` base, JSON headers, Visma's error envelope turned
into a message a person can act on, and `Meta` paging.

Every non-2xx answer is `{"ErrorCode", "DeveloperErrorMessage", "ErrorId", "Errors": [{"Field",
"ErrorCode", "Message"}]}` (fact sheet §4). We switch on `ErrorCode` and keep Visma's own text
and `ErrorId` (support asks for it) next to ours; the raw body is kept verbatim by the engine
(the base client passes it along), so an unknown code is never reworded away.
"""

import re

from django.conf import settings

from integrations.errors import AuthError
from integrations.http import ProviderClient, parse_retry_after

PAGE_SIZE = 1000  # Visma's largest page (the default is 50)
RECONNECT = "connect Visma eAccounting again under Integrationer"

# ErrorCode -> what it means for the person reading the sync monitor (fact sheet §4).
ERROR_MESSAGES = {
    2000: "Visma eAccounting did not accept a field we sent",
    3000: "Visma eAccounting could not find the record it was asked about",
    3001: "The date has no fiscal year in Visma eAccounting; the accountant must add the "
          "fiscal year in Visma eAccounting",
    3002: "Visma eAccounting has no such account in this fiscal year; check the account "
          "mapping",
    4000: "The record already exists in Visma eAccounting (a number is taken)",
    4002: "Visma eAccounting cannot create or change this record, or the company lacks the "
          "module for it",
    4003: "The company has not completed Visma eAccounting's startup guide; complete it in "
          "Visma eAccounting",
    4004: "The company is not active in Visma eAccounting",
    4005: f"Visma eAccounting no longer accepts our login; {RECONNECT}",
    4006: f"Our access to Visma eAccounting lacks a permission (scope) this needs; {RECONNECT} "
          "and approve all permissions",
    4007: "The Visma user who connected lacks permission for this; connect with a user who "
          "has it",
    4009: "The company's Visma eAccounting plan does not include this",
    4010: "Visma eAccounting's rate limit was reached (600 requests per minute per endpoint); "
          "retrying later",
    4011: "The Visma user who connected has no access to eAccounting",
    4012: "The Visma eAccounting licence agreement has not been accepted; accept it in Visma "
          "eAccounting",
    4013: "The invoice cannot be booked: the period or year is locked in Visma eAccounting",
    4019: f"The Visma user who connected may only read; {RECONNECT} with another user",
    4025: "Visma eAccounting says the customer's VAT number is not valid (checked in VIES)",
    4026: "The date is in a locked period in Visma eAccounting",
    4034: "A sandbox client cannot reach a production company",
    4038: "The date is in a locked fiscal year in Visma eAccounting",
    5000: "Visma eAccounting had an internal error; the request will be retried",
    5001: "Visma eAccounting could not reach one of its own services; the request will be "
          "retried",
    6000: "Visma eAccounting did not accept a query parameter we sent (our error)",
    6001: "Visma eAccounting did not accept a date we sent (our error)",
}
AUTH_CODES = {4005}
NOT_FOUND_CODES = {3000}
_RETRY_IN = re.compile(r"try again in (\d+) seconds?", re.IGNORECASE)


def envelope(body):
    """(ErrorCode as int or None, Visma's message, ErrorId, Errors[]) from an error body."""
    if not isinstance(body, dict):
        return None, "", "", []
    code = body.get("ErrorCode")
    try:
        code = int(code) if code not in (None, "") else None
    except (TypeError, ValueError):
        code = None
    errors = body.get("Errors") if isinstance(body.get("Errors"), list) else []
    return (code, str(body.get("DeveloperErrorMessage") or body.get("Message") or ""),
            str(body.get("ErrorId") or ""), [e for e in errors if isinstance(e, dict)])


def field_errors(body):
    """[(Field, Message)] of a validation error."""
    return [(str(e.get("Field") or ""), str(e.get("Message") or ""))
            for e in envelope(body)[3]]


def retry_after_of(response, message):
    """Seconds to wait after a 429: the header if Visma sent one (undocumented), else the
    seconds named in its message ("Try again in 55 seconds"), else a minute (fact sheet §3)."""
    header = parse_retry_after(response.headers.get("Retry-After"))
    if header is not None:
        return header
    match = _RETRY_IN.search(message or "")
    return float(match.group(1)) if match else 60.0


class VismaClient(ProviderClient):
    """`patient=True` for the importer (`ProviderClient.request`)."""
    patient_429_attempts = 3

    def __init__(self, provider, *, session=None, patient=False):
        super().__init__(provider, session=session, patient=patient)
        self.base_url = settings.VISMA_EACCOUNTING_BASE_URL

    def default_headers(self):
        return {"Accept": "application/json", "Content-Type": "application/json"}

    def parse_error(self, response):
        try:
            body = response.json()
        except ValueError:
            body = {}
        code, theirs, error_id, _errors = envelope(body)
        ours = ERROR_MESSAGES.get(code)
        fields = "; ".join(f"{f}: {m}" if f else m for f, m in field_errors(body))
        if ours is None:
            ours = f"Visma eAccounting answered {response.status_code} " \
                   f"{response.reason or ''}".strip()
        message = f"{ours} ({fields})" if fields else ours
        if theirs and not fields:
            message = f"{message} (Visma: {theirs[:300]})"
        if error_id:
            message = f"{message} [ErrorId {error_id}]"
        return (str(code) if code is not None else None), message + "."

    def classify(self, response):
        error = super().classify(response)
        if response.status_code == 429:
            error.retry_after = retry_after_of(response, error.raw.get("DeveloperErrorMessage")
                                               if isinstance(error.raw, dict) else "")
        elif error.code is not None and int(error.code) in AUTH_CODES \
                and not isinstance(error, AuthError):
            error = AuthError(error.message, status_code=error.status_code, code=error.code,
                              raw=error.raw, raw_text=error.raw_text)
        return error


    # -- conveniences ------------------------------------------------------------------------
    def get_json(self, path, params=None):
        return self.request("GET", path, params=params).json()

    def get_or_none(self, path, params=None):
        """The body, or None when Visma says the record does not exist."""
        response = self.request("GET", path, params=params, expected=(200, 404))
        return response.json() if response.status_code == 200 else None

    def send(self, method, path, body, params=None):
        response = self.request(method, path, json=body, params=params)
        return response.json() if response.content else {}

    def pages(self, path, params=None, *, meta=None):
        """A list endpoint's rows, one list per page, to the last page (`Meta`). `meta`, a
        dict, receives the first page's `Meta` (its `ServerTimeUtc` is Visma's clock)."""
        page = 1
        while True:
            body = self.get_json(path, {**(params or {}), "$page": page,
                                        "$pagesize": PAGE_SIZE})
            info = body.get("Meta") or {}
            if meta is not None and page == 1:
                meta.update(info)
            yield body.get("Data") or []
            total = int(info.get("TotalNumberOfPages") or 1)
            if page >= total:
                return
            page += 1

    def iterate(self, path, params=None):
        for rows in self.pages(path, params):
            yield from rows
