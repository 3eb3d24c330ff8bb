"""Receiving one webhook request: the fixed sequence of the endpoint, for every provider.

1. Store the raw request first (`WebhookEvent`, status `received`): the body as bytes, the
   headers without credentials, NUL characters and lone surrogates written as escapes, so that
   whatever arrives is kept (PostgreSQL refuses both in text).
2. Parse the body (JSON in UTF-8; anything else, JSON nested too deeply, or strings holding NUL
   or unpaired surrogates are refused).
3. Ask the provider which connection(s) the still unverified event names
   (`webhook_connections`), and verify it for one of them (`webhook_verify`, by default our
   HMAC scheme), which gives the sender's event id.
4. Dedupe by (connection, event id) and queue processing in the same transaction, then answer
   200 at once.

A refused request answers 400 (the sender should not retry what will never verify). Refused
events are stored without their claimed event id: the inbox's unique id must only ever be taken
by a verified event, or a forger could make us drop the real one as a duplicate. The stored id
is prefixed with the connection's id for the same reason across organizations.

A verified event sent again answers 200: "duplicate" when it was processed, "queued_again"
when it was not yet (it is queued again at once if it was waiting for a retry, failed or dead).
"""

import ipaddress
import json
import logging
import re
from collections.abc import Iterable

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import WebhookEvent
from integrations.webhooks import processing
from integrations.webhooks.processing import storable_text
from integrations.webhooks.signing import MAX_EVENT_ID, WebhookInvalid

logger = logging.getLogger("integrations.webhooks")

S = WebhookEvent.Status
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADERS = 60
# Headers that authenticate someone are never stored; the signature is an HMAC, not a secret.
_SECRET_HEADER = re.compile(r"(?i)authorization|cookie|token|secret|api[-_]?key|password|"
                            r"subscription[-_]?key|authentication[-_]?value")


class Outcome:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    QUEUED_AGAIN = "queued_again"
    REFUSED = "refused"


def _stored_headers(request) -> dict:
    headers = {}
    for name, value in list(request.headers.items())[:MAX_HEADERS]:
        if not _SECRET_HEADER.search(name):
            headers[storable_text(name, 100)] = storable_text(value, 500)
    return headers


def _source_ip(request):
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _candidates(found) -> list:
    if found is None:
        return []
    if isinstance(found, Iterable) and not hasattr(found, "_meta"):
        return list(found)
    return [found]


def _store_raw(provider_key, request, raw: bytes) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider=provider_key, raw_body=raw[:MAX_BODY_BYTES], headers=_stored_headers(request),
        source_ip=_source_ip(request), status=S.RECEIVED,
    )


def _refuse(event, reason, *, connection=None, status=400):
    reason = storable_text(reason, 1000)
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=S.REFUSED, valid=False, error=reason, connection=connection,
        organization_id=connection.organization_id if connection is not None else None)
    logger.warning("webhook %s refused: %s", event.provider, reason)
    return status, {"status": Outcome.REFUSED, "error": reason}


def _holds_unstorable_text(payload) -> bool:
    """Whether a string in the payload holds NUL or a lone surrogate, which no database query
    of the provider's hooks could take. Walked without recursion: the payload may be as deep
    as the parser allows."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _checked_event_id(value) -> str:
    event_id = str(value or "").strip()
    if not event_id or len(event_id) > MAX_EVENT_ID or not event_id.isprintable():
        raise WebhookInvalid(f"The event id is missing, longer than {MAX_EVENT_ID} characters "
                             "or not printable.")
    return event_id


def receive(request, provider_class) -> tuple[int, dict]:
    """Store, verify, dedupe and queue one inbound request for `provider_class` (registered,
    and it `receives_webhooks()`). Returns (HTTP status, JSON body)."""
    http_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    try:
        raw = http_request.body
    except RequestDataTooBig:
        event = _store_raw(provider_class.key, http_request, b"")
        return _refuse(event, "The body is too large.", status=413)
    event = _store_raw(provider_class.key, http_request, raw)
    if len(raw) > MAX_BODY_BYTES:
        return _refuse(event, "The body is too large.", status=413)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except RecursionError:
        return _refuse(event, "The body is JSON nested too deeply.")
    except (UnicodeDecodeError, ValueError):
        return _refuse(event, "The body is not JSON (UTF-8).")
    if _holds_unstorable_text(payload):
        return _refuse(event, "The body holds NUL characters or unpaired surrogates.")
    try:
        candidates = _candidates(provider_class.webhook_connections(payload, http_request))
    except WebhookInvalid as exc:
        return _refuse(event, str(exc))
    if not candidates:
        return _refuse(event, "The event names no connection we know (unknown tenant).")
    connection, event_id, reason = None, "", ""
    for candidate in candidates:
        try:
            event_id = _checked_event_id(
                provider_class.webhook_verify(http_request, raw, candidate))
        except WebhookInvalid as exc:
            reason = str(exc)
            continue
        connection = candidate
        break
    if connection is None:
        return _refuse(event, reason or "The request could not be verified.",
                       connection=candidates[0] if len(candidates) == 1 else None)
    return _accept(event, connection=connection, event_id=event_id)


def _accept(event, *, connection, event_id):
    unique_id = f"{connection.pk}:{event_id}"
    verified = {"valid": True, "connection": connection,
                "organization_id": connection.organization_id}
    try:
        with transaction.atomic():
            WebhookEvent.objects.filter(pk=event.pk).update(provider_event_id=unique_id,
                                                            **verified)
            processing.queue_new_event(event.pk, event.provider, now=timezone.now())
    except IntegrityError:
        return _resent(event, unique_id=unique_id, verified=verified)
    logger.info("webhook %s event %s stored as %s", event.provider, event_id, event.pk)
    return 200, {"status": Outcome.ACCEPTED, "event": str(event.pk)}


def _resent(event, *, unique_id, verified):
    """The same event again: this request's row stays as a record of the delivery."""
    original = WebhookEvent.objects.filter(provider=event.provider,
                                           provider_event_id=unique_id).first()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=S.DUPLICATE, **verified,
        error=f"Sent again: the event is {original.pk}." if original else "Sent again.")
    if original is None or original.status == S.PROCESSED:
        logger.info("webhook %s event %s: duplicate, not processed again", event.provider,
                    unique_id)
        return 200, {"status": Outcome.DUPLICATE}
    requeued = processing.queue_resent(original)
    logger.info("webhook %s event %s sent again before it was processed: %s", event.provider,
                unique_id, "queued again" if requeued else f"already {original.status}")
    return 200, {"status": Outcome.QUEUED_AGAIN, "event": str(original.pk)}
