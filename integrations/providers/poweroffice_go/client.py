"""HTTP to PowerOffice Go v2.

Every call carries the bearer token AND our subscription key (`Ocp-Apim-Subscription-Key`),
the token call included. Errors come in two shapes: ProblemDetails from the API (keys in
PascalCase in the spec, camelCase in practice, so read case-insensitively) and
`{statusCode, message}` from the API gateway (unknown route, missing subscription key, 429).
An empty list is 204 with no body.
"""

import json

from django.conf import settings

from integrations.http import ProviderClient

PAGE_SIZE = 1000


def api_base():
    return f"{settings.POWEROFFICE_GO_BASE_URL}/v2"


def token_url():
    return f"{settings.POWEROFFICE_GO_BASE_URL}/OAuth/Token"


def subscription_headers():
    return {"Ocp-Apim-Subscription-Key": settings.POWEROFFICE_GO_SUBSCRIPTION_KEY}


def _ci(body, *names):
    """The first of `names` in a dict, compared case-insensitively."""
    if not isinstance(body, dict):
        return None
    lowered = {str(k).lower(): v for k, v in body.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, ""):
            return value
    return None


def error_message(response):
    """(code, message) from a ProblemDetails or gateway body, for people and the log."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or response.reason or "")[:500]
    title = _ci(body, "title")
    detail = _ci(body, "detail")
    if title or detail:
        errors = _ci(body, "errors")
        extra = ""
        if isinstance(errors, dict):
            extra = " " + "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                    for k, v in errors.items())
        text = f"{title}: {detail}" if title and detail and detail != title else (detail or title)
        return title, (text + extra).strip()
    message = _ci(body, "message", "error_description", "error")
    code = _ci(body, "statusCode", "error")
    return (str(code) if code is not None else None), str(message or body)[:500]


class PowerOfficeGoClient(ProviderClient):
    @property
    def base_url(self):
        return api_base()

    def default_headers(self):
        return {"Accept": "application/json", **subscription_headers()}

    def parse_error(self, response):
        return error_message(response)

    # -- helpers --------------------------------------------------------------------------------
    def get_json(self, path, params=None):
        response = self.request("GET", path, params=params)
        return None if response.status_code == 204 or not response.content else response.json()

    def list(self, path, params=None, *, page_size=PAGE_SIZE, max_pages=100):
        """Every row of a list endpoint, page by page; 204 is an empty list. Stops at a short
        page (the X-Pagination header is not documented as always present)."""
        rows = []
        for page in range(1, max_pages + 1):
            query = {**(params or {}), "PageNumber": page, "PageSize": page_size}
            data = self.get_json(path, query)
            batch = data if isinstance(data, list) else []
            rows.extend(batch)
            if len(batch) < page_size:
                break
        return rows

    def post_json(self, path, body, *, expected=(200, 201, 202)):
        return self.request("POST", path, json=body, expected=expected)

    def patch(self, path, operations):
        """RFC 6902 JSON Patch, as PowerOffice Go expects for updates."""
        return self.request("PATCH", path, data=json.dumps(operations),
                            headers={"Content-Type": "application/json-patch+json"})

