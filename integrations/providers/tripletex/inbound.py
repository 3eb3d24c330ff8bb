"""Payment status back from Tripletex, in seconds.

Webhooks: on connect we subscribe (`POST /event/subscription`, one per event, fact sheet §5)
to `invoice.charged` and the events that can mean a payment (`voucher.create`, and
`closeGroup.create` / `.delete`: postings matched, which includes OCR payments), each with
`hmacSharedSecret` = the connection's webhook secret. Tripletex posts `{subscriptionId, event,
id, value}` to `POST /api/webhooks/tripletex` with `idempotency-key` and `x-request-signature =
base64(HMAC-SHA512(secret, idempotency-key + "&" + raw body))`. The shared inbox stores the raw
request first, `verify` checks the signature against the connection's active secrets (constant
time) and answers the idempotency key as the event id, so a delivery sent twice is processed
once; `handle` then re-reads the invoices (`amountOutstanding`) rather than trusting the body.

Safety nets: a poll every `TRIPLETEX_POLL_MINUTES` and a nightly reconciliation. `GET /invoice`
has no `changedSince` (v2.74), so both read our open invoices by id (`id=1,2,...`, one request
per 1,000), which costs what is open, not what exists.

What a poll costs: one request per 1,000 open invoices (the list rows carry everything the
badge needs, `amount`, `amountOutstanding`, `invoiceDueDate`: no field forces a read of one
invoice), and per poll one query for the open contracts, one for their links (and one each
again for the rows read), one bulk write of the contracts whose state moved, one update of
"Last sync" of all read, and one insert of the log lines, however many changed.
"""

import hmac
import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.importing import log_events
from integrations.links import links_by_remote, local_records
from integrations.models import Connection, Link
from integrations.providers.tripletex import mappers
from integrations.providers.tripletex.client import TripletexClient
from integrations.webhooks import WebhookInvalid, active_secrets

logger = logging.getLogger("integrations.tripletex")

KEY = "tripletex"
SUBSCRIPTION = "subscription"  # Link record type: local id = event, remote id = subscription
OPEN_STATES = ("invoiced", "sent", "partly_paid", "overdue")
SIGNATURE_HEADER = "x-request-signature"
IDEMPOTENCY_HEADER = "idempotency-key"
ID_CHUNK = 1000  # invoice ids per `GET /invoice?id=...` (one page of the list)


# -- subscribing -------------------------------------------------------------------------------
def target_url():
    return f"{settings.APP_BASE_URL}{reverse('integrations:webhook', args=[KEY])}"


def subscribe_rollback_unsafe(provider, secret):
    """One subscription per payment event, with the HMAC secret; the ids are kept as Links
    (so an event names its connection). Already subscribed events are left alone."""
    client = TripletexClient(provider)
    existing = {link.local_id for link in Link.objects.filter(
        connection=provider.connection, record_type=SUBSCRIPTION)}
    made = []
    for event in mappers.PAYMENT_EVENTS:
        if event in existing:
            continue
        row = client.post_value("/event/subscription", mappers.subscription_payload(
            event, target_url=target_url(), secret=secret))
        Link.objects.update_or_create(
            connection=provider.connection, record_type=SUBSCRIPTION, local_id=event,
            defaults={"organization_id": provider.connection.organization_id,
                      "remote_id": str(row["id"]), "synced_at": timezone.now()})
        made.append(event)
    return made


# -- receiving ---------------------------------------------------------------------------------
def connections_for(payload):
    """The connection whose subscription the (unverified) event names."""
    if not isinstance(payload, dict) or payload.get("subscriptionId") in (None, ""):
        return []
    subscription = str(payload["subscriptionId"])[:100]
    return list(Connection.objects.filter(
        provider=KEY, links__record_type=SUBSCRIPTION, links__remote_id=subscription)
        .select_related("organization").distinct())


def verify(request, raw_body, connection):
    """The HMAC-SHA512 of idempotency-key & raw body under one of the connection's active
    secrets; returns the idempotency key (the event id the inbox dedupes on)."""
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        raise WebhookInvalid(f"The {IDEMPOTENCY_HEADER} header is missing.")
    signature = (request.headers.get(SIGNATURE_HEADER) or "").strip()
    if not signature:
        raise WebhookInvalid(f"The {SIGNATURE_HEADER} header is missing.")
    secrets = active_secrets(connection)
    if not secrets:
        raise WebhookInvalid("The connection has no active webhook secret; connect again.")
    matched = False
    for secret in secrets:
        expected = mappers.signature(secret, key, raw_body)
        matched |= hmac.compare_digest(expected.encode(), signature.encode())
    if not matched:
        raise WebhookInvalid("The signature does not match any active secret of this "
                             "connection.")
    return key


def handle(provider, event):
    """Re-read what the event is about: the invoice itself for `invoice.*`, else every open
    invoice of the connection (a matched posting does not say which invoice it settled)."""
    payload = json.loads(bytes(event.raw_body).decode("utf-8"))
    connection = provider.connection
    connection.refresh_from_db()
    if connection.status != Connection.Status.CONNECTED:
        return f"Ignored: the connection is {connection.status}."
    name = str(payload.get("event") or "event")
    ids = None
    if name.startswith("invoice.") and payload.get("id") is not None:
        ids = [str(payload["id"])]
    counts = refresh_open_invoices(provider, only=ids)
    return f"{name}: {counts['read']} invoice(s) read, {counts['updated']} contract(s) updated."


# -- reading invoices back ---------------------------------------------------------------------
def open_invoice_links(connection):
    """Links of the invoices whose contracts are not paid yet."""
    from contracts.models import Contract

    open_ids = [str(pk) for pk in Contract.objects.for_org(connection.organization)
                .filter(accounting_state__in=OPEN_STATES).values_list("pk", flat=True)]
    return list(Link.objects.filter(connection=connection, record_type="invoice",
                                    local_id__in=open_ids))


def refresh_open_invoices(provider, *, only=None):
    """Read the given invoices (default: every open one) and apply their payment state: one
    request per 1,000 ids (the ids bound the answer: no second page is asked for), then
    `apply_rows`. Returns {"read": n, "updated": n}."""
    connection = provider.connection
    ids = only if only is not None else [link.remote_id for link in
                                         open_invoice_links(connection)]
    rows = []
    client = TripletexClient(provider)
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        rows += client.request("GET", "/invoice", params={
            "id": ",".join(chunk), "invoiceDateFrom": "2000-01-01",
            "invoiceDateTo": "2100-01-01", "fields": mappers.INVOICE_FIELDS,
            "from": 0, "count": len(chunk)}).json().get("values") or []
    updated = apply_rows(connection, rows)
    Connection.objects.filter(pk=connection.pk).update(last_sync_at=timezone.now())
    return {"read": len(rows), "updated": updated}


def apply_rows(connection, rows):
    """Invoice rows onto their contracts: links and contracts in one query each, the contracts
    whose state moved in one bulk write and their log lines in one insert (no per-row logic
    needs a save). Returns how many contracts' state or amount paid changed."""
    from contracts.models import Contract
    from contracts.services import set_accounting_fields

    if not rows:
        return 0
    today = timezone.localdate()
    with transaction.atomic():
        links = links_by_remote(connection, "invoice", [row.get("id") for row in rows])
        # Locked for the transaction: a job writing the same contract waits for the write.
        contracts = local_records(Contract.objects.select_for_update(), connection.organization,
                                  [link.local_id for link in links.values()])
        touched, names, events, read = {}, set(), [], []
        for row in rows:
            link = links.get(str(row.get("id")))
            contract = contracts.get(link.local_id) if link is not None else None
            if contract is None:
                continue
            state = mappers.payment_state(row, today=today)
            before = (contract.accounting_state, contract.amount_paid)
            changed = set_accounting_fields(contract, state.state, state.contract_fields())
            read.append(contract.pk)
            if not changed:
                continue
            names.update(changed)
            touched[contract.pk] = contract
            if before != (contract.accounting_state, contract.amount_paid):
                events.append((contract.pk, f"{state.state}: paid {state.paid} of {state.total}",
                               {"invoice_id": str(row.get("id")), "state": state.state}))
        if touched:
            Contract.objects.bulk_update(list(touched.values()), sorted(names))
        # Every contract read was checked now (its page's "Last sync"), changed or not.
        Contract.objects.filter(pk__in=read).update(accounting_synced_at=timezone.now())
        log_events(connection, "payment", "payment.synced", events)
    return len(events)
