"""An import run, page by page.

A run goes page by page (`changed_rows`): the page's links and local records are read in one
query each, and each changed list row of a linked record is read in full, skipped or applied
from the row as its `row_decision` says (see `integrations.importing.hooks`). FROM_LIST rows
are written together (`bulk_write`), so a poll of paid invoices costs the same queries for one
as for a page.

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

import logging

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from integrations.importing.bulk import log_events
from integrations.importing.hooks import (
    CREATED,
    FETCH,
    FROM_LIST,
    SKIP,
    UNCHANGED,
    UPDATED,
    empty_counts,
)
from integrations.importing.records import RecordImporter, link_data
from integrations.links import links_by_remote, local_records
from integrations.models import Link

logger = logging.getLogger("integrations.importing")


class Importer(RecordImporter):
    """One record type back from one connection: a provider subclasses it per record type and
    fills the hooks (`ImporterHooks`)."""

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
                 data=link_data(self.local_values(local), self.remote_values(remote), seen))
            for (remote_id, remote, seen), local in bulk])
        log_events(self.connection, self.record_type, f"{self.record_type}.import", [
            (local.pk, self._created_message(remote_id), None)
            for (remote_id, _remote, _seen), local in bulk])
