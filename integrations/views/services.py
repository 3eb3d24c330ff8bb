"""What the integrations API and page do, once, for both: connect, disconnect, export, import.

Each function validates everything before it changes anything and says what is wrong in words
a person can act on: `RequestInvalid` (the request itself: an unknown record type, a bad date),
`Http404` (a record or connection outside the organization), `ActionBlocked` (the connection is
not in a state to send, or the provider's `validate_export(record_type, record)` found problems).
"""

import logging
import time
from datetime import date, datetime
from datetime import time as dtime

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from integrations.credentials import mark_needs_reauth
from integrations.engine import enqueue_job
from integrations.errors import ActionBlocked, AuthError, ProviderError, ValidationProblem
from integrations.models import Connection, Link, SyncJob
from integrations.providers import registry
from integrations.synclog import log_event
from integrations.views.records import model_for

logger = logging.getLogger("integrations.services")

IMPORT_TASK = "integrations.tasks.import_changes"
MAX_IDS = 500
MAX_ID = 2**63 - 1  # the largest primary key either database holds


class RequestInvalid(Exception):
    def __init__(self, message, *, field=""):
        super().__init__(message)
        self.message = str(message)
        self.field = field


def page_url():
    return reverse("integrations:page")


def provider_class(provider_key):
    try:
        return registry.get(provider_key)
    except LookupError:
        raise Http404(_("No provider %(key)s is registered.") % {"key": provider_key}) from None


# -- connecting ---------------------------------------------------------------------------------

def start_connect(*, organization, user, provider_key, service_account=False) -> str:
    """The provider's consent page to send the browser to (single-use state bound to the
    user and organization). Blocked, with where to go, for a provider our page cannot connect."""
    cls = provider_class(provider_key)
    if not cls.can_connect_here():
        raise ActionBlocked([ValidationProblem(
            _("%(name)s is not connected from this page.") % {"name": cls.name},
            fix_url=_settings_url(cls) or page_url())])
    return cls.start_connect(organization=organization, user=user,
                             options={"service_account": bool(service_account)})


def finish_connect(*, provider_key, params, user) -> Connection:
    """The browser is back from the provider's consent page."""
    cls = provider_class(provider_key)
    if not cls.can_connect_here():
        raise ActionBlocked([ValidationProblem(
            _("%(name)s does not connect through this address; connect it from its own page.")
            % {"name": cls.name}, fix_url=_settings_url(cls) or page_url())])
    return cls.finish_connect(params=params, user=user)


def _settings_url(cls):
    return reverse(cls.settings_url_name) if cls.settings_url_name else ""


def disconnect_rollback_unsafe(connection, *, user=None):
    """Revoke at the provider (HTTP, so never inside a transaction), then clear here."""
    registry.for_connection(connection).disconnect(user=user)
    connection.refresh_from_db()
    return connection


def ensure_connected(connection):
    if connection.status == Connection.Status.CONNECTED:
        return
    name = connection.provider_name
    if connection.status == Connection.Status.NEEDS_REAUTH:
        message = _("The connection to %(name)s needs to be authorized again: use "
                    "\"Reconnect\" on the Integrations page.") % {"name": name}
    else:
        message = _("%(name)s is not connected: use \"Connect\" on the Integrations page."
                    ) % {"name": name}
    raise ActionBlocked([ValidationProblem(message, fix_url=page_url())])


# -- exporting ----------------------------------------------------------------------------------

def export_types(connection) -> list[str]:
    """Record types this connection's provider sends, each with an `<type>.export` operation."""
    return registry.get(connection.provider).export_types()


def check_export_type(connection, record_type):
    allowed = export_types(connection)
    if record_type not in allowed:
        raise RequestInvalid(
            _("%(name)s cannot export \"%(type)s\". It exports: %(allowed)s.") % {
                "name": connection.provider_name, "type": record_type,
                "allowed": ", ".join(allowed) or "-"},
            field="type")


def records_for_export(connection, record_type, ids):
    """The records, all of them in the connection's organization, or Http404 naming the ids
    that are not (another organization's record is "not found", never "forbidden")."""
    model = model_for(record_type)
    if model is None:
        raise RequestInvalid(_("No local records are kept for \"%(type)s\".")
                             % {"type": record_type}, field="type")
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise RequestInvalid(_("ids must be a list of whole numbers."), field="ids") from None
    if any(not 1 <= i <= MAX_ID for i in wanted):
        raise RequestInvalid(_("ids must be whole numbers from 1 to %(max)d.") % {"max": MAX_ID},
                             field="ids")
    if not wanted:
        raise RequestInvalid(_("Give at least one id."), field="ids")
    if len(wanted) > MAX_IDS:
        raise RequestInvalid(_("At most %(max)d ids at a time.") % {"max": MAX_IDS}, field="ids")
    found = {obj.pk: obj for obj in model.objects.for_org(connection.organization)
             .filter(pk__in=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Http404(_("No %(type)s with id %(ids)s in %(org)s.") % {
            "type": record_type.replace("_", " "), "ids": ", ".join(map(str, missing)),
            "org": connection.organization.name})
    return [found[i] for i in wanted]


def export_records(*, connection, record_type, ids, user=None,
                   priority=SyncJob.Priority.INTERACTIVE):
    """One export job per record, in one transaction. Asking again for the same records
    returns the same jobs (the idempotency key is the connection, operation and id).
    Returns [(job, created)]."""
    check_export_type(connection, record_type)
    records = records_for_export(connection, record_type, ids)
    ensure_connected(connection)
    # Every problem of every record at once (missing fields, unmapped categories), each with
    # where to fix it, before anything is queued.
    provider = registry.for_connection(connection)
    problems = [problem for record in records
                for problem in provider.validate_export(record_type, record)]
    if problems:
        raise ActionBlocked(problems)
    with transaction.atomic():
        return [enqueue_job(connection=connection, operation=f"{record_type}.export",
                            record_type=record_type, local_id=record.pk, user=user,
                            priority=priority)
                for record in records]


def unlinked_ids(connection, record_type, *, limit=MAX_IDS) -> list[int]:
    """Records of the type that have no remote counterpart yet: what "Export" sends."""
    model = model_for(record_type)
    linked = Link.objects.for_org(connection.organization).filter(
        connection=connection, record_type=record_type).values_list("local_id", flat=True)
    linked_ids = [int(i) for i in linked if str(i).isdigit()]
    qs = model.objects.for_org(connection.organization).exclude(pk__in=linked_ids)
    return list(qs.order_by("pk").values_list("pk", flat=True)[:limit])


# -- importing ----------------------------------------------------------------------------------

def import_types(connection) -> list[str]:
    return registry.get(connection.provider).import_types()


def check_import_types(connection, record_types) -> list[str]:
    allowed = import_types(connection)
    if not record_types:
        if not allowed:
            raise RequestInvalid(_("%(name)s imports nothing.") % {
                "name": connection.provider_name}, field="types")
        return allowed
    unknown = [t for t in record_types if t not in allowed]
    if unknown:
        raise RequestInvalid(
            _("%(name)s cannot import %(types)s. It imports: %(allowed)s.") % {
                "name": connection.provider_name, "types": ", ".join(map(str, unknown)),
                "allowed": ", ".join(allowed) or "-"},
            field="types")
    return list(dict.fromkeys(record_types))


def parse_since(value):
    """A date (`2026-01-01`, midnight in our time zone) or an ISO date-time; None for none."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, dtime.min))
    text = str(value).strip()
    parsed = None
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            parsed = datetime.combine(day, dtime.min) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise RequestInvalid(_("\"%(value)s\" is not a date; write it as 2026-01-31.") % {
            "value": text[:40]}, field="since")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def request_import(*, connection, record_types=None, since=None):
    """Queue one import of the given types (default: all the provider imports)."""
    types = check_import_types(connection, record_types)
    since_at = parse_since(since)
    ensure_connected(connection)
    task_id = async_task(IMPORT_TASK, connection.pk, types,
                         since_at.isoformat() if since_at else None,
                         task_name=f"import-{connection.pk}-{int(time.time() * 1000)}",
                         group=f"import-{connection.provider}")
    return task_id, types, since_at


def run_import(connection, *, record_types=None, since=None) -> dict:
    """Import now, in this process, and log one entry per record type. Provider errors are
    logged and raised; `auth` errors leave the connection needing re-authorization."""
    types = check_import_types(connection, record_types)
    since_at = parse_since(since)
    provider = registry.for_connection(connection)
    started = time.monotonic()
    try:
        counts = provider.poll(record_types=tuple(types), since=since_at)
    except ProviderError as exc:
        if isinstance(exc, AuthError):
            mark_needs_reauth(connection, reason=exc.message)
        for record_type in types:
            log_event(organization_id=connection.organization_id,
                      provider=connection.provider, entity=record_type,
                      action=f"{record_type}.import", status="failed", message=exc.message,
                      connection=connection, response_code=exc.status_code,
                      duration_ms=int((time.monotonic() - started) * 1000))
        raise
    counts = dict(counts or {})
    for record_type in types:
        log_event(organization_id=connection.organization_id, provider=connection.provider,
                  entity=record_type, action=f"{record_type}.import", status="ok",
                  message=f"imported: {describe_count(counts.get(record_type, 0))}",
                  connection=connection, details={"counts": counts.get(record_type, 0)},
                  duration_ms=int((time.monotonic() - started) * 1000))
    Connection.objects.filter(pk=connection.pk).update(last_sync_at=timezone.now())
    return counts


def describe_count(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key} {number}" for key, number in value.items()) or "0"
    return str(value)
