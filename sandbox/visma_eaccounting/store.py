"""How the simulator keeps and lists Visma eAccounting entities: one `SandboxRecord` per entity
(its Visma JSON under its `Id`, a GUID), UTC timestamps in Visma's format, and the list
conventions every endpoint shares [visma-eaccounting.md 5]: `$page` / `$pagesize` (default
50, at most 1000), `$filter` (odata.py), `$orderby`, and the answer
`{"Meta": {CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults, ServerTimeUtc},
"Data": [...]}` with a `Link` header naming the next and last pages.
"""

import math
import uuid
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from sandbox.models import SandboxRecord, SandboxSequence
from sandbox.visma_eaccounting import errors, odata
from sandbox.visma_eaccounting.identity import REALM

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000
CENT = Decimal("0.01")
START_NUMBERS = {"customer": 1, "article": 1, "customerinvoice": 1001}


# -- time --------------------------------------------------------------------------------------

def now():
    """The server clock, truncated to milliseconds: what `ChangedUtc` and `ServerTimeUtc`
    show, so a watermark read from one compares exactly with the other."""
    moment = timezone.now().astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stamp(moment=None):
    """`2026-12-01T18:10:27.123Z`."""
    moment = (moment or now()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def today():
    return timezone.localdate()


def day(value):
    """A date as Visma writes date-only fields: `2026-12-01T00:00:00`."""
    return f"{value.isoformat()}T00:00:00" if value else None


def parse_day(value, field):
    """The date of a `YYYY-MM-DD` or ISO date-time body value, else a 400 on `field`."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    errors.invalid((field, f"'{value}' is not a valid date (YYYY-MM-DD)."))


# -- numbers -----------------------------------------------------------------------------------

def money(value):
    """A Decimal rounded to öre, half up (Visma rounds .5 up [visma-eaccounting.md 9])."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value):
    """A JSON number for a Decimal amount."""
    return float(money(value))


# -- records -----------------------------------------------------------------------------------

def records(tenant, kind):
    return SandboxRecord.objects.of(tenant, kind)


def find(tenant, kind, remote_id):
    return records(tenant, kind).filter(remote_id=str(remote_id)).first()


def get(tenant, kind, remote_id, what, *, lock=False):
    """The record, or Visma's 404 (also for an id that is not a GUID)."""
    queryset = records(tenant, kind)
    if lock:
        queryset = queryset.select_for_update()
    record = queryset.filter(remote_id=str(remote_id).lower()).first()
    if record is None:
        errors.not_found(what)
    return record


def create(tenant, kind, data, remote_id=None, *, with_id=True):
    """A new record; its `Id` is a new GUID unless given (`with_id=False` for the entities
    the spec gives no Id, such as accounts)."""
    remote_id = str(remote_id or uuid.uuid4())
    data = {"Id": remote_id, **data} if with_id else dict(data)
    return SandboxRecord.objects.create(provider=REALM, tenant=tenant, kind=kind,
                                        remote_id=remote_id, data=data)


def save(record, data):
    record.data = data
    record.save(update_fields=["data", "modified_at"])
    return record


def next_number(tenant, series, *, taken=None):
    """The next number of the company's `series`, skipping those `taken(number)` says a
    client already chose (customer and article numbers may be chosen)."""
    with transaction.atomic():
        while True:
            value = SandboxSequence.next_value(tenant, series, start=START_NUMBERS.get(series, 1))
            if taken is None or not taken(str(value)):
                return value


def claim_number(tenant, kind, number, field):
    """Reserve `number` for one entity of `kind` in the company: a row under the table's unique
    constraint, so of two requests at once only one gets it; the other answers 4000 Conflict."""
    try:
        with transaction.atomic():
            SandboxRecord.objects.create(provider=REALM, tenant=tenant, kind=f"{kind}#number",
                                         remote_id=str(number))
    except IntegrityError:
        errors.conflict(field, f"The number {number} is already in use.")


def number_taken(tenant, kind, number):
    return records(tenant, f"{kind}#number").filter(remote_id=str(number)).exists()


def release_number(tenant, kind, number):
    records(tenant, f"{kind}#number").filter(remote_id=str(number)).delete()


def next_number_preview(tenant, series):
    """What `next_number` would hand out next (company settings' Next... fields)."""
    last = (SandboxSequence.objects.filter(tenant=tenant, name=series)
            .values_list("last_value", flat=True).first())
    return (last + 1) if last is not None else START_NUMBERS.get(series, 1)


def clean_output(value):
    """Leave out what has no value: Swagger 2.0 cannot say "nullable", and a client reading
    `.get()` handles a missing field and Visma's null alike."""
    if isinstance(value, dict):
        return {key: clean_output(inner) for key, inner in value.items() if inner is not None}
    if isinstance(value, list):
        return [clean_output(inner) for inner in value]
    return value


# -- lists -------------------------------------------------------------------------------------

def _int_param(request, name, default):
    text = request.GET.get(name)
    if text in (None, ""):
        return default
    if not text.isdigit() or int(text) < 1:
        errors.query_error(f"{name} must be a whole number of at least 1, not '{text}'.")
    return int(text)


def _order(items, request, sortable):
    text = request.GET.get("$orderby", "").strip()
    if not text:
        return items
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in sortable or (
                len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            errors.query_error(f"Cannot order by '{part.strip()}'.")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    for field, descending in reversed(keys):
        items = sorted(items, key=lambda item, f=field: odata.sort_key(item.get(f)),
                       reverse=descending)
    return items


def page(request, items, *, filterable=(), sortable=()):
    """The JSON response for a list request over `items` (dicts in Visma's JSON, already in
    the default order). `filterable` names the properties `$filter` may use; `sortable`
    those `$orderby` may."""
    server_time = stamp()
    page_number = _int_param(request, "$page", 1)
    page_size = _int_param(request, "$pagesize", DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        errors.query_error(f"$pagesize must not be more than {MAX_PAGE_SIZE}.")
    expression = request.GET.get("$filter", "").strip()
    if expression:
        predicate = odata.parse(expression, filterable)
        items = [item for item in items if predicate(item)]
    items = _order(items, request, sortable)
    total = len(items)
    pages = math.ceil(total / page_size)
    start = (page_number - 1) * page_size
    body = {"Meta": {"CurrentPage": page_number, "PageSize": page_size,
                     "TotalNumberOfPages": pages, "TotalNumberOfResults": total,
                     "ServerTimeUtc": server_time},
            "Data": [clean_output(item) for item in items[start:start + page_size]]}
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    links = _links(request, page_number, page_size, pages)
    if links:
        response["Link"] = links
    return response


def _links(request, page_number, page_size, pages):
    def url(number):
        params = {key: value for key, value in request.GET.items()
                  if key not in ("$page", "$pagesize")}
        params.update({"$page": number, "$pagesize": page_size})
        return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")

    links = []
    if page_number < pages:
        links.append(f'<{url(page_number + 1)}>; rel="next"')
    if page_number > 1 and pages:
        links.append(f'<{url(min(page_number - 1, pages))}>; rel="prev"')
    if pages:
        links.append(f'<{url(pages)}>; rel="last"')
    return ", ".join(links)


def one(data, status=200):
    return JsonResponse(clean_output(data), status=status,
                        json_dumps_params={"ensure_ascii": False})
