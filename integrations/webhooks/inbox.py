"""Receiving one webhook request and processing its event in the queue.

`receive` is the fixed sequence every endpoint shares: read the raw body, find the connection
the event is for, check the timestamp and the signature against the connection's active secrets,
store the event in the inbox (valid or not), and for a valid, new event queue its processing in
the same transaction as the insert, then answer 200 at once. A refused request answers 400 (the
sender should not retry what will never verify); a duplicate answers 200 and is not queued.

Refused events are stored without their claimed event id: the inbox's unique id must only ever
be taken by a verified event, or a forger could make us drop the real one as a duplicate. The
stored id is prefixed with the connection's id for the same reason across organizations.
"""

import json
import logging
import re
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from integrations.errors import ProviderError
from integrations.logging import redact
from integrations.models import WebhookEvent
from integrations.webhooks import keys, signing

logger = logging.getLogger("integrations.webhooks")

TASK = "integrations.tasks.process_webhook_event"
MAX_BODY_BYTES = 1024 * 1024
# Headers that authenticate someone are never stored; the signature is an HMAC, not a secret.
_SECRET_HEADER = re.compile(r"(?i)authorization|cookie|token|secret|api[-_]?key|password|"
                            r"subscription[-_]?key")


class Outcome:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


def _stored_headers(request):
    return {name: value[:500] for name, value in request.headers.items()
            if not _SECRET_HEADER.search(name)}


def _handler_path(handle) -> str:
    if isinstance(handle, str):
        return handle
    path = f"{handle.__module__}.{handle.__qualname__}"
    if "<" in path:
        raise ValueError("A webhook handler must be a module-level function (the queue imports "
                         f"it by name), not {path}.")
    return path


def _candidates(found) -> list:
    if found is None:
        return []
    if isinstance(found, Iterable) and not hasattr(found, "_meta"):
        return list(found)
    return [found]


def _refuse(*, provider, request, raw, reason, connection=None, status=400):
    WebhookEvent.objects.create(
        provider=provider, raw_body=raw[:MAX_BODY_BYTES], headers=_stored_headers(request),
        source_ip=request.META.get("REMOTE_ADDR") or None, valid=False, error=reason,
        connection=connection,
        organization_id=connection.organization_id if connection is not None else None,
    )
    logger.warning("webhook %s refused: %s", provider, reason)
    return JsonResponse({"status": Outcome.REFUSED, "error": reason}, status=status)


def receive(request, *, provider: str, find_connection: Callable, handle) -> JsonResponse:
    """Verify, store and queue one inbound webhook request; see the module docstring.

    `find_connection(payload, request)` returns the connection the (still unverified) event
    names, a list of candidates, or None. `handle(event, connection)` is a module-level function
    the queue calls once per verified event (pass it or its dotted path)."""
    http_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    handler = _handler_path(handle)
    raw = http_request.body
    if len(raw) > MAX_BODY_BYTES:
        return JsonResponse({"status": Outcome.REFUSED, "error": "The body is too large."},
                            status=413)
    headers = http_request.headers
    event_id = (headers.get(signing.EVENT_ID_HEADER) or "").strip()
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _refuse(provider=provider, request=http_request, raw=raw,
                       reason="The body is not JSON.")
    if not event_id or len(event_id) > 150:
        return _refuse(provider=provider, request=http_request, raw=raw,
                       reason=f"{signing.EVENT_ID_HEADER} is missing (or longer than 150).")
    candidates = _candidates(find_connection(payload, http_request))
    if not candidates:
        return _refuse(provider=provider, request=http_request, raw=raw,
                       reason="The event names no connection we know (unknown tenant).")
    try:
        timestamp = signing.parse_timestamp(headers.get(signing.TIMESTAMP_HEADER))
        signing.check_timestamp(timestamp, now=time.time(),
                                tolerance=settings.WEBHOOK_TOLERANCE_SECONDS)
    except signing.SignatureInvalid as exc:
        return _refuse(provider=provider, request=http_request, raw=raw, reason=str(exc),
                       connection=candidates[0] if len(candidates) == 1 else None)
    connection, reason = None, ""
    for candidate in candidates:
        secrets = keys.active_secrets(candidate)
        if not secrets:
            reason = ("The connection has no active webhook secret; make one in admin "
                      "(Integrations -> Webhook secrets).")
            continue
        try:
            signing.matching_secret(headers.get(signing.SIGNATURE_HEADER, ""),
                                    timestamp=timestamp, event_id=event_id, raw_body=raw,
                                    secrets=secrets)
        except signing.SignatureInvalid as exc:
            reason = str(exc)
            continue
        connection = candidate
        break
    if connection is None:
        return _refuse(provider=provider, request=http_request, raw=raw, reason=reason,
                       connection=candidates[0] if len(candidates) == 1 else None)
    return _accept(http_request, provider=provider, connection=connection, raw=raw,
                   event_id=event_id, handler=handler)


def _accept(request, *, provider, connection, raw, event_id, handler):
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider, organization_id=connection.organization_id,
                connection=connection, provider_event_id=f"{connection.pk}:{event_id}",
                raw_body=raw, headers=_stored_headers(request),
                source_ip=request.META.get("REMOTE_ADDR") or None, valid=True,
            )
            async_task(TASK, str(event.pk), handler, task_name=f"webhook-{event.pk}",
                       group=f"webhook-{provider}")
    except IntegrityError:
        logger.info("webhook %s event %s for connection %s: duplicate, not processed again",
                    provider, event_id, connection.pk)
        return JsonResponse({"status": Outcome.DUPLICATE}, status=200)
    logger.info("webhook %s event %s stored as %s", provider, event_id, event.pk)
    return JsonResponse({"status": Outcome.ACCEPTED, "event": str(event.pk)}, status=200)


def process_event(event_id, handler_path) -> str:
    """Run the handler for one stored, verified event, at most once to completion.

    django-q2 may deliver the task twice. The worker that sets `processed_at` on an unprocessed
    row (a conditional UPDATE) runs the handler; `processed_at` on a row not yet `processed`
    means "taken", and a take older than the lease counts as abandoned (its worker died). A
    failing handler keeps the error on the row and gives the event back."""
    now = timezone.now()
    lease = timezone.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    claimed = WebhookEvent.objects.filter(
        Q(processed_at__isnull=True) | Q(processed_at__lt=now - lease),
        pk=event_id, valid=True, processed=False,
    ).update(processed_at=now)
    if not claimed:
        return "skipped"
    event = WebhookEvent.objects.select_related("connection", "organization").get(pk=event_id)
    mine = WebhookEvent.objects.filter(pk=event.pk, processed=False, processed_at=now)
    try:
        if event.connection is None:
            raise LookupError("The connection of this event was removed.")
        # No transaction around the handler: it may call the provider, and a transaction would
        # hold the database's write lock (SQLite) for the whole round trip.
        import_string(handler_path)(event, event.connection)
    except Exception as exc:  # the row keeps the reason; the task itself must not crash
        message = exc.message if isinstance(exc, ProviderError) else (
            f"{type(exc).__name__}: {exc}")
        mine.update(processed_at=None, error=redact(message)[:2000])
        logger.warning("webhook event %s failed: %s", event.pk, type(exc).__name__)
        return "failed"
    mine.update(processed=True, processed_at=timezone.now(), error="")
    return "processed"
