"""Receiving one webhook request: the fixed sequence of the endpoint, for every provider.

1. Read the raw request and parse the body (JSON in UTF-8; anything else, JSON nested too
   deeply, or strings holding NUL or unpaired surrogates are refused).
2. Ask the provider which connection(s) the still unverified event names
   (`webhook_connections`), and verify it for one of them (`webhook_verify`, by default our
   HMAC scheme), which gives the sender's event id. Connections and secrets are remembered per
   process for a few seconds (`lookup`); a refusal is always re-checked on fresh reads.
3. Store the request in the inbox (`WebhookEvent`), deduped by (connection, event id), and
   answer 200 at once: on PostgreSQL in ONE statement, `accepted`, its task queued by a sweep
   a moment later with others' (`accepting`, `processing.relay_accepted`); elsewhere (SQLite,
   tasks run at once) stored `queued` with its task in one transaction.

Every request is stored, whatever its bytes, exactly once and raw: the body as bytes, the
headers without credentials, NUL characters and lone surrogates written as escapes (PostgreSQL
refuses both in text). A refused one is stored as refused, a resent one as duplicate, and one
whose hooks crash as received with the error (then the 500 goes out), so whatever arrives is
kept. Storing after verifying, not before, is what makes an accepted event cost one statement:
a verified event is written once, with no update and no second commit. If storing it fails,
the request is kept as received (then the 500).

A refused request answers 400 (the sender should not retry what will never verify). Refused
events are stored without their claimed event id: the inbox's unique id must only ever be taken
by a verified event, or a forger could make us drop the real one as a duplicate. The stored id
is prefixed with the connection's id for the same reason across organizations.

A verified event sent again answers 200: "duplicate" when it was processed, "queued_again"
when it was not yet (it is queued again at once if it was waiting for a retry, failed or dead).
"""

import functools
import ipaddress
import json
import logging
import re
from collections.abc import Iterable

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.api import MAX_JSON_DEPTH, holds_unstorable_text, json_too_deep
from integrations.models import WebhookEvent
from integrations.webhooks import accepting, lookup, processing
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
        stored_name = _stored_name(name)
        if stored_name is not None:
            headers[stored_name] = _stored_value(value)
    return headers


@functools.lru_cache(maxsize=512)  # senders send the same few header names every time
def _stored_name(name):
    """The header's name as stored, or None for a header that authenticates someone."""
    return None if _SECRET_HEADER.search(name) else storable_text(name, 100)


def _stored_value(value: str) -> str:
    if len(value) <= 500 and value.isascii() and value.isprintable():
        return value  # what `storable_text` would return, without its copies
    return storable_text(value, 500)


def _source_ip(request):
    return _valid_ip(request.META.get("REMOTE_ADDR") or "")


@functools.lru_cache(maxsize=256)  # the same few senders (or one proxy) again and again
def _valid_ip(value):
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


class _Refused(Exception):
    def __init__(self, reason, *, connection=None, status=400):
        super().__init__(reason)
        self.reason, self.connection, self.status = reason, connection, status


def _event(provider_key, request, raw: bytes, *, connection=None, **fields) -> WebhookEvent:
    """The request's one row in the inbox (raw body and headers as they arrived), unsaved."""
    return WebhookEvent(**_values(provider_key, request, raw, connection=connection, **fields))


def _values(provider_key, request, raw: bytes, *, connection=None, **fields) -> dict:
    """`_event`'s fields, by attribute name."""
    return dict(
        provider=provider_key, raw_body=raw[:MAX_BODY_BYTES], headers=_stored_headers(request),
        source_ip=_source_ip(request), connection_id=connection.pk if connection else None,
        organization_id=connection.organization_id if connection is not None else None,
        **fields)


def _store(provider_key, request, raw: bytes, **fields) -> WebhookEvent:
    event = _event(provider_key, request, raw, **fields)
    event.save(force_insert=True)
    return event


def _refuse(provider_key, request, raw, refused: _Refused):
    reason = storable_text(refused.reason, 1000)
    _store(provider_key, request, raw, connection=refused.connection, status=S.REFUSED,
           valid=False, error=reason)
    logger.warning("webhook %s refused: %s", provider_key, reason)
    return refused.status, {"status": Outcome.REFUSED, "error": reason}


def _checked_event_id(value) -> str:
    event_id = str(value or "").strip()
    if not event_id or len(event_id) > MAX_EVENT_ID or not event_id.isprintable():
        raise WebhookInvalid(f"The event id is missing, longer than {MAX_EVENT_ID} characters "
                             "or not printable.")
    return event_id


def receive(request, provider_class) -> tuple[int, dict]:
    """Verify, store, dedupe and queue one inbound request for `provider_class` (registered,
    and it `receives_webhooks()`). Returns (HTTP status, JSON body)."""
    http_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    key = provider_class.key
    try:
        raw = http_request.body
    except RequestDataTooBig:
        return _refuse(key, http_request, b"", _Refused("The body is too large.", status=413))
    try:
        connection, event_id = _verified_fresh_before_refusing(provider_class, http_request, raw)
    except _Refused as refused:
        return _refuse(key, http_request, raw, refused)
    except Exception as exc:
        _keep_after_crash(key, http_request, raw, exc)
        raise
    return _accept(key, http_request, raw, connection=connection, event_id=event_id)


def _verified_fresh_before_refusing(provider_class, http_request, raw):
    """`_verified`, with the connections and secrets each process remembers for a few seconds
    (`lookup`); a refusal is never based on them: it is checked again on fresh reads."""
    with lookup.tracking() as remembered:
        try:
            return _verified(provider_class, http_request, raw)
        except _Refused:
            if not remembered:
                raise
    with lookup.fresh_only():
        return _verified(provider_class, http_request, raw)


def _verified(provider_class, http_request, raw):
    """(connection, event id) of a request that verifies; raises `_Refused` with the reason."""
    if len(raw) > MAX_BODY_BYTES:
        raise _Refused("The body is too large.", status=413)
    if json_too_deep(raw):  # before parsing: a deep body never reaches the recursive parser
        raise _Refused(f"The body is JSON nested too deeply (more than {MAX_JSON_DEPTH} "
                       "levels).")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise _Refused("The body is JSON nested too deeply.") from None
    except (UnicodeDecodeError, ValueError):
        raise _Refused("The body is not JSON (UTF-8).") from None
    if holds_unstorable_text(payload):
        raise _Refused("The body holds NUL characters or unpaired surrogates.")
    try:
        candidates = _candidates(provider_class.webhook_connections(payload, http_request))
    except WebhookInvalid as exc:
        raise _Refused(str(exc)) from None
    if not candidates:
        raise _Refused("The event names no connection we know (unknown tenant).")
    reason = ""
    for candidate in candidates:
        try:
            return candidate, _checked_event_id(
                provider_class.webhook_verify(http_request, raw, candidate))
        except WebhookInvalid as exc:
            reason = str(exc)
    raise _Refused(reason or "The request could not be verified.",
                   connection=candidates[0] if len(candidates) == 1 else None)


def _keep_after_crash(provider_key, http_request, raw, exc):
    """Something crashed: keep the request (as received, not verified) before the 500."""
    try:
        _store(provider_key, http_request, raw, status=S.RECEIVED,
               error=storable_text(f"{type(exc).__name__}: {exc}", 1000))
    except Exception:  # the database itself may be what failed; the 500 says the rest
        logger.exception("webhook %s could not be stored", provider_key)


def _accept(provider_key, http_request, raw, *, connection, event_id):
    unique_id = f"{connection.pk}:{event_id}"
    fast = accepting.available()  # one statement; the sweep queues its task
    state = processing.new_event_accepted if fast else processing.new_event_queued
    values = _values(provider_key, http_request, raw, connection=connection, valid=True,
                     provider_event_id=unique_id, **state(now=timezone.now()))
    try:
        if fast:  # the row's values go straight to the statement, no model instance
            values = accepting.row(values)
            stored, pk = accepting.insert_accepted(values), values["id"]
        else:
            event = WebhookEvent(**values)
            stored, pk = _store_and_dispatch(event), event.pk
    except Exception as exc:  # nothing was written: keep the request, then the 500
        lookup.forget()  # what this process remembered may be what failed (a deleted connection)
        _keep_after_crash(provider_key, http_request, raw, exc)
        raise
    if not stored:
        return _resent(provider_key, http_request, raw, connection=connection,
                       unique_id=unique_id)
    return 200, {"status": Outcome.ACCEPTED, "event": str(pk)}


def _store_and_dispatch(event) -> bool:
    """The event and its task in one transaction; False when its event id is taken."""
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            processing.dispatch(event.pk, event.provider)
    except IntegrityError:
        return False
    return True


def _resent(provider_key, http_request, raw, *, connection, unique_id):
    """The same event again: this request's row is kept as a record of the delivery."""
    original = WebhookEvent.objects.filter(provider=provider_key,
                                           provider_event_id=unique_id).first()
    _store(provider_key, http_request, raw, connection=connection, valid=True,
           status=S.DUPLICATE,
           error=f"Sent again: the event is {original.pk}." if original else "Sent again.")
    if original is None or original.status == S.PROCESSED:
        logger.info("webhook %s event %s: duplicate, not processed again", provider_key,
                    unique_id)
        return 200, {"status": Outcome.DUPLICATE}
    requeued = processing.queue_resent(original)
    logger.info("webhook %s event %s sent again before it was processed: %s", provider_key,
                unique_id, "queued again" if requeued else f"already {original.status}")
    return 200, {"status": Outcome.QUEUED_AGAIN, "event": str(original.pk)}
