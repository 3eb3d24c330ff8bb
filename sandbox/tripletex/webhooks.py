"""Webhook deliveries: Tripletex POSTs `{subscriptionId, event, id, value}` to each ACTIVE
subscription of the company for the event, `value` being the object with the subscription's
`fields` (null for `*.delete`).

Headers (fact sheet section 5, changelog 2.71.19): `idempotency-key` (one per delivery, the same
on every retry of it), `x-request-signature` = base64(HMAC-SHA512(hmacSharedSecret,
idempotency-key + "&" + raw body)) when the subscription has a secret, and `authHeaderName:
authHeaderValue` when it has one; user:password in `targetUrl` becomes Basic auth.

Deliveries are queued with `transaction.on_commit`, so nothing is sent for a change that rolls
back and no HTTP happens inside a transaction, and sent by one background thread of the sandbox
process. A delivery that fails (no answer, or not 2xx) is tried again after 1, 2, 4 and 8 s,
then dropped (ASSUMED: Tripletex's retry policy is not published). What happened is kept in
memory: GET /sandbox/tripletex/_control/webhooks. Tests that run without a live server replace
the transport with `use_transport(...)` and wait with `wait_until_idle()`; with Django's test
client inside a test transaction, on_commit callbacks run only under
`django_capture_on_commit_callbacks(execute=True)`.
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
from django.db import transaction

from sandbox.tripletex import fields, store

EVENTS = {
    "invoice.charged": "A new invoice has been created and charged.",
    **{f"{name}.{verb}": f"A {label} has been {verb}d."
       for name, label in (("order", "order"), ("product", "product"), ("customer", "customer"),
                           ("account", "booking account"), ("voucher", "voucher"))
       for verb in ("create", "update", "delete")},
    # Since 2.75.03 (changelog), not in the 2.74 spec: postings matched (closed) or unmatched,
    # which includes a payment that settles an invoice.
    "closeGroup.create": "Postings have been matched (closed).",
    "closeGroup.delete": "Matched postings have been unmatched.",
}
KINDS = {"invoice": "Invoice", "order": "Order", "product": "Product", "customer": "Customer",
         "account": "Account", "voucher": "Voucher", "closeGroup": "CloseGroup"}
RETRY_DELAYS = (1, 2, 4, 8)
TIMEOUT_SECONDS = 10


def sign(secret, idempotency_key, body):
    """x-request-signature for a raw body (bytes)."""
    digest = hmac.new(secret.encode(), idempotency_key.encode() + b"&" + body, hashlib.sha512)
    return base64.b64encode(digest.digest()).decode()


@dataclass(order=True)
class Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    headers: dict = field(compare=False)
    event: str = field(compare=False)
    subscription_id: int = field(compare=False)
    attempt: int = field(default=0, compare=False)


def _requests_transport(url, headers, body, timeout):
    return requests.post(url, data=body, headers=headers, timeout=timeout).status_code


class Dispatcher:
    """One daemon thread sending queued deliveries when they are due."""

    def __init__(self):
        self.transport = _requests_transport
        self.log = deque(maxlen=2000)
        self._heap, self._seq = [], itertools.count()
        self._pending = 0
        self._cond = threading.Condition()
        self._thread = None

    def submit(self, deliveries):
        with self._cond:
            for delivery in deliveries:
                delivery.seq = next(self._seq)
                heapq.heappush(self._heap, delivery)
                self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tripletex-webhooks",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self):
        while True:
            with self._cond:
                while not self._heap or self._heap[0].due > time.monotonic():
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                delivery = heapq.heappop(self._heap)
            self._attempt(delivery)

    def _attempt(self, delivery):
        delivery.attempt += 1
        entry = {"at": time.time(), "event": delivery.event, "url": delivery.url,
                 "subscriptionId": delivery.subscription_id, "attempt": delivery.attempt,
                 "idempotencyKey": delivery.headers["idempotency-key"],
                 "body": delivery.body.decode()}
        try:
            status = self.transport(delivery.url, dict(delivery.headers), delivery.body,
                                    TIMEOUT_SECONDS)
            entry["status"] = status
            ok = 200 <= int(status) < 300
        except Exception as failure:  # any failure to deliver is retried, as Tripletex does
            entry["status"], entry["error"] = None, type(failure).__name__
            ok = False
        retry = not ok and delivery.attempt <= len(RETRY_DELAYS)
        entry["outcome"] = "delivered" if ok else ("retrying" if retry else "dropped")
        with self._cond:
            self.log.append(entry)
            if retry:
                delivery.due = time.monotonic() + RETRY_DELAYS[delivery.attempt - 1]
                heapq.heappush(self._heap, delivery)
            else:
                self._pending -= 1
            self._cond.notify_all()

    def wait_until_idle(self, timeout=10.0):
        """True once every queued delivery was delivered or dropped."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def clear(self):
        with self._cond:
            self._heap.clear()
            self._pending = 0
            self.log.clear()
            self._cond.notify_all()


dispatcher = Dispatcher()
wait_until_idle = dispatcher.wait_until_idle


@contextmanager
def use_transport(transport):
    """Send deliveries with `transport(url, headers, body, timeout) -> status` for a while
    (e.g. into Django's test client)."""
    previous, dispatcher.transport = dispatcher.transport, transport
    try:
        yield
    finally:
        dispatcher.transport = previous


def _delivery(subscription, event, object_id, value):
    data = subscription.data
    body = json.dumps({"subscriptionId": data["id"], "event": event, "id": object_id,
                       "value": value}, ensure_ascii=False).encode()
    key = str(uuid.uuid4())
    headers = {"Content-Type": "application/json; charset=utf-8", "idempotency-key": key}
    if data.get("_hmacSharedSecret"):
        headers["x-request-signature"] = sign(data["_hmacSharedSecret"], key, body)
    if data.get("authHeaderName") and data.get("_authHeaderValue"):
        headers[data["authHeaderName"]] = data["_authHeaderValue"]
    return Delivery(due=time.monotonic(), seq=0, url=data["targetUrl"], body=body,
                    headers=headers, event=event, subscription_id=data["id"])


def emit(renderer, event, data):
    """Queue `event` about the stored object `data` for the company's subscribers, to be sent
    after the current transaction commits (at once outside one)."""
    subscriptions = [record for record in store.records(renderer.tenant, "Subscription")
                     if record.data.get("event") == event
                     and record.data.get("status") == "ACTIVE"]
    if not subscriptions:
        return
    kind = KINDS[event.split(".")[0]]
    deliveries = []
    for subscription in subscriptions:
        value = None
        if not event.endswith(".delete"):
            selection = fields.parse(None, subscription.data.get("fields") or "*", kind)
            value = renderer.render(kind, data, selection)
        deliveries.append(_delivery(subscription, event, data["id"], value))
    transaction.on_commit(lambda: dispatcher.submit(deliveries))
