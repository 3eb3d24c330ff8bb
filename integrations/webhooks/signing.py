"""The signature scheme of our inbound webhooks: pure functions, and `verify_hub_signature`,
the default `Provider.webhook_verify` hook that applies them to a request and a connection.

The sender signs `b"<timestamp>.<event id>." + raw body` with HMAC-SHA256 under the shared
secret and sends `X-Hub-Signature: sha256=<lowercase hex>`, `X-Hub-Timestamp: <unix seconds>`
and `X-Hub-Event-Id: <id>`. The timestamp is signed so that a captured request cannot be
replayed later, and the event id so that it cannot be replayed now under a fresh id.
"""

import hashlib
import hmac
import time

from django.conf import settings

SIGNATURE_HEADER = "X-Hub-Signature"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
EVENT_ID_HEADER = "X-Hub-Event-Id"
PREFIX = "sha256="


class WebhookInvalid(Exception):
    """Why a request was refused, in words for the inbox and the sender (never containing a
    secret). A provider's `webhook_verify` raises it; the endpoint answers 400."""


MAX_EVENT_ID = 150


def signed_bytes(timestamp, event_id, raw_body: bytes) -> bytes:
    return f"{timestamp}.{event_id}.".encode() + raw_body


def sign(secret: str, timestamp, event_id, raw_body: bytes) -> str:
    """The `X-Hub-Signature` value for a body: what a sender (or a test) puts in the header."""
    digest = hmac.new(secret.encode(), signed_bytes(timestamp, event_id, raw_body),
                      hashlib.sha256).hexdigest()
    return PREFIX + digest


def parse_timestamp(value) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise WebhookInvalid(f"{TIMESTAMP_HEADER} must be whole seconds since 1970 (UTC).") \
            from None


def check_timestamp(timestamp: int, *, now: float, tolerance: int):
    """Refuse events signed too long ago (a replay) or too far ahead (a wrong clock)."""
    if abs(now - timestamp) > tolerance:
        direction = "old" if timestamp < now else "far in the future"
        raise WebhookInvalid(
            f"{TIMESTAMP_HEADER} is {direction}: {abs(int(now - timestamp))} s from our clock, "
            f"more than the {tolerance} s allowed (WEBHOOK_TOLERANCE_SECONDS).")


def matching_secret(signature: str, *, timestamp, event_id, raw_body: bytes, secrets):
    """The first of `secrets` that produced `signature`, compared in constant time; every
    secret is tried, so the answer's timing does not say which one matched."""
    if not signature or not signature.isascii() or not signature.startswith(PREFIX):
        raise WebhookInvalid(f"{SIGNATURE_HEADER} is missing or not of the form "
                               f"'{PREFIX}<hex>'.")
    found = None
    for secret in secrets:
        expected = sign(secret, timestamp, event_id, raw_body)
        if hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            found = found or secret
    if found is None:
        raise WebhookInvalid("The signature does not match any active secret of this "
                               "connection.")
    return found


def verify_hub_signature(request, raw_body: bytes, connection) -> str:
    """Our scheme, for `connection`: the timestamp within `WEBHOOK_TOLERANCE_SECONDS`, the
    signature made by one of its active secrets. Returns the sender's event id."""
    from integrations.webhooks.keys import active_secrets

    headers = request.headers
    event_id = (headers.get(EVENT_ID_HEADER) or "").strip()
    if not event_id or len(event_id) > MAX_EVENT_ID or not event_id.isprintable():
        raise WebhookInvalid(f"{EVENT_ID_HEADER} is missing (or longer than {MAX_EVENT_ID}, "
                             "or not printable).")
    timestamp = parse_timestamp(headers.get(TIMESTAMP_HEADER))
    check_timestamp(timestamp, now=time.time(), tolerance=settings.WEBHOOK_TOLERANCE_SECONDS)
    secrets = active_secrets(connection)
    if not secrets:
        raise WebhookInvalid("The connection has no active webhook secret; make one in admin "
                             "(Integrations -> Webhook secrets).")
    matching_secret(headers.get(SIGNATURE_HEADER, ""), timestamp=timestamp, event_id=event_id,
                    raw_body=raw_body, secrets=secrets)
    return event_id
