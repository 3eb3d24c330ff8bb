"""A minimal provider that receives webhooks, registered only in tests, and its fixtures:
what the webhook tests (`test_webhooks_*.py`) share. It holds no tests itself."""

import json
import time

import pytest
from django.test import Client

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import Capabilities, Provider
from integrations.webhooks import WebhookInvalid, accepting, new_secret, processing, sign
from tests.integrations.test_integrations_api_fake_provider import make_connection

URL = "/api/webhooks/hookbooks"


def event_task():
    """The task that processes a newly accepted event: on the endpoint's fast path
    (PostgreSQL) the sweep queues several events to one; elsewhere one per event."""
    return processing.BATCH_TASK if accepting.available() else processing.TASK


def stored_status():
    """A new event's status as the endpoint stores it (`accepting`)."""
    return "accepted" if accepting.available() else "queued"
BODY = {"account": "A-1", "type": "customer.changed", "id": "c-9"}


class HookBooks(Provider):
    """A provider that only receives webhooks, signed with our scheme (the default verify)."""

    key = "hookbooks"
    name = "HookBooks"
    capabilities = Capabilities(records={"customer": "in"}, inbound="webhook")
    handled = []
    # Exceptions the next calls of `handle_webhook` raise, in order.
    failures = []

    @classmethod
    def webhook_connections(cls, payload, request):
        if not isinstance(payload, dict) or not isinstance(payload.get("account"), str):
            return []
        return list(Connection.objects.filter(provider=cls.key,
                                              remote_tenant_id=payload["account"]))

    def handle_webhook(self, event):
        if self.failures:
            raise self.failures.pop(0)
        payload = json.loads(bytes(event.raw_body))
        self.handled.append((self.connection.pk, payload["id"]))
        return f"customer {payload['id']} changed"


class TokenBooks(HookBooks):
    """One with its own verify hook: a token header per connection (as Visma's
    AuthenticationKey/AuthenticationValue is), the event id from the body."""

    key = "tokenbooks"
    name = "TokenBooks"

    @classmethod
    def webhook_verify(cls, request, raw_body, connection):
        if request.headers.get("X-Token") != connection.credentials.get("webhook_token"):
            raise WebhookInvalid("X-Token does not match this connection's token.")
        return json.loads(raw_body)["id"]


class ExportOnly(Provider):
    key = "exportonly"
    name = "ExportOnly"


@pytest.fixture
def hook_providers():
    HookBooks.handled, HookBooks.failures = [], []
    for provider in (HookBooks, TokenBooks, ExportOnly):
        registry.register(provider)
    yield
    for provider in (HookBooks, TokenBooks, ExportOnly):
        registry.unregister(provider.key)


@pytest.fixture
def hook_conn(org, hook_providers):
    return make_connection(org, provider="hookbooks", remote_tenant_id="A-1")


@pytest.fixture
def hook_secret(hook_conn):
    return new_secret(hook_conn)


def signed(secret, raw, *, event_id="ev-1", **extra):
    stamp = int(time.time())
    return {"HTTP_X_HUB_TIMESTAMP": str(stamp), "HTTP_X_HUB_EVENT_ID": event_id,
            "HTTP_X_HUB_SIGNATURE": sign(secret, stamp, event_id, raw), **extra}


def post(raw, headers=None, *, url=URL, content_type="application/json"):
    return Client().post(url, data=raw, content_type=content_type, **(headers or {}))


def send(secret, body=BODY, *, event_id="ev-1"):
    """Post a signed event; returns the answer's JSON."""
    raw = json.dumps(body).encode()
    return post(raw, signed(secret, raw, event_id=event_id)).json()
