"""Reading a connection's state for the API and the page: per record type, what was synced
when, how much is linked, which jobs wait or failed, and the last error. Every query is scoped to
the connection's organization."""

from django.db.models import Count, Max

from integrations.models import Link, SyncCursor, SyncJob, SyncLogEntry, WebhookEvent
from integrations.providers import registry
from integrations.providers.base import Capabilities
from integrations.views.records import label_for

ERROR_STATUSES = ("failed", "dead", "retry", "unknown")
JOB_STATUSES = [value for value, _label in SyncJob.Status.choices]


def capabilities_of(provider_key) -> Capabilities:
    try:
        return registry.get(provider_key).capabilities
    except LookupError:  # a provider removed from the registry: its rows still show
        return Capabilities()


def _import_types(provider_key):
    try:
        return registry.get(provider_key).import_types()
    except LookupError:
        return []


def record_type_state(connection, record_type, *, caps=None, last_ok=None, links=None,
                      jobs=None, cursors=None, last_linked=None) -> dict:
    caps = caps or capabilities_of(connection.provider)
    org = connection.organization
    error = (SyncLogEntry.objects.for_org(org)
             .filter(connection=connection, entity=record_type, status__in=ERROR_STATUSES)
             .order_by("-created_at", "-id").first())
    job_counts = {status: 0 for status in JOB_STATUSES}
    job_counts.update((jobs or {}).get(record_type, {}))
    cursor = (cursors or {}).get(record_type)
    # A record linked at the provider was synced, whichever way (export, import, adoption).
    times = [t for t in ((last_ok or {}).get(record_type), cursor and cursor["updated_at"],
                         (last_linked or {}).get(record_type)) if t]
    direction = caps.records.get(record_type, "")
    return {
        "record_type": record_type,
        "label": str(label_for(record_type)),
        "direction": direction,
        "exports": caps.exports(record_type),
        "imports": record_type in _import_types(connection.provider),
        "last_sync": max(times) if times else None,
        "linked": (links or {}).get(record_type, 0),
        "jobs": job_counts,
        "cursor": cursor["value"] if cursor else "",
        "last_error": None if error is None else {
            "message": error.message, "at": error.created_at, "job_id": error.job_id,
            "log_id": error.pk, "status": error.status, "action": error.action,
        },
    }


def connection_state(connection) -> dict:
    """Everything the status endpoint answers and the page shows, for one connection."""
    caps = capabilities_of(connection.provider)
    org = connection.organization
    scoped = {"connection": connection}
    links, last_linked = {}, {}
    for record_type, n, last in (Link.objects.for_org(org).filter(**scoped)
                                 .values_list("record_type")
                                 .annotate(n=Count("id"), last=Max("synced_at")).order_by()):
        links[record_type], last_linked[record_type] = n, last
    jobs = {}
    for record_type, status, n in (SyncJob.objects.for_org(org).filter(**scoped)
                                   .values_list("record_type", "status")
                                   .annotate(n=Count("id")).order_by()):
        jobs.setdefault(record_type, {})[status] = n
    last_ok = dict(SyncLogEntry.objects.for_org(org).filter(status="ok", **scoped)
                   .values_list("entity").annotate(last=Max("created_at")).order_by())
    cursors = {c["record_type"]: c for c in SyncCursor.objects.for_org(org).filter(**scoped)
               .values("record_type", "value", "updated_at")}
    last_webhook = (WebhookEvent.objects.filter(connection=connection, organization=org)
                    .aggregate(last=Max("received_at"))["last"])
    record_types = list(caps.records)
    return {
        "id": connection.pk,
        "provider": connection.provider,
        "provider_name": str(connection.provider_name),
        "status": connection.status,
        "status_display": str(connection.get_status_display()),
        "status_reason": connection.status_reason,
        "company": connection.remote_company_name,
        "connected_at": connection.connected_at,
        "last_sync_at": connection.last_sync_at,
        "last_webhook_at": last_webhook,
        "inbound": caps.inbound,
        "record_types": [
            record_type_state(connection, t, caps=caps, last_ok=last_ok, links=links, jobs=jobs,
                              cursors=cursors, last_linked=last_linked)
            for t in record_types
        ],
    }


def recent_errors(connection, *, limit=5):
    return list(SyncLogEntry.objects.for_org(connection.organization)
                .filter(connection=connection, status__in=ERROR_STATUSES)
                .order_by("-created_at", "-id")[:limit])
