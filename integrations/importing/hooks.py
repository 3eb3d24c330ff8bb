"""What a provider fills to bring one record type back (`ImporterHooks`, which `Importer`
subclasses), with the defaults, and the words a run speaks in: outcomes, row decisions, our
reference.

A run asks each changed list row of a linked record for one of three things (`row_decision`):
read the record in full (FETCH), nothing, it is applied already (SKIP: a changed-since filter
that lists it again at the same change stamp), or the row itself is enough (FROM_LIST: the list
carries everything that can have changed). Which one is the provider's call, from what it kept
of the row last time (`seen_data`, in `Link.data["seen"]`), since only it knows what its list
rows carry. A provider whose list rows are whole records (`rows_are_records`) gets the decision
made for it: the same change stamp is SKIP, a row whose compared fields are the ones agreed at
the last sync is FROM_LIST (only what the provider alone owns, like a payment status, can have
moved), anything else is reconciled from the row itself (its `fetch` answers from the page, no
request).
"""

import hashlib
import json

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


class ImporterHooks:
    """One record type back from one connection: the hooks, which `Importer` runs. Hooks marked
    "required" must be filled."""

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
