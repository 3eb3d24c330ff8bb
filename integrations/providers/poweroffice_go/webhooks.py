"""`POST /api/accounting/pogo/webhook`: for relays that forward PowerOffice Go events.

PowerOffice Go v2 sends no webhooks itself (fact sheet §12), but a customer may run a relay
(e.g. an iPaaS watching Go) that posts events to us. Such an event only says "something about
this client changed": it is verified and stored like every webhook (`integrations.webhooks`:
HMAC-SHA256 over timestamp, event id and raw body with the connection's secret, stale
timestamps and replays refused) and then wakes the same payment poll the schedule runs, so the
data always comes from Go's API, never from the relay's body.

The event names the client by PowerOffice Go's ClientId (not a secret; shown on the settings
page after a connection test): `{"ClientId": "<guid>", "Type": "OutgoingInvoice.Changed", ...}`.
"""

import json

from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny

from integrations import webhooks
from integrations.models import Connection
from integrations.providers.poweroffice_go.provider import KEY


def find_connection(payload, request):
    if not isinstance(payload, dict):
        return None
    client_id = next((str(payload[k]).strip() for k in ("ClientId", "clientId", "client_id")
                      if payload.get(k)), "")
    if not client_id:
        return None
    return list(Connection.objects.filter(provider=KEY, remote_tenant_id__iexact=client_id)
                .select_related("organization"))


def handle(event, connection):
    """In the queue, once per verified event: poll this connection now."""
    from integrations.providers.poweroffice_go.poller import poll_connection

    payload = json.loads(bytes(event.raw_body).decode("utf-8"))
    if connection.status != Connection.Status.CONNECTED:
        return f"ignored: connection is {connection.status}"
    result = poll_connection(connection)
    return f"{payload.get('Type') or 'event'}: polled, {result['updated']} contract(s) updated"


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def webhook(request):
    return webhooks.receive(request, provider=KEY, find_connection=find_connection,
                            handle=handle)
