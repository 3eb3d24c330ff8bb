"""How the simulator keeps and reads Fortnox entities: one `SandboxRecord` per entity (its
Fortnox JSON without `@url`, under its Fortnox id), plus the rules every resource shares:
value types, partial updates (`""`/null leave a field alone, "API_BLANK" clears it), allowed
characters, the `lastmodified` filter, substring searches and paging.

Times are Swedish local time (Europe/Stockholm), as Fortnox shows them.
"""

import math
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from sandbox.fortnox import errors
from sandbox.models import SandboxRecord, SandboxSequence

STOCKHOLM = ZoneInfo("Europe/Stockholm")
API_BLANK = "API_BLANK"
DEFAULT_LIMIT, MAX_LIMIT = 100, 500
CENT = Decimal("0.01")

# Fortnox accepts letters (with diacritics), digits, whitespace and common punctuation; it
# refuses control characters and symbols such as emoji (2000359). Characters outside the Basic
# Multilingual Plane stand in for "symbols" here.
_DISALLOWED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\U00010000-\U0010ffff]")


# -- time ------------------------------------------------------------------------------------

def now_local():
    return timezone.now().astimezone(STOCKHOLM)


def today():
    return now_local().date()


def format_timestamp(moment):
    """`YYYY-MM-DD HH:MM:SS` in Swedish time, Fortnox's date-time format."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S")


_TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                      "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_lastmodified(text):
    """The moment a `lastmodified=` value names, read as Swedish time; else 2000588."""
    for pattern in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=STOCKHOLM)
        except ValueError:
            continue
    errors.invalid_parameter("lastmodified")


def parse_date(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.bad_request(errors.EMPTY_OR_WRONG_BODY, f"Ogiltigt datum ({field}: {value}).")


def add_days(day, days):
    return (parse_date(day, "date") + timedelta(days=days)).isoformat()


# -- numbers ---------------------------------------------------------------------------------

def decimal(value, field="", default=Decimal("0")):
    """A Decimal from a JSON number or numeric string ("2", "1,5"); empty gives `default`."""
    if value is None or value == "":
        return default
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.bad_request(errors.NOT_NUMERIC, f"Värdet måste vara numeriskt ({field}: {value})")
    return number


def money(value):
    """A JSON number with at most two decimals."""
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def plain(value):
    """A Decimal as Fortnox writes it in its string-typed number fields: "2", "1.5"."""
    text = format(Decimal(value).normalize(), "f")
    return text


# -- values ------------------------------------------------------------------------------------

def _coerce_scalar(kind, value, field):
    if value is None or value == API_BLANK:
        return value
    if kind == "s":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errors.bad_request(errors.EMPTY_OR_WRONG_BODY,
                               f"Ingen eller felaktig typ av data. ({field})")
        return value if isinstance(value, str) else plain(Decimal(str(value)))
    if kind == "d":
        if value == "":
            return None
        return parse_date(value, field).isoformat()
    if kind == "b":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        errors.bad_request(errors.NOT_BOOLEAN, f"Värdet måste vara en boolean ({field}: {value})")
    if value == "":
        return value
    if isinstance(value, bool):
        errors.bad_request(errors.NOT_NUMERIC, f"Värdet måste vara numeriskt ({field}: {value})")
    number = decimal(value, field)
    if kind == "i":
        if number != number.to_integral_value():
            errors.bad_request(errors.NOT_NUMERIC,
                               f"Värdet måste vara numeriskt ({field}: {value})")
        return int(number)
    return float(number)


def coerce(shape, data, path=""):
    """`data` (already checked for unknown names) with every value in its declared type, or
    Fortnox's type error (2000108 numeric, 2000134 boolean). Strings may arrive as numbers and
    are kept as their text, so "2" and 2 are both a quantity."""
    if not isinstance(data, dict):
        errors.bad_request(errors.EMPTY_OR_WRONG_BODY,
                           f"Ingen eller felaktig typ av data. ({path or 'body'})")
    cleaned = {}
    for name, value in data.items():
        here = f"{path}.{name}" if path else name
        if name in shape.nested:
            kind, inner = shape.nested[name]
            if value is None or value == API_BLANK:
                cleaned[name] = value
            elif kind == "a":
                if not isinstance(value, list):
                    errors.bad_request(errors.EMPTY_OR_WRONG_BODY,
                                       f"Ingen eller felaktig typ av data. ({here})")
                cleaned[name] = [coerce(inner, item, f"{here}[{index}]")
                                 for index, item in enumerate(value)]
            else:
                cleaned[name] = coerce(inner, value, here)
        elif name in shape.types:
            cleaned[name] = _coerce_scalar(shape.types[name], value, here)
        else:
            errors.bad_request(errors.INVALID_FIELD_NAME, f"Felaktigt fältnamn ({here})")
    check_characters(cleaned)
    return cleaned


def check_characters(value, field=""):
    """2000359 for a string with characters Fortnox does not store."""
    if isinstance(value, dict):
        for name, inner in value.items():
            check_characters(inner, name)
    elif isinstance(value, list):
        for inner in value:
            check_characters(inner, field)
    elif isinstance(value, str) and _DISALLOWED.search(value):
        errors.bad_request(errors.DISALLOWED_CHARACTERS,
                           f"Värdet innehåller ej tillåtna tecken. ({field})")


def merge(shape, current, incoming):
    """`current` updated with `incoming` as a Fortnox PUT does: null and "" leave a field
    unchanged, "API_BLANK" empties it, nested objects merge field by field. Lists replace
    (document rows have their own rules, see documents.py)."""
    merged = dict(current)
    empty = shape.empty()
    for name, value in incoming.items():
        if value is None or value == "":
            continue
        if value == API_BLANK:
            merged[name] = empty.get(name)
        elif name in shape.nested and shape.nested[name][0] == "o":
            merged[name] = merge(shape.nested[name][1], current.get(name) or {}, value)
        else:
            merged[name] = value
    return merged


def fill(shape, data):
    """`data` over the shape's empty values; a create starts from this."""
    return merge(shape, shape.empty(), data)


# -- records -----------------------------------------------------------------------------------

def records(tenant, kind):
    return SandboxRecord.objects.of(tenant, kind)


def find(tenant, kind, remote_id):
    return records(tenant, kind).filter(remote_id=str(remote_id)).first()


def get(tenant, kind, remote_id, what, *, lock=False):
    """The record, or Fortnox's 404. With `lock`, inside a transaction, the row is locked."""
    queryset = records(tenant, kind)
    if lock:
        queryset = queryset.select_for_update()
    record = queryset.filter(remote_id=str(remote_id)).first()
    if record is None:
        errors.not_found(what)
    return record


def exists(tenant, kind, remote_id):
    return records(tenant, kind).filter(remote_id=str(remote_id)).exists()


def create(tenant, kind, remote_id, data):
    return SandboxRecord.objects.create(tenant=tenant, kind=kind, remote_id=str(remote_id),
                                        data=data)


def next_free_number(tenant, kind, *, start=1):
    """The next number of the tenant's series for `kind` that no record uses yet (a client may
    have chosen numbers of its own, as it may for customers, articles and projects)."""
    with transaction.atomic():
        while True:
            number = SandboxSequence.next_value(tenant, kind, start=start)
            if not exists(tenant, kind, number):
                return str(number)


def next_number(tenant, series, *, start=1):
    return str(SandboxSequence.next_value(tenant, series, start=start))


# -- lists -------------------------------------------------------------------------------------

def _positive_int(request, name, default):
    text = request.GET.get(name)
    if text in (None, ""):
        return default
    if not text.isdigit() or int(text) < (0 if name == "offset" else 1):
        errors.invalid_parameter(name)
    return int(text)


def paginate(request, items):
    """(the page's items, MetaInformation) for `?limit=` (default 100, at most 500),
    `?page=` (1-based) and `?offset=` (rows skipped before paging)."""
    limit = _positive_int(request, "limit", DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        errors.invalid_parameter("limit")
    page = _positive_int(request, "page", 1)
    offset = _positive_int(request, "offset", 0)
    items = items[offset:]
    total = len(items)
    start = (page - 1) * limit
    meta = {"@TotalResources": total, "@TotalPages": max(1, math.ceil(total / limit)),
            "@CurrentPage": page}
    return items[start:start + limit], meta


def contains(haystack, needle):
    """Fortnox's text search: case-insensitive substring (ILIKE '%needle%')."""
    return needle.casefold() in str(haystack if haystack is not None else "").casefold()
