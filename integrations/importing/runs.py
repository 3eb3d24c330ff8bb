"""Import runs from the cursors: each record type from where its last run started."""

from datetime import datetime

from django.utils import timezone

from integrations.inbound import mark_polled, move_cursor, read_cursor


def cursor_time(value):
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def import_changes(importers, record_types, *, since=None) -> dict:
    """Run each record type's importer (`importers` {type: Importer}) from its cursor, or from
    `since`, and move each cursor to when its run started once the run went through; a run
    from a `since` later than the cursor leaves the cursor alone, or what changed in between
    would never be read. Returns {record type: {created, updated, conflicts, unchanged}}."""
    results = {}
    connection = None
    for record_type in record_types:
        importer = importers[record_type]
        connection = importer.connection
        started = timezone.now()
        cursor = cursor_time(read_cursor(connection, record_type))
        start = since or cursor
        results[record_type] = importer.run(start)
        if since is None or cursor is None or since <= cursor:
            move_cursor(connection, record_type, importer.next_cursor(started).isoformat())
    if connection is not None:
        mark_polled(connection)
    return results
