"""Inbound webhooks: one verifier and inbox for every endpoint.

Signature scheme (what a sender must do; `signing.sign` does it):

    X-Hub-Timestamp: <unix time in whole seconds, UTC>
    X-Hub-Event-Id:  <the sender's unique id of this event, at most 150 characters>
    X-Hub-Signature: sha256=<hex HMAC-SHA256 of  b"<timestamp>.<event id>." + raw body>

The HMAC key is the connection's webhook secret (UTF-8). Every active secret of the connection
is tried with a constant-time compare (two are active while a secret is rotated). A timestamp
further than `WEBHOOK_TOLERANCE_SECONDS` from our clock, either way, is refused.

Every request is stored in the inbox (`WebhookEvent`: raw body, headers without credentials);
a verified event's id is unique per connection, so a repeated delivery answers 200 and is not
processed again. Processing runs in the queue (`integrations.tasks.process_webhook_event`).

Public names:
- `receive(request, *, provider, find_connection, handle)`: the endpoint's whole body.
- `new_secret(connection, *, label="", overlap=None) -> str`: make (or rotate to) a new secret;
  the plaintext is returned once. `retire_secret(secret, at=None)`, `active_secrets(connection)`.
- `sign(secret, timestamp, event_id, raw_body) -> "sha256=..."`: for senders and tests.
"""

from integrations.webhooks.inbox import process_event, receive
from integrations.webhooks.keys import active_secrets, new_secret, retire_secret
from integrations.webhooks.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

__all__ = [
    "EVENT_ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "active_secrets", "new_secret",
    "process_event", "receive", "retire_secret", "sign",
]
