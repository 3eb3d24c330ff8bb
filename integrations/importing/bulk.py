"""Reads and writes of a whole page at once, for importers and pollers alike: each costs the
same queries for one row as for a page."""

import logging

from integrations.links import links_by_remote, local_records
from integrations.models import Link

logger = logging.getLogger("integrations.importing")


def linked_locals(connection, record_type, model, remote_ids) -> dict:
    """{remote id: local record} of the remote ids linked under `record_type` whose local
    record still exists, inside the connection's organization: two queries (links, records)
    for a page, whatever its size. What a page of new records refers to (customers, projects)
    is resolved with it."""
    links = links_by_remote(connection, record_type, remote_ids)
    records = local_records(model, connection.organization,
                            [link.local_id for link in links.values()])
    return {remote_id: records[link.local_id] for remote_id, link in links.items()
            if link.local_id in records}


def bulk_write(model, pairs, values_of) -> list:
    """Write `values_of(row)` ({field: value}) onto each (local record, row) of a page in one
    bulk update of the records that changed (no save(): `updated_at` stays a person's). The
    records in memory get the new values. Returns a bool per pair, True where something
    changed."""
    changed, names = [], set()
    for local, row in pairs:
        diff = {k: v for k, v in values_of(row).items() if getattr(local, k) != v}
        for name, value in diff.items():
            setattr(local, name, value)
        names.update(diff)
        changed.append(bool(diff))
    if names:
        model.objects.bulk_update(
            [local for (local, _row), was in zip(pairs, changed, strict=True) if was],
            sorted(names))
    return changed


def log_events(connection, entity, action, events) -> int:
    """The sync log lines of a page in one insert: `events` [(local id, message, details)],
    status ok (what `synclog.log_event` writes one at a time). Returns how many."""
    from integrations.logging import redact
    from integrations.models import SyncLogEntry

    entries = [SyncLogEntry(organization_id=connection.organization_id, connection=connection,
                            provider=connection.provider, entity=entity, local_id=str(local_id),
                            action=action, status="ok", message=redact(message or ""),
                            details=details or {})
               for local_id, message, details in events]
    SyncLogEntry.objects.bulk_create(entries)
    for entry in entries:
        logger.info("sync %s %s %s:%s -> ok", entry.provider, action, entity, entry.local_id)
    return len(entries)


def mark_overdue(connection, *, today):
    """The connection's linked invoices still owing after their due date turn overdue without
    the provider touching them (an importer's `after_run`)."""
    from accounting.models import Invoice

    linked = Link.objects.filter(connection=connection, record_type="invoice").values_list(
        "local_id", flat=True)
    return (Invoice.objects.for_org(connection.organization)
            .filter(pk__in=[int(pk) for pk in linked if str(pk).isdigit()],
                    remaining_amount__gt=0, due_date__lt=today,
                    status__in=["invoiced", "sent", "partly_paid"])
            .update(status="overdue"))
