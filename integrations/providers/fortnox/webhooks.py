"""Fortnox's inbound events: which connection an event is for, and what it makes us do.

Fortnox sends developer-portal events only for consent ("consent created", "consent revoked"),
carrying the tenant id; data changes come by polling (and, later, its WebSocket topics, whose
events look like `{"topic": "invoices", "type": "invoice-updated-v1", "tenantId": ...,
"entityId": ...}`). Both arrive at `/api/webhooks/fortnox` relayed and signed with our scheme
(the default `webhook_verify`, see `integrations.webhooks`). Fortnox's own payload format for
the consent events is not published, so the names below accept the spellings seen
(`tenantId`/`TenantId`, `type`/`eventType`).
"""

import json
import re

from django.utils.translation import gettext_noop

from integrations.credentials import mark_needs_reauth
from integrations.models import Connection
from integrations.synclog import log_event
from integrations.webhooks.lookup import remembered_connections

KEY = "fortnox"
# Topic (or the first word of an event type) -> our record type.
TOPICS = {
    "invoices": "invoice", "invoice": "invoice",
    "customers": "customer", "customer": "customer",
    "offers": "quote", "offer": "quote",
    "projects": "project", "project": "project",
}
REVOKED_REASON = gettext_noop(
    "Fortnox reported that the consent for this integration was revoked in Fortnox. Nothing is "
    "sent until someone connects again: Integrations -> Fortnox -> Reconnect (a Fortnox user "
    "with administrator rights must approve).")


def _field(payload, *names):
    for name in names:
        value = payload.get(name)
        if value not in (None, "") and not isinstance(value, (dict, list)):
            return str(value).strip()
    return ""


def _kind(payload):
    return re.sub(r"[^a-z]", "", _field(payload, "type", "eventType", "event", "Type").lower())


def connections_for(payload) -> list:
    """The connections of the tenant the (still unverified) event names."""
    if not isinstance(payload, dict):
        return []
    tenant = _field(payload, "tenantId", "TenantId", "tenant_id", "tenant")
    if not tenant:
        return []
    # Remembered for a few seconds per process: read on every event, changed seldom.
    return remembered_connections(
        KEY, tenant, lambda: list(Connection.objects.filter(provider=KEY, remote_tenant_id=tenant)
                                  .select_related("organization")))


def handle(provider, event):
    """One verified event, in the queue. Returns a note for the sync log, or None."""
    payload = json.loads(bytes(event.raw_body).decode("utf-8"))
    kind = _kind(payload)
    if kind.startswith("consentrevoked"):
        return _consent_revoked(provider.connection, event)
    if kind.startswith("consentcreated"):
        return "Fortnox reported a new consent for this tenant."
    topic = _field(payload, "topic").lower()
    entity_id = _field(payload, "entityId", "EntityId", "entity_id")
    first_word = _field(payload, "type").lower().split("-")[0]
    record_type = TOPICS.get(topic) or TOPICS.get(first_word)
    if "payment" in kind:
        record_type = None  # a payment's id is not its invoice's; the poll brings payments
    if record_type is None or not entity_id:
        return f"Ignored event type {kind or '?'}."
    if not provider.capabilities.imports(record_type):
        return f"{provider.name} does not import {record_type}."
    provider.import_record(record_type, entity_id)
    return None


def _consent_revoked(connection, event):
    connection.refresh_from_db()
    if connection.status != Connection.Status.CONNECTED:
        return "Consent revoked; the connection was not connected."
    if connection.connected_at and connection.connected_at > event.received_at:
        # Connected again after the event was sent: the revocation is old news.
        return "Consent revoked before the latest connect; ignored."
    mark_needs_reauth(connection, reason=REVOKED_REASON)
    log_event(organization_id=connection.organization_id, provider=connection.provider,
              entity="connection", action="consent.revoked", status="failed",
              message=REVOKED_REASON, connection=connection)
    return None
