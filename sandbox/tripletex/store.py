"""Tripletex objects in the sandbox's generic tables: one `SandboxRecord` per object, `kind` the
spec's schema name ("Customer", "Order"...), `remote_id` its id, `data` the object as Tripletex
stores it. References to other objects are kept as `{"id": n}` (lists of them as lists), and
keys starting with "_" are the simulator's own notes, never shown.

Ids are unique across companies (a kind's base plus the row's key), except the reference data
every company gets with the same ids (VAT types, accounts, payment types, NOK = 1); `version`
starts at 0 and moves on every change (Tripletex's optimistic locking). Numbers people read
(customer, order, invoice, voucher numbers) are per company, from `SandboxSequence`. Money is
kept as floats rounded to øre, as the API shows it.
"""

import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from sandbox.models import SandboxRecord, SandboxSequence
from sandbox.tripletex import errors

SLUG = "tripletex"
OSLO = ZoneInfo("Europe/Oslo")

# Where each kind lives under /v2 (for `url`), and where its ids start.
PATHS = {
    "Customer": "customer", "Product": "product", "Order": "order",
    "OrderLine": "order/orderline", "Invoice": "invoice", "VatType": "ledger/vatType",
    "Account": "ledger/account", "PaymentType": "invoice/paymentType", "Currency": "currency",
    "Employee": "employee", "Company": "company", "Address": "address",
    "DeliveryAddress": "deliveryAddress", "Posting": "ledger/posting",
    "Voucher": "ledger/voucher", "CloseGroup": "ledger/closeGroup",
    "Subscription": "event/subscription", "SessionToken": "token/session",
    "ConsumerToken": "token/consumer", "EmployeeToken": "token/employee",
}
# Ids are unique across companies, as Tripletex's are: a kind's base plus the row's key.
ID_BASE = {"Customer": 1_000_000, "Product": 2_000_000, "Order": 3_000_000,
           "OrderLine": 4_000_000, "Invoice": 5_000_000, "Posting": 6_000_000,
           "Voucher": 7_000_000, "Address": 8_000_000, "DeliveryAddress": 8_500_000,
           "CloseGroup": 9_000_000, "EmployeeToken": 9_500_000, "Subscription": 100}


def today():
    return timezone.now().astimezone(OSLO).date()


def now_oslo():
    return timezone.now().astimezone(OSLO)


def timestamp(moment):
    """Tripletex's DateTime: `YYYY-MM-DDThh:mm:ss` local (Oslo) time."""
    return moment.astimezone(OSLO).replace(tzinfo=None, microsecond=0).isoformat()


def money(value):
    return float(Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def dec(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_date(request, text, field):
    """A `YYYY-MM-DD` date, else 422 naming the field."""
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        errors.invalid(request, (field, f"Ugyldig dato: {text!r} (YYYY-MM-DD)."))


def parse_datetime(request, text, field):
    """`YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ss` (Oslo time unless an offset is given)."""
    try:
        moment = datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        errors.invalid(request, (field, f"Ugyldig tidspunkt: {text!r}."))
    return moment if moment.tzinfo else moment.replace(tzinfo=OSLO)


def next_number(tenant, series, start=1):
    return SandboxSequence.next_value(tenant, series, start=start)


def create(tenant, kind, data, *, object_id=None):
    """Store a new object with version 0 and an id (`object_id`, else a new one); returns the
    record."""
    data = {"id": object_id, "version": 0, **{k: v for k, v in data.items()
                                             if k not in ("id", "version")}}
    record = SandboxRecord.objects.create(
        provider=SLUG, tenant=tenant, kind=kind, data=data,
        remote_id=str(object_id) if object_id is not None else f"new-{uuid.uuid4()}")
    if object_id is None:
        record.data["id"] = ID_BASE.get(kind, 0) + record.pk
        record.remote_id = str(record.data["id"])
        record.save(update_fields=["remote_id", "data"])
    return record


def save(record):
    """Store a change: the version moves on."""
    record.data["version"] = int(record.data.get("version", 0)) + 1
    record.save()
    return record


def find(tenant, kind, object_id):
    if object_id in (None, ""):
        return None
    return SandboxRecord.objects.filter(tenant=tenant, kind=kind,
                                        remote_id=str(object_id)).first()


def get_or_404(request, kind, object_id, what=None):
    record = find(request.sandbox_tenant, kind, object_id)
    if record is None:
        errors.not_found(request, what or kind)
    return record


def locked(tenant, kind, object_id):
    """The record under a row lock (inside a transaction), or None."""
    return (SandboxRecord.objects.select_for_update()
            .filter(tenant=tenant, kind=kind, remote_id=str(object_id)).first())


def records(tenant, kind):
    return list(SandboxRecord.objects.of(tenant, kind).order_by("id"))


def ref(record_or_id):
    """How a reference is stored."""
    if record_or_id is None:
        return None
    object_id = getattr(record_or_id, "remote_id", record_or_id)
    return {"id": int(object_id)}


def ref_id(value):
    return value.get("id") if isinstance(value, dict) else None


def check_version(request, record, sent):
    """Optimistic locking: a `version` sent with a change must be the current one (409 8000)."""
    if sent is None:
        return
    current = int(record.data.get("version", 0))
    if not isinstance(sent, int) or isinstance(sent, bool) or sent != current:
        errors.revision_conflict(request, record.kind, current)
