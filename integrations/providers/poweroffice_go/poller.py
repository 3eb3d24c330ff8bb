"""Payment status back from PowerOffice Go. v2 has no webhooks, so a schedule asks each
connection for the outgoing invoices whose balance changed since its cursor
(`balanceLastChangedDateTimeOffsetGreaterThan`, exclusive): when nothing changed that is one
request answering 204, so the cost follows what changed, not what is open. Every request goes
through the limiter shared by all workers, keyed by our subscription key (10 per second for all
customers together), at background priority, so a person's click is served first.

The schedule is the core poll loop (`integrations.inbound`), which calls `PowerOfficeGo.poll`
for each connected connection; a relay webhook (`POST /api/accounting/pogo/webhook`) only wakes
the same poll early.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.inbound import mark_polled, move_cursor, read_cursor
from integrations.links import find_link_by_remote
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
from integrations.providers.poweroffice_go.operations import KEY, apply_invoice
from integrations.providers.poweroffice_go.provider import PowerOfficeGo
from integrations.synclog import log_event

logger = logging.getLogger("integrations.poweroffice_go")

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
    updated = 0
    newest = start
    with transaction.atomic():
        for row in rows:
            stamp = row.get("BalanceLastChangedDateTimeOffset")
            if stamp and _parse(stamp) > _parse(newest):
                newest = stamp
            if _apply_row(connection, row):
                updated += 1
        if since is None:
            move_cursor(connection, CURSOR, newest)
        mark_polled(connection)
    mark_overdue(connection)
    return {"changed": len(rows), "updated": updated}


def _contract_id_for(connection, row):
    link = (find_link_by_remote(connection, "invoice", row.get("Id"))
            or find_link_by_remote(connection, "order", row.get("Id")))
    return link.local_id if link else None


def _apply_row(connection, row):
    contract_id = _contract_id_for(connection, row)
    if contract_id is None:
        return False  # an invoice made in Go by hand, not one of ours
    from contracts.models import Contract

    before = (Contract.objects.for_org(connection.organization).filter(pk=contract_id)
              .values_list("accounting_state", "amount_paid").first())
    contract, state = apply_invoice(connection, contract_id, row)
    if contract is None:
        return False
    if before and (before[0], before[1]) != (contract.accounting_state, contract.amount_paid):
        if state.state in PAYMENT_STATES:
            log_event(organization_id=connection.organization_id, provider=KEY,
                      entity="invoice", action="payment.synced", status="ok",
                      connection=connection, local_id=contract_id,
                      message=f"{contract.get_accounting_state_display()}: paid {state.paid} "
                              f"of {state.total}",
                      details={"invoice_id": str(row.get("Id")), "balance": str(row.get("Balance")),
                               "state": state.state})
        return True
    return False


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

