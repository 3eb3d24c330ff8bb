"""Records coming back from a provider, with last write wins and the losing values kept.

A provider subclasses `Importer` per record type and fills the hooks; `import_changes` runs
them from each type's cursor and moves the cursor only after a run went through.

Where each part lives:
- `hooks.py`: the hooks a provider fills (`ImporterHooks`) and their defaults, the outcomes
  and the row decisions (FETCH, SKIP, FROM_LIST);
- `records.py`: one record applied (`RecordImporter`): adopted, created, or reconciled with
  last write wins, the conflict logged;
- `pages.py`: a run page by page (`Importer`), a page of new records made at once;
- `bulk.py`: page-at-once reads and writes that pollers use too (`linked_locals`,
  `bulk_write`, `log_events`, `mark_overdue`);
- `runs.py`: runs from the cursors (`import_changes`);
- `invoices.py`: what every importer of our invoices with lines shares (`InvoicesWithLines`);
- `values.py`: amounts and dates as providers send them (`decimal`, `parse_date`).
"""

from integrations.importing.bulk import bulk_write, linked_locals, log_events, mark_overdue
from integrations.importing.hooks import (
    CONFLICT,
    CREATED,
    FETCH,
    FROM_LIST,
    LOCAL,
    PAGE,
    SKIP,
    UNCHANGED,
    UPDATED,
    ImporterHooks,
    digest,
    empty_counts,
    parse_reference,
)
from integrations.importing.invoices import InvoicesWithLines
from integrations.importing.pages import Importer
from integrations.importing.records import RecordImporter
from integrations.importing.runs import cursor_time, import_changes

__all__ = [
    "CONFLICT", "CREATED", "FETCH", "FROM_LIST", "LOCAL", "PAGE", "SKIP", "UNCHANGED", "UPDATED",
    "Importer", "ImporterHooks", "InvoicesWithLines", "RecordImporter", "bulk_write",
    "cursor_time", "digest", "empty_counts", "import_changes", "linked_locals", "log_events",
    "mark_overdue", "parse_reference",
]
