"""One remote record applied here, with last write wins and the losing values kept.

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

A remote record without a link is adopted when it carries our reference (an export whose job
has not linked it yet), else it was made at the provider and is created here.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.importing.hooks import (
    CONFLICT,
    CREATED,
    LOCAL,
    UNCHANGED,
    UPDATED,
    ImporterHooks,
    digest,
    parse_reference,
)
from integrations.links import find_link, find_link_by_remote, store_link
from integrations.models import Link
from integrations.synclog import log_event


def link_data(local_values, remote_values, seen):
    """A link's `data`: the values both sides agreed on, and what was kept of the list row."""
    return {"local": local_values, "remote": remote_values,
            **({"seen": seen} if seen is not None else {})}


class RecordImporter(ImporterHooks):
    """The hooks applied one remote record at a time; `Importer` adds the runs a page at a
    time."""

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
            data = link_data(self.local_values(local), self.remote_values(remote), seen)
            try:
                store_link(self.connection, self.record_type, local.pk, remote_id,
                           remote_number=remote_id, data=data,
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
                data=link_data(synced_local, remote_now, seen),
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
