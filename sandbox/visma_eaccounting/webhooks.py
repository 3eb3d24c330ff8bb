"""Sending Visma's webhook notifications [visma-eaccounting.md 8] to the endpoints a company
registered at `/v2/webhooks` (links.py).

A notification is thin: `{"Identifier", "VismaCustomerId", "Entity", "Action", "Url",
"ModifiedUtc", "RetryAttempt"}`, where `Url` is the API URL to read the entity from. It carries
the webhook's custom header (`AuthenticationKey`: `AuthenticationValue`) and `X-Hub-Signature`,
the base64 HMAC-SHA256 under the webhook's `SigningKey` of
`{Action}_{Entity}_{Identifier}_{ModifiedUtc}_{Url}` (the docs' sample verifier; the docs' own
`sha1=` prefix is UNCONFIRMED). Registering or changing a webhook with `Active` true makes a
test call first (Action `Test`, Entity `webhook`); a non-2xx answer refuses the registration
(400). ASSUMED: `Entity` is the resource's name in lower case (`customer`, `customerinvoice`,
`article`, `customerinvoicedraft`), `Action` `Created`, `Changed` or `Deleted`.

Notifications leave after the change commits, from a background thread (the API answer does
not wait). A failed one is retried after 1 s and 17 s, the first of Visma's delays (1 s, 17 s,
300 s, 5000 s, 86400 s); the later ones are not waited for in a sandbox. Every attempt is kept
(kind `webhookdelivery`, newest last) for tests and people: `_control/webhooks` lists them.
"""

import base64
import hashlib
import hmac
import threading
import time
import uuid

import requests
from django.db import connections, transaction
from django.http import JsonResponse

from sandbox.models import SandboxRecord
from sandbox.visma_eaccounting import errors, store

SUBSCRIPTIONS = {"article": 1, "customer": 2, "customerinvoice": 3, "customerinvoicedraft": 4}
PATHS = {"article": "articles", "customer": "customers", "customerinvoice": "customerinvoices",
         "customerinvoicedraft": "customerinvoicedrafts"}
RETRY_DELAYS = (1, 17)
TIMEOUT_SECONDS = 10
# Tests switch this off to deliver inline (after commit) instead of from a thread.
IN_BACKGROUND = True


def signature(signing_key, payload):
    text = "_".join(str(payload[key]) for key in
                    ("Action", "Entity", "Identifier", "ModifiedUtc", "Url"))
    digest = hmac.new((signing_key or "").encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def remember_api_root(request, tenant):
    """The API root the company's client uses, for the notifications' `Url`."""
    root = request.build_absolute_uri("/").rstrip("/") + request.path.split("/v2/")[0] + "/v2"
    if tenant.data.get("ApiRoot") != root:
        tenant.data = {**tenant.data, "ApiRoot": root}
        tenant.save(update_fields=["data"])


def _send(webhook, payload):
    """One attempt; (status or None, error text)."""
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature": signature(webhook.get("SigningKey"), payload)}
    if webhook.get("AuthenticationKey"):
        headers[webhook["AuthenticationKey"]] = webhook.get("AuthenticationValue") or ""
    try:
        response = requests.post(webhook["Endpoint"], json=payload, headers=headers,
                                 timeout=TIMEOUT_SECONDS)
    except requests.RequestException as failure:
        return None, type(failure).__name__
    return response.status_code, ""


def _deliver(tenant, webhook, payload):
    for attempt in range(len(RETRY_DELAYS) + 1):
        payload = {**payload, "RetryAttempt": attempt}
        status, problem = _send(webhook, payload)
        store.create(tenant, "webhookdelivery", {
            "WebHookId": webhook["Id"], "Endpoint": webhook["Endpoint"], "Payload": payload,
            "Status": status, "Problem": problem, "SentUtc": store.stamp()})
        if status is not None and 200 <= status < 300:
            return
        if attempt < len(RETRY_DELAYS):
            time.sleep(RETRY_DELAYS[attempt])


def notify(tenant, entity, action, data):
    """Tell the company's active webhooks subscribed to `entity` that `data` changed."""
    kind = SUBSCRIPTIONS[entity]
    hooks = [record.data for record in store.records(tenant, "webhook")
             if record.data.get("Active") and any(
                 item.get("SubscriptionType") == kind
                 for item in record.data.get("Subscriptions", []))]
    if not hooks:
        return
    root = tenant.data.get("ApiRoot", "")
    payload = {"Identifier": str(uuid.uuid4()), "VismaCustomerId": tenant.external_id,
               "Entity": entity, "Action": action, "Url": f"{root}/{PATHS[entity]}/{data['Id']}",
               "ModifiedUtc": data.get("ModifiedUtc") or data.get("ChangedUtc")
               or store.stamp()}

    def send_all():
        for hook in hooks:
            _deliver(tenant, hook, payload)

    def send_all_and_close():
        try:
            send_all()
        finally:
            connections.close_all()  # this thread's own database connection

    def start():
        if IN_BACKGROUND:
            threading.Thread(target=send_all_and_close, daemon=True,
                             name="visma-webhooks").start()
        else:
            send_all()

    transaction.on_commit(start)


def test_call(tenant, webhook):
    """The call a registration with Active true makes; 400 unless it is answered 2xx."""
    payload = {"Identifier": str(uuid.uuid4()), "VismaCustomerId": tenant.external_id,
               "Entity": "webhook", "Action": "Test", "Url": webhook["Endpoint"],
               "ModifiedUtc": store.stamp(), "RetryAttempt": 0}
    status, problem = _send(webhook, payload)
    if status is None or not 200 <= status < 300:
        errors.invalid(("Endpoint", f"The test call to the endpoint failed "
                                    f"({status or problem}); the webhook was not saved."))


def deliveries(request, simulator):
    """GET /_control/webhooks (?tenant=): every attempt, oldest first."""
    rows = SandboxRecord.objects.filter(provider=simulator.realm, kind="webhookdelivery")
    if request.GET.get("tenant"):
        rows = rows.filter(tenant__external_id=request.GET["tenant"])
    return JsonResponse({"deliveries": [row.data for row in rows.order_by("id")]})
