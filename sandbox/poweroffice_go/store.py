"""What every PowerOffice Go endpoint shares: its objects kept as `SandboxRecord`s in Go's own
JSON, its number series, its timestamps, its query parameters and its list answers.

Objects are stored as the DTO the API returns (PascalCase), plus bookkeeping under keys that
start with "_" (who created it, send state), which never leave the sandbox. Timestamps are
written with microseconds and the Oslo offset, and changed-since filters compare them exactly
and exclusively, so a client that sends back the largest timestamp it saw gets each change
once. List answers page (`PageNumber`, `PageSize` up to 20000), pick fields (`Fields=`), sort
(`OrderBy=`) and answer an empty page with 204 and no body, as Go does.
"""

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.http import JsonResponse
from django.utils import timezone

from sandbox.framework.errors import ErrorResponse
from sandbox.models import SandboxRecord, SandboxSequence, SandboxTenant
from sandbox.poweroffice_go import errors

SLUG = "poweroffice_go"

# Record kinds.
CUSTOMER, PRODUCT, VAT_CODE, ACCOUNT = "customer", "product", "vat_code", "account"
PAYMENT_TERM, PROJECT, DEPARTMENT = "payment_term", "project", "department"
SALES_ORDER, INVOICE, LEDGER_ENTRY = "sales_order", "outgoing_invoice", "ledger_entry"
ONBOARDING = "onboarding"
ADDRESS, SUBLEDGER_ACCOUNT, INVOICE_LINE = "address", "subledger_account", "invoice_line"

# First id of each kind's series: Go's int64 ids, distinct per kind so a mixed-up id fails.
ID_STARTS = {CUSTOMER: 4_100_001, PRODUCT: 7_200_001, VAT_CODE: 101, ACCOUNT: 9_300_001,
             PAYMENT_TERM: 501, PROJECT: 6_400_001, DEPARTMENT: 6_500_001,
             LEDGER_ENTRY: 8_600_001, ADDRESS: 5_100_001, SUBLEDGER_ACCOUNT: 5_900_001,
             INVOICE_LINE: 3_000_001}
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 20000, 5000
CENT = Decimal("0.01")


def site_path(request):
    """The simulator's root in this request's path ("/sandbox/poweroffice_go"), which stands
    for https://goapi.poweroffice.net/Demo."""
    marker = f"/{SLUG}/"
    return request.path[:request.path.index(marker) + len(marker) - 1]


# -- errors ---------------------------------------------------------------------------------------

def problem(request, status, title, detail=None, *, field_errors=None):
    extra = {"errors": field_errors} if field_errors else None
    return errors.problem(status, title, detail, instance=request.path, extra=extra)


def fail(request, status, title, detail=None, *, field_errors=None):
    """Stop the view with a ProblemDetails answer."""
    raise ErrorResponse(problem(request, status, title, detail, field_errors=field_errors))


def invalid(request, field, message):
    """A 400 for one field, as ASP.NET's validation answer, with the message as detail too."""
    fail(request, 400, "One or more validation errors occurred.", message,
         field_errors={field: [message]})


def missing(request, detail):
    """A 400 for a body that refers to something the client does not have (a customer,
    product, account...), in the shape Go's spec gives for it."""
    fail(request, 400, "Object(s) not found", detail)


def not_found(request, detail):
    """The API's own 404 for a missing object (not the gateway's "Resource not found")."""
    fail(request, 404, "Object(s) not found", detail)


# -- time -----------------------------------------------------------------------------------------

def stamp(moment=None):
    """A DateTimeOffset as Go writes it: local (Oslo) time with its offset, to the microsecond."""
    return timezone.localtime(moment or timezone.now()).isoformat(timespec="microseconds")


def today():
    return timezone.localdate()


_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$")


def parse_stamp(text):
    """A datetime from an ISO 8601 timestamp, or None. Without an offset it is Oslo time. A
    space where the offset's "+" was (an unencoded "+" in a query string) does not parse, as
    it does not in .NET."""
    match = _DATE_TIME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime.fromisoformat(
            f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
            f".{(fraction or '0')[:6].ljust(6, '0')}")
    except ValueError:
        return None
    if offset is None:
        return timezone.make_aware(moment)
    if offset == "Z":
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    return datetime.fromisoformat(f"{moment.isoformat()}{offset}")


def parse_day(text):
    try:
        return date.fromisoformat(text[:10]) if isinstance(text, str) else None
    except ValueError:
        return None


def money(value):
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def as_number(amount):
    return float(amount)


# -- records --------------------------------------------------------------------------------------

def records(tenant, kind):
    """A company's records of one kind (tenant None: the integration's own, e.g. onboarding
    sessions), oldest first."""
    return SandboxRecord.objects.filter(provider=SLUG, tenant=tenant, kind=kind).order_by("id")


def all_data(tenant, kind):
    # The stored JSON only, no model instances: every customer request reads all customers.
    return list(records(tenant, kind).values_list("data", flat=True))


def field_values(tenant, kind, *names):
    """(pk, value of each named top-level field) per record, oldest first: reads those fields
    only, not whole objects (the uniqueness checks of a create scan every customer)."""
    rows = records(tenant, kind)
    if connections[rows.db].vendor == "postgresql":
        return rows.values_list("pk", *(f"data__{name}" for name in names))
    # SQLite's JSON_EXTRACT gives a string such as "3" back as the number 3: read the objects.
    return [(pk, *(data.get(name) for name in names))
            for pk, data in rows.values_list("pk", "data")]


def data_where(tenant, kind, name, accepts):
    """The data of the records whose field `name` passes `accepts`, oldest first: the field is
    tested on its own, and only the records that pass are read whole."""
    chosen = [pk for pk, value in field_values(tenant, kind, name) if accepts(value)]
    return list(records(tenant, kind).filter(pk__in=chosen).values_list("data", flat=True)) \
        if chosen else []


def find(tenant, kind, remote_id):
    return records(tenant, kind).filter(remote_id=str(remote_id)).first()


def find_by(tenant, kind, **fields):
    """The first record whose data has these values (strings compared case-insensitively, as
    Go's database collation does)."""
    names = list(fields)
    for pk, *values in field_values(tenant, kind, *names):
        if all(same(value, fields[name]) for name, value in zip(names, values, strict=True)):
            return records(tenant, kind).get(pk=pk)
    return None


def same(stored, wanted):
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.casefold() == wanted.casefold()
    return stored == wanted


def lock_company(tenant):
    """Serialise a company's writes (call inside transaction.atomic), so that a uniqueness
    check and the insert it guards cannot interleave with another request's."""
    list(SandboxTenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk"))


def create(tenant, kind, remote_id, data):
    return SandboxRecord.objects.create(provider=SLUG, tenant=tenant, kind=kind,
                                        remote_id=str(remote_id), data=data)


def next_id(tenant, kind):
    return next_number(tenant, f"id:{kind}", ID_STARTS[kind])


def next_number(tenant, series, start):
    """The next number of a series: one UPDATE ... RETURNING on the series' row (which takes
    its lock, so no two requests get the same number); the first of a series is created by
    `SandboxSequence.next_value`. A customer create draws three, on every request."""
    table = SandboxSequence._meta.db_table
    with connections[SandboxSequence.objects.db].cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_value = last_value + 1 "  # noqa: S608
                       f"WHERE tenant_id = %s AND name = %s RETURNING last_value",
                       [tenant.pk, series])
        row = cursor.fetchone()
    return row[0] if row else SandboxSequence.next_value(tenant, series, start=start)


def new_guid():
    return str(uuid.uuid4())


def post_values(spec, data):
    """Every property of a Post DTO, None where the body leaves it out."""
    return {name: data.get(name) for name in spec}


def public(data, request=None):
    """The DTO as the API shows it: no "_" bookkeeping, IsCreatedByCurrentIntegration for the
    integration asking."""
    shown = {key: value for key, value in data.items() if not key.startswith("_")}
    if "_CreatedBy" in data and request is not None and request.sandbox_token is not None:
        shown["IsCreatedByCurrentIntegration"] = (
            data["_CreatedBy"] == request.sandbox_token.client_id)
    return shown


# -- query parameters ------------------------------------------------------------------------------

def params(request):
    """Query parameters by lower-cased name: ASP.NET binds them case-insensitively."""
    return {name.lower(): value for name, value in request.GET.items()}


def text_list(value):
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def number_filter(request, name, value):
    """A test for Go's number filters: "10000-10999, 12000, 13000-" (ranges inclusive, open at
    the end when the upper bound is missing). None when the filter is not used."""
    if not (value or "").strip():
        return None
    ranges = []
    for item in text_list(value):
        match = re.fullmatch(r"(-?\d+)(?:\s*-\s*(\d*))?", item)
        if not match:
            invalid(request, name, f"The value '{item}' is not a valid number or range.")
        low, high = int(match.group(1)), match.group(2)
        if match.group(2) is None:
            ranges.append((low, low))
        else:
            ranges.append((low, int(high) if high else None))

    def accepts(number):
        return number is not None and any(
            low <= number and (high is None or number <= high) for low, high in ranges)

    return accepts


def bool_param(request, name, value):
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        invalid(request, name, f"The value '{value}' is not valid.")
    return lowered == "true"


def stamp_param(request, name, value):
    if value is None or not value.strip():
        return None
    moment = parse_stamp(value)
    if moment is None:
        invalid(request, name, f"The value '{value}' is not valid.")
    return moment


def day_param(request, name, value):
    if value is None or not value.strip():
        return None
    day = parse_day(value.strip())
    if day is None or not re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
        invalid(request, name, f"The value '{value}' is not valid.")
    return day


def changed_after(rows, moment, field="LastChangedDateTimeOffset"):
    """Rows whose `field` is strictly after `moment` (Go's "GreaterThan" filters)."""
    if moment is None:
        return rows
    return [row for row in rows if row.get(field) and parse_stamp(row[field]) > moment]


def code_filter(rows, values, code_field):
    """Go's department/project code filters: a list of codes, "-1" for "none set"."""
    codes = {code.casefold() for code in text_list(values)}
    if not codes:
        return rows
    return [row for row in rows
            if (row.get(code_field) or "-1").casefold() in codes]


# -- list answers ---------------------------------------------------------------------------------

def _int_param(request, query, name, default, low, high):
    raw = query.get(name.lower())
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        invalid(request, name, f"The value '{raw}' is not valid.")
    if not low <= value <= high:
        invalid(request, name, f"{name} must be between {low} and {high}.")
    return value


def listing(request, rows):
    """The list answer for `rows` (DTOs, in Go's default order): OrderBy, paging, Fields; 204
    with no body when the page is empty."""
    query = params(request)
    if "$top" in query or "$skip" in query:
        invalid(request, "$top" if "$top" in query else "$skip",
                "OData query options are not supported. Use PageNumber and PageSize.")
    page = _int_param(request, query, "PageNumber", 1, 1, 2**31 - 1)
    size = _int_param(request, query, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    rows = _ordered(request, rows, query.get("orderby", ""))
    chosen = rows[(page - 1) * size: page * size]
    if not chosen:
        return errors.empty_list()
    fields = text_list(query.get("fields", ""))
    if fields:
        resolved = {}
        chosen = [_pick(request, row, fields, resolved) for row in chosen]
    return JsonResponse(chosen, safe=False, json_dumps_params={"ensure_ascii": False})


def _field_name(request, row, name, parameter):
    for key in row:
        if key.casefold() == name.casefold():
            return key
    invalid(request, parameter, f"The field '{name}' does not exist on this resource.")
    return None


def _pick(request, row, fields, resolved=None):
    """`row` with only `fields` (named case-insensitively). `resolved`: a dict the caller keeps
    across the rows of one answer, so rows with the same keys resolve the names once."""
    keys = tuple(row)
    names = resolved.get(keys) if resolved is not None else None
    if names is None:
        names = [_field_name(request, row, name, "Fields") for name in fields]
        if resolved is not None:
            resolved[keys] = names
    return {key: row[key] for key in names}


def _ordered(request, rows, order_by):
    if not rows or not order_by.strip():
        return rows
    for clause in reversed(text_list(order_by)):
        name, _, direction = clause.partition(" ")
        key = _field_name(request, rows[0], name, "OrderBy")
        descending = direction.strip().lower() == "desc"
        present = [row for row in rows if row.get(key) is not None]
        missing = [row for row in rows if row.get(key) is None]
        present.sort(key=lambda row, key=key: _sort_value(row[key]), reverse=descending)
        rows = missing + present if not descending else present + missing
    return rows


def _sort_value(value):
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, bool | int | float):
        return (0, value)
    return (2, str(value))


def one(request, row):
    return JsonResponse(row, json_dumps_params={"ensure_ascii": False})


def created(request, row, status=201, headers=None):
    return JsonResponse(row, status=status, headers=headers,
                        json_dumps_params={"ensure_ascii": False})


def due_in(days, start):
    return (start + timedelta(days=days)).isoformat()


def require_privilege(request, privilege):
    """403 when the client company has not granted the integration `privilege` (Go lists it
    under InvalidPrivileges in ClientIntegrationInformation)."""
    if privilege in request.sandbox_tenant.data.get("InvalidPrivileges", []):
        fail(request, 403, "Forbidden", f"The integration does not have the privilege "
                                        f"'{privilege}' on this client.")
