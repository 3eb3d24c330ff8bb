"""Relayed events for PowerOffice Go, at `POST /api/webhooks/poweroffice_go` and at the older
`POST /api/accounting/pogo/webhook` (the same generic endpoint, see `integrations.webhooks`).

PowerOffice Go v2 sends no webhooks itself (fact sheet §12), but a customer may run a relay
(e.g. an iPaaS watching Go) that posts events to us. Such an event only says "something about
this client changed": it is verified and stored like every webhook (our HMAC-SHA256 scheme over
timestamp, event id and raw body with the connection's secret, stale timestamps and replays
refused) and then wakes the same payment poll the schedule runs, so the data always comes from
Go's API, never from the relay's body.

The event names the client by PowerOffice Go's ClientId (not a secret; shown on the settings
page after a connection test): `{"ClientId": "<guid>", "Type": "OutgoingInvoice.Changed", ...}`.
"""

import json

from integrations.models import Connection
from integrations.providers.poweroffice_go.provider import KEY
from integrations.views.webhooks import WebhookView

# The relay's older URL, routed to the generic endpoint (`urls.py` fixes the provider).
endpoint = WebhookView.as_view()


def connections_for(payload) -> list:
    """The connections of the client the (still unverified) event names."""
    if not isinstance(payload, dict):
        return []
    client_id = next((str(payload[k]).strip() for k in ("ClientId", "clientId", "client_id")
                      if payload.get(k) and isinstance(payload[k], (str, int))), "")
    if not client_id:
        return []
    return list(Connection.objects.filter(provider=KEY, remote_tenant_id__iexact=client_id)
                .select_related("organization"))


def handle(provider, event):
    """In the queue, once per verified event: poll this connection now. A failing poll raises,
    so the event is retried with the engine's backoff."""
    payload = json.loads(bytes(event.raw_body).decode("utf-8"))
    connection = provider.connection
    connection.refresh_from_db()
    if connection.status != Connection.Status.CONNECTED:
        return f"Ignored: the connection is {connection.status}."
    if provider.can_import():
        result = provider.poll()
    else:
        from integrations.providers.poweroffice_go.poller import poll_connection

        result = poll_connection(connection)
    kind = (payload.get("Type") if isinstance(payload, dict) else None) or "event"
    # `poll()` answers {record type: counts}; the poller's own answer is the counts
    counts = result.get("payment", result) if isinstance(result, dict) else None
    updated = counts.get("updated") if isinstance(counts, dict) else None
    if updated is None:
        return f"{kind}: polled."
    return f"{kind}: polled, {updated} contract(s) updated."
