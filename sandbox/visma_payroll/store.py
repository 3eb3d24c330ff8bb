"""The Spiris Lön simulator's state, kept in the sandbox's generic `SandboxRecord` table under
the Visma company (the identity server's tenant) and this simulator's own `provider` key:

    kind "employee"   EmployeeResponse fields, plus `_MonthlySalary` / `_HourlyRate` (what a
                      payroll administrator sets in Spiris Lön, used by the wage run)
    kind "shortcut"   the shortcut's response fields, plus `_Type` (hoursworked, ...) and
                      `_ClientId` (only the client that created a shortcut may change it)
    kind "paycode"    PayCodeResponse fields, plus `_Group` (Compensation, Deduction, ...)
    kind "wagerun"    WageRunResponse fields
    kind "payslip"    PayslipDetailedResponse fields, plus `_WageRunId`

Lists answer `{"Meta": {...}, "Data": [...]}` with `$top`/`$skip` and a small `$filter`
(`Field eq 'value'` joined by `and`), the OData options the spec names.
"""

import math
import re
import uuid
from datetime import date, datetime

from django.utils import timezone

from sandbox.framework.errors import ErrorResponse
from sandbox.models import SandboxRecord
from sandbox.visma_eaccounting.errors import visma_error

PROVIDER = "visma_payroll"
DEFAULT_PAGE_SIZE = 50  # ASSUMED: the spec does not say
MAX_PAGE_SIZE = 500
_FILTER_TERM = re.compile(r"^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false|-?\d+(?:\.\d+)?))\s*$",
                          re.IGNORECASE)


def now_utc():
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def api_date(value):
    """A date as the API answers it (`format: date-time`, midnight)."""
    return f"{value.isoformat()}T00:00:00" if value else None


def parse_date(value, field):
    """`yyyy-MM-dd` (or a date-time whose date part is taken), else a 400 naming the field."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ErrorResponse(validation_error(field, f"'{value}' is not a date (yyyy-MM-dd)."))


def validation_error(field, message, *, code=2000):
    return visma_error(400, code, f"DataModelValidationError - {message}",
                       errors=[{"Field": field, "ErrorCode": str(code), "Message": message,
                                "Key": field}])


def not_found(what):
    return visma_error(404, 3000, f"ResourceNotFound - {what} was not found.")


def public(data):
    """The record's API fields (our bookkeeping fields start with `_`)."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def records(tenant, kind):
    return SandboxRecord.objects.filter(provider=PROVIDER, tenant=tenant, kind=kind)


def get(tenant, kind, remote_id):
    return records(tenant, kind).filter(remote_id=str(remote_id)).first()


def get_or_404(tenant, kind, remote_id, what):
    record = get(tenant, kind, remote_id)
    if record is None:
        raise ErrorResponse(not_found(what))
    return record


def create(tenant, kind, data, remote_id=None):
    remote_id = str(remote_id or uuid.uuid4())
    return SandboxRecord.objects.create(provider=PROVIDER, tenant=tenant, kind=kind,
                                        remote_id=remote_id, data={"Id": remote_id, **data})


def save(record):
    record.save(update_fields=["data", "modified_at"])
    return record


# -- lists ----------------------------------------------------------------------------------------

def _filters(expression):
    terms = []
    for part in re.split(r"\s+and\s+", expression or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        match = _FILTER_TERM.match(part)
        if match is None:
            raise ErrorResponse(visma_error(400, 6000, f"QueryParameterError - $filter '{part}' "
                                                       "is not supported."))
        field, text, literal = match.groups()
        if text is not None:
            value = text.replace("''", "'")
        elif literal.lower() in ("true", "false"):
            value = literal.lower() == "true"
        else:
            value = float(literal) if "." in literal else int(literal)
        terms.append((field, value))
    return terms


def _whole(request, name, default):
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise ErrorResponse(visma_error(400, 6000, f"QueryParameterError - {name} must be a "
                                                   "non-negative whole number."))
    return int(raw)


def page(request, rows):
    """The paginated envelope of `rows` (API dicts) after `$filter`, `$skip` and `$top`."""
    for field, value in _filters(request.GET.get("$filter")):
        rows = [row for row in rows if _matches(row.get(field), value)]
    total = len(rows)
    skip = _whole(request, "$skip", 0)
    top = min(_whole(request, "$top", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    return {"Meta": {"CurrentPage": skip // top + 1, "PageSize": top,
                     "TotalNumberOfPages": max(1, math.ceil(total / top)),
                     "TotalNumberOfResults": total, "ServerTimeUtc": now_utc()},
            "Data": rows[skip:skip + top]}


def _matches(actual, wanted):
    if isinstance(wanted, str) and isinstance(actual, str):
        return actual.lower() == wanted.lower()
    return actual == wanted


def as_datetime(value):
    return datetime.fromisoformat(value) if value else None
