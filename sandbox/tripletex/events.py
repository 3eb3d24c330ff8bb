"""`/event` (the event keys, an example payload) and `/event/subscription` (a subscription
belongs to the employee token of the session that made it, and lists show only that token's).

Body rules: `event` must be one of `/event`'s keys; `targetUrl` must be an absolute https URL
(ASSUMED for the sandbox: plain http is also allowed to a loopback address, `localhost`,
`testserver` or a single-label host such as a compose service, so a hub on the same machine
can be called); `authHeaderValue` and `hmacSharedSecret` are write-only (never shown);
`status` is ACTIVE unless sent. `fields` is checked like a `fields` parameter against the
event's object.
"""

import ipaddress
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponse, JsonResponse

from sandbox.tripletex import errors, fields, store, webhooks
from sandbox.tripletex.simulator import endpoint


@endpoint()
def event_keys(request):
    value = {name: {"description": text} for name, text in webhooks.EVENTS.items()}
    return JsonResponse({"value": value})


@endpoint()
def event_info(request, event_type):
    if event_type not in webhooks.EVENTS:
        errors.not_found(request, f"Hendelsen {event_type}")
    kind = webhooks.KINDS[event_type.split(".")[0]]
    example = {"subscriptionId": 0, "event": event_type, "id": 0,
               "value": None if event_type.endswith(".delete") else {"id": 0, "version": 0}}
    return JsonResponse({"value": {"name": event_type,
                                          "description": webhooks.EVENTS[event_type],
                                          "payloadModel": kind, "examples": [example]}})


def _local_host(host):
    if host in ("localhost", "testserver") or host.endswith(".localhost") or "." not in host:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clean(request, body, current=None):
    data = dict(current or {})
    for name in ("event", "targetUrl", "fields", "status", "authHeaderName"):
        if name in body:
            data[name] = body[name]
    for name in ("authHeaderValue", "hmacSharedSecret"):
        if name in body:
            data[f"_{name}"] = body[name]
    missing = [name for name in ("event", "targetUrl") if not data.get(name)]
    if missing:
        errors.required(request, *missing)
    if data["event"] not in webhooks.EVENTS:
        errors.invalid(request, ("event", f"Ukjent hendelse: {data['event']}. Se /v2/event."))
    try:
        parts = urlsplit(data["targetUrl"])
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    secure = parts is not None and (parts.scheme == "https" or (
        parts.scheme == "http" and _local_host(host or "")))
    if not (secure and host):
        errors.invalid(request, ("targetUrl", "Må være en absolutt https-URL."))
    if data.get("fields"):
        fields.parse(request, data["fields"], webhooks.KINDS[data["event"].split(".")[0]])
    data.setdefault("status", "ACTIVE")
    return data


@endpoint(methods=("GET", "POST"))
def subscriptions(request):
    scope = request.sandbox_token.scope
    if request.method == "POST":
        body = fields.read_object(request, "Subscription")
        if body.get("id") is not None and store.find(request.sandbox_tenant, "Subscription",
                                                     body["id"]):
            errors.object_exists(request, "Subscription")
        data = _clean(request, body)
        data["_employeeToken"] = scope
        record = store.create(request.sandbox_tenant, "Subscription", data)
        return fields.value_response(request, "Subscription", record.data, status=201)
    rows = [record.data for record in store.records(request.sandbox_tenant, "Subscription")
            if record.data.get("_employeeToken") == scope]
    return fields.list_response(request, "Subscription", rows)


@endpoint(methods=("GET", "PUT", "DELETE"))
def subscription(request, object_id):
    record = store.find(request.sandbox_tenant, "Subscription", object_id)
    if record is None or record.data.get("_employeeToken") != request.sandbox_token.scope:
        errors.not_found(request, "Abonnementet")
    if request.method == "GET":
        return fields.value_response(request, "Subscription", record.data)
    if request.method == "DELETE":
        record.delete()
        return HttpResponse(status=204)
    body = fields.read_object(request, "Subscription")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Subscription", object_id)
        store.check_version(request, record, body.get("version"))
        record.data = _clean(request, body, record.data)
        store.save(record)
    return fields.value_response(request, "Subscription", record.data)
