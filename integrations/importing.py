"""Records coming back from a provider, with last write wins and the losing values kept.

What changed where. Each Link keeps a snapshot of the values both sides agreed on at the last
sync, per field, in our terms: `local` as we had them, `remote` as the provider gave them back.
A field changed on the provider's side only is copied here; one changed here only is left for
the export to send (an export job is queued); one changed on both sides to different values is
a conflict.

Last write wins: the provider's version wins a conflict when it changed the record at or after
our record's last change (`remote_wins`, a hook: providers know their modification times to
different precision), else ours. The sync log keeps the values that lost. Our own writes from
an import must not touch `updated_at` (use `QuerySet.update`), so it stays the time a person
last changed the record.

A provider subclasses `Importer` per record type and fills the hooks; `import_changes` runs
them from each type's cursor and moves the cursor only after a run went through.

A run goes page by page (`changed_rows`): the page's links and local records are read in one
query each, and each changed list row of a linked record is either read in full (FETCH), known
to be applied already (SKIP: a changed-since filter that lists it again at the same change
stamp), or enough by itself (FROM_LIST: the list carries everything that can have changed).
Which one is the provider's call (`row_decision`), from what it kept of the row last time
(`seen_data`, in `Link.data["seen"]`), since only it knows what its list rows carry. A provider
whose list rows are whole records (`rows_are_records`) gets the decision made for it: the same
change stamp is SKIP, a row whose compared fields are the ones agreed at the last sync is
FROM_LIST (only what the provider alone owns, like a payment status, can have moved), anything
else is reconciled from the row itself (its `fetch` answers from the page, no request).
FROM_LIST rows are written together (`bulk_write`), so a poll of paid invoices costs the same
queries for one as for a page.

New records (no link) are read (`fetch`) and then made a page at a time (`create_page`): what
they refer to (an invoice's customer) is resolved once per page before the transaction
(`prepare_creates`, which may ask the provider), then in one transaction the page's local
records are inserted at once (`new_local`: an unsaved record with everything it needs, payment
status included, where no per-row logic needs its save()), their children (`new_children`: an
invoice's lines) in one insert, their links in one insert and their sync-log lines in one. The
links are a plain insert, not an upsert: if another worker linked one of the page's remote
records meanwhile (the unique constraints say so), the whole page is rolled back and each
record is applied on its own, re-reading its link (so exactly one link and one local record
per remote record, as with one at a time). A record carrying our own reference (an export whose
job has not linked it yet) is adopted on its own.
"""

import hashlib
import json
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.inbound import mark_polled, move_cursor, read_cursor
from integrations.links import (
    find_link,
    find_link_by_remote,
    links_by_remote,
    local_records,
    store_link,
)
from integrations.models import Link
from integrations.synclog import log_event

logger = logging.getLogger("integrations.importing")

CREATED, UPDATED, CONFLICT, UNCHANGED = "created", "updated", "conflicts", "unchanged"
LOCAL = "local"
# What a changed list row of a linked record needs (`Importer.row_decision`).
FETCH, SKIP, FROM_LIST = "fetch", "skip", "from_list"
PAGE = 500


def empty_counts():
    return {CREATED: 0, UPDATED: 0, CONFLICT: 0, UNCHANGED: 0}


def digest(values):
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_reference(reference):
    """(organization id, record type, local id) from our `hub-<org>-<type>-<id>` (see
    `integrations.engine.jobs.external_reference`), or None."""
    parts = (reference or "").split("-")
    if len(parts) < 4 or parts[0] != "hub" or not parts[1].isdigit():
        return None
    return int(parts[1]), "-".join(parts[2:-1]), parts[-1]


class Importer:
    """One record type back from one connection. Hooks marked "required" must be filled."""

    record_type = ""
    # the fields compared three-way (keys of local_values / remote_values)
    fields = ()
    # True when a list row is the whole record (see `row_decision`)
    rows_are_records = False

    def __init__(self, provider):
        self.provider = provider
        self.connection = provider.connection
        self.organization = self.connection.organization
        # remote ids imported in this run (an `after_run` skips them)
        self.seen = set()

    # -- hooks ------------------------------------------------------------------------------
    def changed_ids(self, since):
        """Required unless `changed_rows` is filled: the remote ids changed since `since`
        (everything when None), paging to the end. Duplicates are skipped."""
        raise NotImplementedError

    def changed_rows(self, since):
        """The changed records page by page: yields lists of (remote id, list row or None).
        By default `changed_ids` in pages of PAGE, without rows (every record is read)."""
        page = []
        for remote_id in self.changed_ids(since):
            page.append((remote_id, None))
            if len(page) >= PAGE:
                yield page
                page = []
        if page:
            yield page

    def row_decision(self, link, row) -> str:
        """FETCH, SKIP or FROM_LIST for a changed list row of a linked record (see the module
        docstring). By default FETCH (only the provider knows what its list rows carry), or,
        when the rows are whole records, `record_row_decision`."""
        return self.record_row_decision(link, row) if self.rows_are_records else FETCH

    def record_row_decision(self, link, row) -> str:
        """For a list row that is the whole record: SKIP when what we kept of it (`seen_data`)
        is unchanged; FROM_LIST when its compared fields are the ones agreed at the last sync
        (so only provider-owned fields can differ); else FETCH (reconciled from the row)."""
        data = link.data or {}
        seen = self.seen_data(row)
        if seen is not None and data.get("seen") == seen:
            return SKIP
        agreed = data.get("remote")
        if agreed is not None and digest(agreed) == digest(self.remote_values(row)):
            return FROM_LIST
        return FETCH

    def seen_data(self, row):
        """What to keep of a list row (or of a whole record read without one) for
        `row_decision` next time, JSON; None keeps nothing."""
        return None

    def apply_row(self, local, row) -> bool:
        """Apply a FROM_LIST row; True when something changed. By default the fields the
        provider alone owns (`write_status`)."""
        return self.write_status(local, row)

    def apply_rows(self, pairs) -> list:
        """Apply a page's FROM_LIST rows, [(local, row)]: a bool per pair, True where something
        changed. By default `apply_row` each; a provider may write the page at once."""
        return [self.apply_row(local, row) for local, row in pairs]

    def fetch(self, remote_id):
        """Required: the remote record, or None when it is gone."""
        raise NotImplementedError

    def local_model(self):
        """Required: the local model (a TenantModel)."""
        raise NotImplementedError

    def local_values(self, local) -> dict:
        """Required: the compared fields of a local record, in our terms."""
        raise NotImplementedError

    def remote_values(self, remote) -> dict:
        """Required: the compared fields of a remote record, in our terms."""
        raise NotImplementedError

    def create_local(self, remote, prepared):
        """Required: create the local record of a remote one made at the provider."""
        raise NotImplementedError

    def write_local(self, local, changes):
        """Required: write {field: value} onto the local record (without touching
        `updated_at`)."""
        raise NotImplementedError

    def reference_of(self, remote) -> str:
        """Our reference as the remote record carries it, if it does (for adoption)."""
        return ""

    def prepare_create(self, remote):
        """HTTP a create needs (e.g. an invoice's customer), done before the transaction."""
        return None

    # A page of new records at once (`create_page`); an importer that leaves `new_local` as it
    # is creates them one at a time (`create_local`).
    # related objects `local_values` reads (e.g. an invoice's "lines"), read back for a page of
    # new records in one query each
    snapshot_prefetch = ()

    def prepare_creates(self, remotes) -> list:
        """What a page of creates needs, done once per page before the transaction (HTTP
        allowed): one prepared value per remote record, in order. By default
        `prepare_create` of each; resolve what the records share (customers, projects) in
        bulk here (`linked_locals`)."""
        return [self.prepare_create(remote) for remote in remotes]

    def new_local(self, remote, prepared):
        """An unsaved local record of a remote one made at the provider, with every field set,
        the provider-owned ones (`write_status`) included, for a page inserted at once; or None
        (the default) when the record needs `create_local` (per-row logic in a save())."""
        return None

    def new_children(self, local, remote) -> list:
        """Unsaved rows belonging to a new local record that now has its pk (e.g. an invoice's
        lines), inserted with the page's others in one insert per model."""
        return []

    def write_status(self, local, remote) -> bool:
        """Fields the provider alone owns (e.g. payment status), copied every time, never a
        conflict; True when something changed."""
        return False

    def remote_modified_at(self, remote):
        """When the provider last changed the record, if the record says; else None."""
        return None

    def remote_wins(self, remote_id, remote, local) -> bool:
        """Whether the provider's version of a conflict is the later write. By default from
        `remote_modified_at`; when the record carries no time the provider wins."""
        modified = self.remote_modified_at(remote)
        return modified is None or modified >= local.updated_at

    def after_run(self, since, counts):
        """More to do once the changed records are in (e.g. payments listed on their own)."""

    def next_cursor(self, started):
        """Where the next run starts, once this one went through: by default when it started,
        by our clock. A provider whose lists carry its own clock returns that, less an overlap
        (a change stamped just before its answer was still being written)."""
        return started

    # -- the run ----------------------------------------------------------------------------
    def run(self, since):
        counts = empty_counts()
        self.seen = set()
        for page in self.changed_rows(since):
            self.import_page(page, counts)
        self.after_run(since, counts)
        return counts

    def import_page(self, page, counts):
        """One page of (remote id, list row or None): links and local records read in one
        query each, rows that answer by themselves applied together, the rest read one by
        one."""
        rows = {}
        for remote_id, row in page:
            remote_id = str(remote_id or "")
            if remote_id and remote_id not in self.seen and remote_id not in rows:
                rows[remote_id] = row
        links = links_by_remote(self.connection, self.record_type, rows)
        records = local_records(self.local_model(), self.organization,
                                [link.local_id for link in links.values()])
        from_list, new = [], []
        for remote_id, row in rows.items():
            self.seen.add(remote_id)
            link = links.get(remote_id)
            if link is None:
                new.append((remote_id, row))
                continue
            local = records.get(link.local_id)
            if local is None:  # deleted here: not brought back
                counts[UNCHANGED] += 1
                continue
            decision = FETCH if row is None else self.row_decision(link, row)
            if decision == SKIP:
                counts[UNCHANGED] += 1
            elif decision == FROM_LIST:
                from_list.append((link, local, row))
            else:
                counts[self._import(remote_id, found=(link, local), row=row)] += 1
        if from_list:
            self._apply_rows(from_list, counts)
        if new:
            self.create_page(new, counts)

    def _apply_rows(self, from_list, counts):
        now = timezone.now()
        with transaction.atomic():
            changed = self.apply_rows([(local, row) for _link, local, row in from_list])
            for (link, _local, row), was_changed in zip(from_list, changed, strict=True):
                counts[UPDATED if was_changed else UNCHANGED] += 1
                link.data = {**(link.data or {}), "seen": self.seen_data(row)}
                link.synced_at = now
            Link.objects.bulk_update([link for link, _local, _row in from_list],
                                     ["data", "synced_at"])

    def import_one(self, remote_id, counts=None):
        """Import one remote record now; returns its outcome ("created", "updated",
        "conflicts" or "unchanged") and adds it to `counts` when given."""
        remote_id = str(remote_id)
        self.seen.add(remote_id)
        outcome = self._import(remote_id)
        if counts is not None:
            counts[outcome] += 1
        return outcome

    def _import(self, remote_id, *, found=None, row=None):
        """Read one record and apply it. `found`: its (link, local record) when the caller
        already read them (link None: not linked)."""
        remote = self.fetch(remote_id)
        if remote is None:
            return UNCHANGED
        seen = self.seen_data(row if row is not None else remote)
        return self._apply(remote_id, remote, seen=seen, found=found)

    def _apply(self, remote_id, remote, *, seen, found=None):
        if found is None:
            link = find_link_by_remote(self.connection, self.record_type, remote_id)
            local = self.local(link.local_id) if link is not None else None
        else:
            link, local = found
        if link is None:
            return self.link_or_create(remote_id, remote, seen=seen)
        if local is None:  # deleted here: not brought back
            return UNCHANGED
        return self.reconcile(link, local, remote, seen=seen)

    def local(self, local_id):
        return self.local_model().objects.for_org(self.organization).filter(pk=local_id).first()

    def link_or_create(self, remote_id, remote, *, seen=None):
        """A remote record without a Link: our own export whose job has not stored its Link yet
        (adopted by our reference), or a record made at the provider (created here)."""
        local = self._adoptable(remote)
        prepared = self.prepare_create(remote) if local is None else None
        outcome = UNCHANGED
        with transaction.atomic():
            if local is None:
                local = self.create_local(remote, prepared)
                outcome = CREATED
            snapshot = {"local": self.local_values(local), "remote": self.remote_values(remote),
                        **({"seen": seen} if seen is not None else {})}
            try:
                store_link(self.connection, self.record_type, local.pk, remote_id,
                           remote_number=remote_id, data=snapshot,
                           remote_modified_at=timezone.now())
            except IntegrityError:
                # The export's job linked it meanwhile: nothing to add.
                if outcome == CREATED:
                    raise
            self.write_status(local, remote)
        if outcome == CREATED:
            self.log(local.pk, "ok", self._created_message(remote_id))
        return outcome

    def _adoptable(self, remote):
        if not self._ours(remote):
            return None
        parsed = parse_reference(self.reference_of(remote))
        if find_link(self.connection, self.record_type, parsed[2]) is not None:
            return None
        return self.local(parsed[2])

    def create_page(self, new, counts):
        """The page's records without a link, [(remote id, list row or None)]: read, then
        made here together (see the module docstring)."""
        fetched, alone = [], []
        for remote_id, row in new:
            remote = self.fetch(remote_id)
            if remote is None:
                counts[UNCHANGED] += 1
                continue
            entry = (remote_id, remote, self.seen_data(row if row is not None else remote))
            # Ours (an export not linked yet) is adopted, not created: one at a time.
            (alone if self._ours(remote) else fetched).append(entry)
        if fetched:
            prepared = self.prepare_creates([remote for _id, remote, _seen in fetched])
            built = [(entry, self.new_local(entry[1], ready))
                     for entry, ready in zip(fetched, prepared, strict=True)]
            bulk = [(entry, local) for entry, local in built if local is not None]
            alone += [entry for entry, local in built if local is None]
            if bulk:
                try:
                    with transaction.atomic():
                        self._insert_page(bulk)
                    counts[CREATED] += len(bulk)
                except IntegrityError:
                    # Linked meanwhile by another worker: each on its own, its link re-read.
                    logger.info("import %s %s: a page was linked meanwhile, applied one by one",
                                self.connection.provider, self.record_type)
                    alone += [entry for entry, _local in bulk]
        for remote_id, remote, seen in alone:
            counts[self._apply(remote_id, remote, seen=seen)] += 1

    def _insert_page(self, bulk):
        model = self.local_model()
        records = [local for _entry, local in bulk]
        model.objects.bulk_create(records)
        children = {}
        for (_remote_id, remote, _seen), local in bulk:
            for child in self.new_children(local, remote):
                children.setdefault(type(child), []).append(child)
        for child_model, rows in children.items():
            child_model.objects.bulk_create(rows)
        if self.snapshot_prefetch:
            prefetch_related_objects(records, *self.snapshot_prefetch)
        now = timezone.now()
        Link.objects.bulk_create([
            Link(organization_id=self.organization.pk, connection=self.connection,
                 record_type=self.record_type, local_id=str(local.pk), remote_id=remote_id,
                 remote_number=remote_id, synced_at=now, remote_modified_at=now,
                 data={"local": self.local_values(local), "remote": self.remote_values(remote),
                       **({"seen": seen} if seen is not None else {})})
            for (remote_id, remote, seen), local in bulk])
        log_events(self.connection, self.record_type, f"{self.record_type}.import", [
            (local.pk, self._created_message(remote_id), None)
            for (remote_id, _remote, _seen), local in bulk])

    def _created_message(self, remote_id):
        return (_("Created from %(provider)s %(record_type)s %(remote_id)s.")
                % {"provider": self.provider.name, "record_type": self.record_type,
                   "remote_id": remote_id})

    def _ours(self, remote):
        parsed = parse_reference(self.reference_of(remote))
        return (parsed is not None and parsed[0] == self.organization.pk
                and parsed[1] == self.record_type)

    def reconcile(self, link, local, remote, *, seen=None):
        local_now = self.local_values(local)
        remote_now = self.remote_values(remote)
        snapshot = link.data or {}
        synced_local = dict(snapshot.get("local") or {})
        synced_remote = snapshot.get("remote") or {}
        missing = object()
        remote_changed = {f for f in self.fields if remote_now[f] != synced_remote.get(f, missing)}
        local_changed = {f for f in self.fields
                         if f in synced_local and local_now[f] != synced_local[f]}
        conflict = {f for f in remote_changed & local_changed if local_now[f] != remote_now[f]}
        apply = {f for f in remote_changed - local_changed if local_now[f] != remote_now[f]}
        remote_won = bool(conflict) and self.remote_wins(link.remote_id, remote, local)
        if remote_won:
            apply |= conflict
        for f in self.fields:
            if f in apply or local_now[f] == remote_now[f]:
                synced_local[f] = remote_now[f]
        with transaction.atomic():
            if apply:
                self.write_local(local, {f: remote_now[f] for f in apply})
            status_changed = self.write_status(local, remote)
            Link.objects.filter(pk=link.pk).update(
                data={"local": synced_local, "remote": remote_now,
                      **({"seen": seen} if seen is not None else {})},
                synced_at=timezone.now(),
                **({"remote_modified_at": timezone.now()} if remote_changed else {}))
            if conflict:
                self._log_conflict(local, link, conflict, remote_won, local_now, remote_now)
        pending = {f for f in self.fields if synced_local.get(f) != local_now[f] and f not in apply}
        if pending:
            self.queue_export(local, local_now)
        if conflict:
            return CONFLICT
        return UPDATED if apply or status_changed else UNCHANGED

    def _log_conflict(self, local, link, fields, remote_won, local_now, remote_now):
        kept, lost = (remote_now, local_now) if remote_won else (local_now, remote_now)
        fields = sorted(fields)
        where = (_("in %(provider)s") % {"provider": self.provider.name} if remote_won
                 else _("here"))
        self.log(local.pk, "conflict",
                 _("%(record_type)s %(remote_id)s was changed both here and in %(provider)s "
                   "since the last sync (%(fields)s); the later change, made %(where)s, was "
                   "kept. The values that lost are in the details.")
                 % {"record_type": self.record_type.capitalize(), "remote_id": link.remote_id,
                    "provider": self.provider.name, "fields": ", ".join(fields),
                    "where": where},
                 details={"winner": self.connection.provider if remote_won else LOCAL,
                          "fields": fields, "kept": {f: kept[f] for f in fields},
                          "lost": {f: lost[f] for f in fields}, "remote_id": link.remote_id})

    def queue_export(self, local, local_now):
        """Our side has changes the provider has not got: send them (once per state), where
        the provider sends this record type at all (else ours simply stays as it is)."""
        from integrations.engine import enqueue_job

        if self.record_type not in self.provider.export_types():
            return
        enqueue_job(connection=self.connection, operation=f"{self.record_type}.export",
                    record_type=self.record_type, local_id=local.pk,
                    variant=f"sync-{digest(local_now)}")

    def log(self, local_id, status, message, details=None):
        log_event(organization_id=self.organization.pk, provider=self.connection.provider,
                  entity=self.record_type, action=f"{self.record_type}.import", status=status,
                  message=message, local_id=local_id, connection=self.connection,
                  details=details)


# -- bulk reads and writes --------------------------------------------------------------------
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


# -- runs from the cursors --------------------------------------------------------------------
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
