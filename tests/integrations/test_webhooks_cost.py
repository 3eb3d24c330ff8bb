"""What receiving one webhook costs: an accepted event is written once, in its final state,
with its task, in one transaction; and a request whose hook crashes is still kept."""

import json
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import WebhookEvent
from integrations.providers.fortnox.provider import Fortnox
from integrations.webhooks import new_secret, sign
from tests.integrations.test_integrations_api_fake_provider import make_connection, queued_tasks

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]
pytestmark = pytest.mark.django_db
URL = "/api/webhooks/fortnox"
TENANT = "7654321"


@pytest.fixture
def conn(swedish_org):
    return make_connection(swedish_org, provider="fortnox", remote_tenant_id=TENANT,
                           connected_at=timezone.now() - timedelta(days=3))


def post(secret, client=None):
    raw = json.dumps({"type": "invoice-updated-v1", "topic": "invoices", "tenantId": TENANT,
                      "entityId": "17"}).encode()
    event_id, timestamp = uuid.uuid4().hex, int(time.time())
    return (client or Client()).post(
        URL, data=raw, content_type="application/json", HTTP_X_HUB_TIMESTAMP=str(timestamp),
        HTTP_X_HUB_EVENT_ID=event_id, HTTP_X_HUB_SIGNATURE=sign(secret, timestamp, event_id, raw))


def writes(queries):
    return [re.sub(r'["`]', "", q["sql"]).split("(")[0].split(" SET ")[0].strip()
            for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"])]


def test_an_accepted_event_is_one_insert_and_its_task_no_update(conn):
    secret = new_secret(conn)
    post(secret)  # the first request of a process also loads what every later one reuses
    with CaptureQueriesContext(db) as captured:
        answer = post(secret)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    assert writes(captured.captured_queries) == [
        "INSERT INTO integrations_webhookevent", "INSERT INTO django_q_ormq"]
    reads = [q for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    assert len(reads) == 2  # the provider's connection lookup and the active secrets
    event = WebhookEvent.objects.get(pk=answer.json()["event"])
    assert (event.status, event.valid, event.connection_id) == ("queued", True, conn.pk)
    assert event.provider_event_id.startswith(f"{conn.pk}:")
    assert len(queued_tasks()) == 2


def test_a_request_whose_hook_crashes_is_kept_before_the_500(conn, monkeypatch):
    secret = new_secret(conn)

    def crash(cls, payload, request):
        raise RuntimeError("lookup broke")

    monkeypatch.setattr(Fortnox, "webhook_connections", classmethod(crash))
    answer = post(secret, Client(raise_request_exception=False))
    assert answer.status_code == 500
    event = WebhookEvent.objects.get()
    assert (event.status, event.valid, event.provider_event_id) == ("received", None, None)
    assert b'"entityId": "17"' in bytes(event.raw_body)
    assert event.error == "RuntimeError: lookup broke"
    assert not queued_tasks()
