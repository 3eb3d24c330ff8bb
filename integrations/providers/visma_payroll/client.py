"""Spiris Lön's HTTP side: base URL, Visma's error envelope turned into messages a person can act
on, and paging (`$top`/`$skip` over `{"Meta", "Data"}`).

Every non-2xx answer is `{"ErrorCode", "DeveloperErrorMessage", "ErrorId", "Errors": [{"Field",
"ErrorCode", "Message", "Key"}]}` [visma-payroll.md 1.1]. We switch on the numeric code, keep
Visma's own text and every field error next to ours, and name the ErrorId (support asks for
it). The raw body is kept by the engine, so an unknown code is never reworded away.
"""

from django.conf import settings

from integrations.http import ProviderClient

PAGE_SIZE = 500

# ErrorCode -> what it means for the person reading the sync monitor [visma-eaccounting.md 4;
# the payroll API documents no codes of its own].
ERROR_MESSAGES = {
    2000: "Spiris Lön refused a value we sent.",
    3000: "Spiris Lön could not find the record it was asked about (deleted in Spiris Lön?).",
    4000: "Spiris Lön already has this record (same employee number or personal number).",
    4002: "Spiris Lön does not allow this change.",
    4003: "The Spiris Lön company has not finished its startup guide; finish it in Spiris Lön.",
    4004: "The Spiris Lön company is not active.",
    4005: "Visma did not accept our login; connect Visma payroll again under Integrationer.",
    4006: "The connection lacks the payroll permission (vls:api); connect Visma payroll again "
          "under Integrationer and approve payroll access.",
    4007: "The user who connected Visma payroll lacks the permission for this in Spiris Lön, or "
          "the shortcut was made by another integration.",
    4009: "The company's Visma plan does not include this.",
    4010: "Visma's rate limit was reached (600 requests per minute per endpoint); retrying "
          "later.",
    4011: "The user who connected Visma payroll has no access to Spiris Lön.",
    4034: "A sandbox client cannot reach a production company (or the other way round).",
    5000: "Spiris Lön had an internal error; the request will be retried.",
    5001: "Spiris Lön could not reach one of its own services; the request will be retried.",
    6000: "Spiris Lön did not accept a query we sent; this is our error.",
    6001: "Spiris Lön did not accept a date we sent; this is our error.",
}
READ_BY_PAYROLL = 4002


def envelope(body):
    """(code, Visma's message, error id, [field errors]) of an error body, keys in any case."""
    if not isinstance(body, dict):
        return None, "", "", []
    data = {str(k).lower(): v for k, v in body.items()}
    code = data.get("errorcode")
    fields = []
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            item = {str(k).lower(): v for k, v in item.items()}
            text = str(item.get("message") or "")
            field = str(item.get("field") or "")
            fields.append(f"{field}: {text}" if field else text)
    return (str(code) if code not in (None, "") else None,
            str(data.get("developererrormessage") or ""), str(data.get("errorid") or ""), fields)


def message_for(status, body):
    code, theirs, error_id, fields = envelope(body)
    ours = ERROR_MESSAGES.get(int(code)) if code and code.isdigit() else None
    if status == 429:
        ours = ERROR_MESSAGES[4010]
    message = ours or f"Spiris Lön refused the request ({status})"
    details = [d for d in [theirs, *fields] if d]
    if details:
        message = f"{message} (Spiris Lön: {'; '.join(details)})"
    if error_id:
        message = f"{message} [ErrorId {error_id}]"
    return code, message


class VismaPayrollClient(ProviderClient):
    def __init__(self, provider, *, session=None):
        super().__init__(provider, session=session)
        self.base_url = settings.VISMA_PAYROLL_BASE_URL

    def default_headers(self):
        return {"Accept": "application/json", "Content-Type": "application/json"}

    def parse_error(self, response):
        try:
            body = response.json()
        except ValueError:
            body = {}
        return message_for(response.status_code, body)

    def get_json(self, path, params=None):
        return self.request("GET", path, params=params).json()

    def send(self, method, path, body):
        return self.request(method, path, json=body).json()

    def iterate(self, path, params=None):
        """Every row of a paged list (`{"Meta", "Data"}`), page by page to the last."""
        skip = 0
        while True:
            body = self.get_json(path, {**(params or {}), "$top": PAGE_SIZE, "$skip": skip})
            rows = body.get("Data") or []
            yield from rows
            meta = body.get("Meta") or {}
            skip += len(rows)
            if not rows or skip >= int(meta.get("TotalNumberOfResults") or 0):
                return
