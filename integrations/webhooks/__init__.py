"""Inbound webhooks: one endpoint, inbox and queue for every provider.

`POST /api/webhooks/<provider>` (`integrations.views.webhooks`) runs `inbox.receive`: store the
raw request, verify it with the provider's hook, dedupe, queue. The provider fills three hooks
(`integrations.providers.base.Provider`): `webhook_connections` (which connection an event
names), `webhook_verify` (default: our scheme below) and `handle_webhook` (in the queue).

Our signature scheme (what a relay must do; `sign` does it):

    X-Hub-Timestamp: <unix time in whole seconds, UTC>
    X-Hub-Event-Id:  <the sender's unique id of this event, at most 150 characters>
    X-Hub-Signature: sha256=<hex HMAC-SHA256 of  b"<timestamp>.<event id>." + raw body>

The HMAC key is the connection's webhook secret (UTF-8). Every active secret of the connection
is tried with a constant-time compare (two are active while a secret is rotated). A timestamp
further than `WEBHOOK_TOLERANCE_SECONDS` from our clock, either way, is refused.

Every request is stored in the inbox (`WebhookEvent`: raw body, headers without credentials);
a verified event's id is unique per connection, so a repeated delivery answers 200 and is not
processed again once processed. Processing runs in the queue and is retried with the engine's
backoff until it succeeds or becomes a dead letter (`processing`); the sweeper re-queues what
is due (`redispatch_due_events`) and queues the tasks of accepted events (`relay_accepted`);
failed and dead events are replayed by hand (`replay_event`, `manage.py replay_webhooks`, the
inbox's admin action).

Public names:
- `receive(request, provider_class) -> (status, body)`: the endpoint's whole sequence.
- `WebhookInvalid`: what a verify hook raises (answered 400).
- `verify_hub_signature(request, raw_body, connection) -> event id`: our scheme.
- `process_event(event_id)`, `redispatch_due_events()`, `replay_event(event)`,
  `relay_accepted()` (the sweep queues the tasks of events the endpoint accepted).
- `new_secret(connection, *, label="", overlap=None) -> str`: make (or rotate to) a new secret;
  the plaintext is returned once. `retire_secret(secret, at=None)`, `active_secrets(connection)`.
- `sign(secret, timestamp, event_id, raw_body) -> "sha256=..."`: for senders and tests.
- `lookup.remembered_connections(provider_key, tenant, load)`: for a `webhook_connections`
  hook, its query remembered per process for a few seconds (see `lookup` for the bounds).
"""

from integrations.webhooks.inbox import receive
from integrations.webhooks.keys import active_secrets, new_secret, retire_secret
from integrations.webhooks.processing import (
    process_event,
    redispatch_due_events,
    relay_accepted,
    replay_event,
)
from integrations.webhooks.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookInvalid,
    sign,
    verify_hub_signature,
)

__all__ = [
    "EVENT_ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookInvalid",
    "active_secrets", "new_secret", "process_event", "receive", "redispatch_due_events",
    "relay_accepted", "replay_event", "retire_secret", "sign", "verify_hub_signature",
]
