"""Visma eAccounting's webhook notifications at `POST /api/webhooks/visma` (fact sheet §8).

Visma's webhooks are beta and not offered in production, so polling carries the data; a
notification only wakes the same import sooner. It is thin: `{"Identifier", "VismaCustomerId",
"Entity", "Action", "Url", "ModifiedUtc", "RetryAttempt"}`; nothing in it is trusted beyond the
company and the entity, and what changed is read back from the API by the import.

Verification, with the connection's active webhook secrets (admin -> Webhook secrets; two at
once while rotating), given to Visma as both the webhook's `AuthenticationValue` (sent in the
header named by its `AuthenticationKey`, ours is `X-Hub-Webhook-Secret`) and its `SigningKey`:
- the custom header equals a secret (compared in constant time);
- `X-Hub-Signature` is HMAC-SHA256 under that secret of
  `{Action}_{Entity}_{Identifier}_{ModifiedUtc}_{Url}`, as base64 (Visma's sample verifier) or
  `sha256=<hex>`; the docs also say `sha1=`, which we do not accept (UNCONFIRMED either way);
- `ModifiedUtc` is no older than WEBHOOK_TOLERANCE_SECONDS plus the delays Visma's retries
  have waited by `RetryAttempt` (1 s, 17 s, 300 s, 5,000 s, 86,400 s), so its own retries get in
  and an old capture does not;
- the event id is `Identifier` (a retry keeps it), so the inbox takes each notification once.
"""

import base64
import hashlib
import hmac
import json
import time

from django.conf import settings

from integrations.models import Connection
from integrations.providers.visma_eaccounting import mappers
from integrations.webhooks import WebhookInvalid

KEY = "visma_eaccounting"
AUTH_HEADER = "X-Hub-Webhook-Secret"
SIGNATURE_HEADER = "X-Hub-Signature"
RETRY_DELAYS = (1, 17, 300, 5000, 86400)
ENTITIES = {"customer": "customer", "customerinvoice": "invoice"}
MAX_ID = 100


def signed_text(payload):
    return "_".join(str(payload.get(k) or "") for k in
                    ("Action", "Entity", "Identifier", "ModifiedUtc", "Url"))


def signature(secret, payload):
    """The `X-Hub-Signature` Visma sends for a notification (base64 of the HMAC)."""
    digest = hmac.new(secret.encode(), signed_text(payload).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _signature_matches(secret, payload, sent):
    digest = hmac.new(secret.encode(), signed_text(payload).encode(), hashlib.sha256).digest()
    sent = (sent or "").strip()
    if sent.lower().startswith("sha256="):
        return hmac.compare_digest(digest.hex().encode(), sent[7:].lower().encode())
    return hmac.compare_digest(base64.b64encode(digest), sent.encode())


def connections_for(payload) -> list:
    if not isinstance(payload, dict):
        return []
    company = str(payload.get("VismaCustomerId") or "").strip()
    if not company:
        return []
    return list(Connection.objects.filter(provider=KEY, remote_tenant_id=company)
                .select_related("organization"))


def _max_age(payload):
    try:
        attempt = max(0, min(int(payload.get("RetryAttempt") or 0), len(RETRY_DELAYS)))
    except (TypeError, ValueError):
        attempt = 0
    return settings.WEBHOOK_TOLERANCE_SECONDS + sum(RETRY_DELAYS[:attempt])


def verify(request, raw_body, connection) -> str:
    from integrations.webhooks.keys import active_secrets

    payload = json.loads(raw_body.decode("utf-8"))
    if not isinstance(payload, dict):
        raise WebhookInvalid("The body is not a Visma notification (a JSON object).")
    identifier = str(payload.get("Identifier") or "").strip()
    if not identifier or len(identifier) > MAX_ID or not identifier.isprintable():
        raise WebhookInvalid("Identifier is missing (or too long, or not printable).")
    modified = mappers.parse_utc(payload.get("ModifiedUtc"))
    if modified is None:
        raise WebhookInvalid("ModifiedUtc is missing or not a date-time.")
    age = time.time() - modified.timestamp()
    if age > _max_age(payload) or age < -settings.WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookInvalid(f"ModifiedUtc is {abs(int(age))} s from our clock, more than "
                             "WEBHOOK_TOLERANCE_SECONDS (plus Visma's retry delays) allows.")
    secrets = active_secrets(connection)
    if not secrets:
        raise WebhookInvalid("The connection has no active webhook secret; make one in admin "
                             "(Integrations -> Webhook secrets).")
    sent_secret = request.headers.get(AUTH_HEADER) or ""
    sent_signature = request.headers.get(SIGNATURE_HEADER) or ""
    matched = False
    for secret in secrets:  # every one is tried: the timing does not tell which matched
        same_secret = hmac.compare_digest(secret.encode(), sent_secret.encode())
        signed = _signature_matches(secret, payload, sent_signature)
        matched = matched or (same_secret and signed)
    if not matched:
        raise WebhookInvalid(f"{AUTH_HEADER} and {SIGNATURE_HEADER} do not match an active "
                             "secret of this connection.")
    return identifier


def handle(provider, event):
    """Wake the import of the entity's record type (the body is not read further)."""
    payload = json.loads(bytes(event.raw_body).decode("utf-8"))
    record_type = ENTITIES.get(str(payload.get("Entity") or "").lower())
    if record_type is None:
        return f"Ignored: we do not import {str(payload.get('Entity'))[:40]!r}."
    counts = provider.poll(record_types=[record_type])
    return f"Imported {record_type} changes: {counts.get(record_type)}"


def register(provider, *, secret, endpoint=None):
    """Ask Visma to call us (`POST /v2/webhooks`, beta: the sandbox has it, production does
    not) for customer and invoice changes of the connection's company, with `secret` (one of
    the connection's webhook secrets) as the header value and the signing key. Visma makes a
    test call first and refuses the registration unless we answer it."""
    from integrations.providers.visma_eaccounting.client import VismaClient

    body = {"Endpoint": endpoint or f"{settings.APP_BASE_URL}/api/webhooks/visma",
            "Description": "Nordic accounting hub", "Active": True,
            "AuthenticationKey": AUTH_HEADER, "AuthenticationValue": secret,
            "SigningKey": secret,
            "Subscriptions": [{"SubscriptionType": 2}, {"SubscriptionType": 3}]}
    return VismaClient(provider).send("POST", "/v2/webhooks", body)
