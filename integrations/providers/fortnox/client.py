"""Fortnox's HTTP side: base URL, JSON headers, its `ErrorInformation` body turned into a message
a person can act on, and paging.

Fortnox's error texts are often Swedish and worded differently over time, so we switch on the
numeric `code` and keep its own text next to ours. The raw body is kept by the engine (the base
client passes it along), so an unknown code is never reworded away.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from integrations.http import ProviderClient

# Fortnox keeps its timestamps (and reads `lastmodified`) in Swedish local time.
STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE_SIZE = 500  # Fortnox's largest page; the default is 100 and many clients stop at page 1

# Fortnox error code -> what it means for the person reading the sync monitor.
ERROR_MESSAGES = {
    "1000003": "Fortnox had an internal error; the request will be retried.",
    "2000106": "A value Fortnox expects to be alphanumeric is not; check the record's fields.",
    "2000108": "A value Fortnox expects to be a number is not; check amounts and quantities.",
    "2000134": "A value Fortnox expects to be true/false is not.",
    "2000310": "Fortnox did not accept our login; connect Fortnox again under Integrationer.",
    "2000311": "Fortnox did not get our credentials; connect Fortnox again under Integrationer.",
    "2000359": "A text contains characters Fortnox does not accept (e.g. emoji or some "
               "symbols); edit the record and send it again.",
    "2000588": "Fortnox does not accept one of the search parameters we sent.",
    "2000637": "This customer number is already used in Fortnox (numbers stay reserved even "
               "after a customer is deleted).",
    "2000663": "Our Fortnox app has no permission for this kind of record in this company; "
               "connect Fortnox again under Integrationer to grant it.",
    "2000729": "Fortnox could not find the record it was asked about.",
    "2001101": "The Fortnox company has no licence for this module (e.g. invoicing or salary); "
               "the company must add it in Fortnox.",
    "2001103": "The Fortnox company has no API licence; the company must add it in Fortnox.",
    "2001304": "Fortnox has no such account in the company's chart of accounts (or the "
               "company's preferred accounts are not set up in Fortnox).",
    "2001392": "Fortnox got an empty or malformed request body.",
    "2001399": "Fortnox refused a field name we sent; this is our error, the raw answer is "
               "kept in the sync log.",
    "2002115": "Fortnox could not read our JSON; this is our error, the raw answer is kept.",
    "2004167": "The company uses EasyVat: a row with a custom VAT rate needs an account; set "
               "the account mapping for the line's category.",
    "2004052": "The VAT code does not fit the account's VAT settings in Fortnox (EasyVat); "
               "check the VAT and account mapping for the line's category.",
    "2001265": "The VAT code is not valid in Fortnox; check the VAT mapping.",
    "2002462": "The VAT code has the wrong format for Fortnox; check the VAT mapping.",
}
AUTH_CODES = {"2000310", "2000311"}
NOT_FOUND_CODES = {"2000729"}


def _lower_keys(value):
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def error_details(body):
    """(code, Fortnox's own message) from any of Fortnox's error shapes, keys in any case."""
    data = _lower_keys(body)
    info = _lower_keys(data.get("errorinformation"))
    if info:
        code = info.get("code")
        return (str(code) if code not in (None, "") else None), str(info.get("message") or "")
    if "error" in data and "error_description" in data:  # the OAuth endpoints
        return str(data["error"]), str(data.get("error_description") or "")
    return None, str(data.get("message") or "")


def fortnox_time(moment):
    """A datetime as Fortnox's `lastmodified` wants it: Stockholm time to the minute."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def parse_fortnox_datetime(value):
    """Fortnox's "YYYY-MM-DD HH:MM[:SS]" (Stockholm) as an aware datetime, or None."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(str(value)[:19], fmt).replace(tzinfo=STOCKHOLM)
        except ValueError:
            continue
    return None


class FortnoxClient(ProviderClient):
    """`patient=True` for the importer (`ProviderClient.request`)."""

    def __init__(self, provider, *, session=None, patient=False):
        super().__init__(provider, session=session, patient=patient)
        self.base_url = settings.FORTNOX_BASE_URL

    def default_headers(self):
        return {"Accept": "application/json", "Content-Type": "application/json"}

    def parse_error(self, response):
        try:
            body = response.json()
        except ValueError:
            body = {}
        code, theirs = error_details(body)
        ours = ERROR_MESSAGES.get(code or "")
        if response.status_code == 429:
            ours = "Fortnox's rate limit was reached (25 requests per 5 s); retrying later."
        message = ours or "Fortnox refused the request"
        if theirs and theirs not in message:
            message = f"{message} (Fortnox: {theirs})"
        if not ours and not theirs:
            message = f"Fortnox answered {response.status_code} {response.reason or ''}".strip()
        return code, message

    def is_auth_failure(self, response):
        if response.status_code == 401:
            return True
        if response.status_code == 403:
            try:
                code, _ = error_details(response.json())
            except ValueError:
                return False
            return code in AUTH_CODES
        return False


    # -- conveniences ------------------------------------------------------------------------
    def get_json(self, path, params=None):
        return self.request("GET", path, params=params).json()

    def get_or_none(self, path, params=None):
        """The body, or None when Fortnox says the record does not exist."""
        response = self.request("GET", path, params=params, expected=(200, 404, 400))
        if response.status_code == 200:
            return response.json()
        try:
            code, _ = error_details(response.json())
        except ValueError:
            code = None
        if response.status_code == 404 or code in NOT_FOUND_CODES:
            return None
        raise self.classify(response)

    def send(self, method, path, body):
        return self.request(method, path, json=body).json()

    def iterate(self, path, collection, params=None):
        """Every row of a list endpoint, page by page to the last (`MetaInformation`)."""
        for rows in self.pages(path, collection, params):
            yield from rows

    def pages(self, path, collection, params=None):
        """A list endpoint's rows, one list per page, to the last page (`MetaInformation`)."""
        page = 1
        while True:
            query = {**(params or {}), "limit": PAGE_SIZE, "page": page}
            body = self.get_json(path, query)
            yield body.get(collection) or []
            meta = _lower_keys(body.get("MetaInformation"))
            total = int(meta.get("@totalpages") or 1)
            current = int(meta.get("@currentpage") or page)
            if current >= total:
                return
            page = current + 1
