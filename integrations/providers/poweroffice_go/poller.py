"""Payment status back from PowerOffice Go. v2 has no webhooks, so a schedule asks each
connection for the outgoing invoices whose balance changed since its cursor
(`balanceLastChangedDateTimeOffsetGreaterThan`, exclusive): when nothing changed that is one
request answering 204, so the cost follows what changed, not what is open. Every request goes
through the limiter shared by all workers, keyed by our subscription key (10 per second for all
customers together), at background priority, so a person's click is served first.

The schedule is the core poll loop (`integrations.inbound`), which calls `PowerOfficeGo.poll`
for each connected connection; a relay webhook (`POST /api/accounting/pogo/webhook`) only wakes
the same poll early.

What a poll costs: one request per page of changed invoices (1,000 rows; one 204 when nothing
changed), and per page of rows one query for their links, one for their contracts and one bulk
write of the contracts (plus one insert of the payment log lines), however many rows it has.
The balance list carries everything the badge needs (Balance, TotalAmount, DueDate, InvoiceNo),
so no field forces a read of one invoice.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.importing import log_events
from integrations.inbound import mark_polled, move_cursor, read_cursor
from integrations.links import links_by_remote, local_records
from integrations.providers.poweroffice_go import mappers
from integrations.providers.poweroffice_go.client import PAGE_SIZE, PowerOfficeGoClient
from integrations.providers.poweroffice_go.provider import PowerOfficeGo

CURSOR = "outgoing_invoice_balance"
FIELDS = ("Id,InvoiceNo,Balance,TotalAmount,TotalPostedAmount,DueDate,"
          "BalanceLastChangedDateTimeOffset,MatchId,CustomMatchingReference")
PAYMENT_STATES = {"partly_paid", "paid"}


def _parse(value):
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _start_cursor(connection):
    since = connection.connected_at or timezone.now()
    return (since - timedelta(minutes=5)).isoformat()


def poll_connection(connection, *, since=None):
    """One poll of one connection, from its cursor, or from `since` (a re-read asked for by
    hand, which leaves the cursor where the schedule has it). Returns {"changed": n,
    "updated": n}. The cursor moves in the transaction that applies the rows, so a failure
    anywhere leaves it where it was."""
    cursor = read_cursor(connection, CURSOR, default=_start_cursor(connection))
    start = since.isoformat() if since else cursor
    client = PowerOfficeGoClient(PowerOfficeGo(connection))
    rows = client.list("/OutgoingInvoices", {
        "balanceLastChangedDateTimeOffsetGreaterThan": start, "Fields": FIELDS})
    newest = start
    for row in rows:
        stamp = row.get("BalanceLastChangedDateTimeOffset")
        if stamp and _parse(stamp) > _parse(newest):
            newest = stamp
    updated = 0
    with transaction.atomic():
        for first in range(0, len(rows), PAGE_SIZE):
            updated += _apply_page(connection, rows[first:first + PAGE_SIZE])
        if since is None:
            move_cursor(connection, CURSOR, newest)
        mark_polled(connection)
    mark_overdue(connection)
    return {"changed": len(rows), "updated": updated}


def _apply_page(connection, rows):
    """A page of balance rows onto their contracts: links, contracts, the write and the log
    lines in one query each. Rows of invoices made in Go by hand (no link) are left alone."""
    from contracts.models import Contract
    from contracts.services import set_accounting_fields

    links = links_by_remote(connection, ("invoice", "order"), [row.get("Id") for row in rows])
    # Locked for the page's transaction: a job writing a contract's order or invoice fields at
    # the same time waits, instead of being overwritten by the bulk write below.
    contracts = local_records(Contract.objects.select_for_update(), connection.organization,
                              [link.local_id for link in links.values()])
    today = timezone.localdate()
    touched, names, events, updated = {}, {"accounting_synced_at"}, [], 0
    for row in rows:
        link = links.get(str(row.get("Id") or ""))
        contract = contracts.get(link.local_id) if link is not None else None
        if contract is None:
            continue
        before = (contract.accounting_state, contract.amount_paid)
        state = mappers.payment_state(row, today=today)
        names.update(set_accounting_fields(contract, state.state, state.contract_fields()))
        touched[contract.pk] = contract
        if before == (contract.accounting_state, contract.amount_paid):
            continue
        updated += 1
        if state.state in PAYMENT_STATES:
            events.append(_payment_event(contract, row, state))
    if touched:
        Contract.objects.bulk_update(list(touched.values()), sorted(names))
    log_events(connection, "invoice", "payment.synced", events)
    return updated


def _payment_event(contract, row, state):
    """A payment's sync-log line, (local id, message, details) for `log_events`."""
    return (contract.pk,
            f"{contract.get_accounting_state_display()}: paid {state.paid} of {state.total}",
            {"invoice_id": str(row.get("Id")), "balance": str(row.get("Balance")),
             "state": state.state})


def mark_overdue(connection):
    """Invoices past their due date with money left are overdue. PowerOffice Go's balance feed
    does not move when a date passes, so this is decided here, without a request."""
    from contracts.models import AccountingState, Contract

    # Only the integration moves a contract to "sent" or "partly paid", so these are invoices
    # this organization sent through the accounting system.
    return (Contract.objects.for_org(connection.organization)
            .filter(accounting_state__in=[AccountingState.SENT,
                                                       AccountingState.PARTLY_PAID],
                    invoice_due_date__lt=timezone.localdate(), amount_remaining__gt=0)
            .update(accounting_state=AccountingState.OVERDUE))

