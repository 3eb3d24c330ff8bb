"""`POST /api/webhooks/<provider>` for any registered provider that fills the webhook hooks, and
whatever bytes arrive there: stored first, answered 4xx or 200, never 500 (on SQLite and on
PostgreSQL, which refuses NUL and lone surrogates in text)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import WebhookEvent
from integrations.webhooks import new_secret
from tests.integrations.test_integrations_api_fake_provider import (
    make_connection,
    queued_tasks,
    run_queued,
)
from tests.integrations.test_webhooks_fixtures import (
    BODY,
    URL,
    HookBooks,
    event_task,
    post,
    signed,
    stored_status,
)

pytest_plugins = ["tests.integrations.test_webhooks_fixtures"]

pytestmark = pytest.mark.django_db


def test_the_url_is_named_per_provider():
    assert reverse("integrations:webhook", args=["hookbooks"]) == URL


def test_a_registered_provider_gets_the_whole_sequence(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    answer = post(raw, signed(hook_secret, raw))
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    event = WebhookEvent.objects.get()
    assert (event.provider, event.status, event.valid, event.connection_id) == (
        "hookbooks", stored_status(), True, hook_conn.pk)
    assert bytes(event.raw_body) == raw
    assert [func for func, _ in queued_tasks()] == [event_task()]
    assert run_queued() == ["processed"]
    assert HookBooks.handled == [(hook_conn.pk, "c-9")]
    event.refresh_from_db()
    assert (event.status, event.processed, event.attempts) == ("processed", True, 1)


def test_a_provider_with_its_own_verify_hook(org, hook_providers):
    hook_conn = make_connection(org, provider="tokenbooks", remote_tenant_id="A-1")
    hook_conn.set_credentials({"webhook_token": "tok-1"})
    hook_conn.save()
    raw = json.dumps(BODY).encode()
    url = "/api/webhooks/tokenbooks"
    refused = post(raw, {"HTTP_X_TOKEN": "wrong"}, url=url)
    assert refused.status_code == 400 and "X-Token" in refused.json()["error"]
    assert post(raw, {"HTTP_X_TOKEN": "tok-1"}, url=url).json()["status"] == "accepted"
    assert WebhookEvent.objects.get(valid=True).provider_event_id == f"{hook_conn.pk}:c-9"


@pytest.mark.parametrize("key", ["nobody", "exportonly"])
def test_an_unknown_provider_or_one_without_webhooks_is_404_in_json(hook_providers, key):
    answer = post(b"{}", url=f"/api/webhooks/{key}")
    assert answer.status_code == 404
    assert answer.json() == {"status": "unknown_provider",
                             "error": f"No provider '{key}' receives webhooks here."}
    assert not WebhookEvent.objects.exists()


def test_no_session_and_no_csrf_token_are_needed(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    client = Client(enforce_csrf_checks=True)
    answer = client.post(URL, data=raw, content_type="application/json",
                         **signed(hook_secret, raw))
    assert answer.status_code == 200


def test_an_odd_accept_header_is_answered_in_json_not_406(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    answer = post(raw, signed(hook_secret, raw, HTTP_ACCEPT="text/html"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"


DEEP = b"[" * 200_000 + b"]" * 200_000

HOSTILE_BODIES = {
    "nul in a json string": (b'{"account": "A-1\\u0000", "id": "x"}', 400),
    "raw nul byte": (b'{"account": "A-1\x00"}', 400),
    "lone surrogate escape": (b'{"account": "\\ud800", "id": "x"}', 400),
    "surrogate as a key": (b'{"\\udfff": 1}', 400),
    "not utf-8": (b'\xff\xfe{"account": "A-1"}', 400),
    "not json": (b"account=A-1&id=x", 400),
    "empty": (b"", 400),
    "deeply nested arrays": (DEEP, 400),
    "deeply nested objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400),
    "huge integer": (b'{"account": ' + b"9" * 5000 + b"}", 400),
    "a list, not an object": (b'[{"account": "A-1"}]', 400),
    "account of the wrong type": (b'{"account": {"nested": ["A-1"]}}', 400),
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_any_body_is_stored_and_answered_without_a_500(hook_conn, hook_secret, name):
    raw, expected = HOSTILE_BODIES[name]
    answer = post(raw, signed(hook_secret, raw))
    assert answer.status_code == expected, answer.content[:300]
    event = WebhookEvent.objects.get()
    assert event.status == "refused" and event.valid is False
    assert bytes(event.raw_body) == raw[:1024 * 1024]
    assert event.provider_event_id is None
    assert queued_tasks() == []


def test_a_body_too_large_is_stored_shortened_and_answered_413(hook_conn, hook_secret):
    raw = b'{"account": "A-1", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    answer = post(raw, signed(hook_secret, raw))
    assert answer.status_code == 413
    event = WebhookEvent.objects.get()
    assert event.status == "refused" and len(bytes(event.raw_body)) == 1024 * 1024


HOSTILE_HEADERS = {
    "nul in the event id": {"HTTP_X_HUB_EVENT_ID": "ev\x00-1"},
    "surrogate in the event id": {"HTTP_X_HUB_EVENT_ID": "ev-\ud800"},
    "nul in the signature": {"HTTP_X_HUB_SIGNATURE": "sha256=\x00"},
    "surrogate in the signature": {"HTTP_X_HUB_SIGNATURE": "sha256=\udc80"},
    "nul in the timestamp": {"HTTP_X_HUB_TIMESTAMP": "17\x0000"},
    "surrogate in the timestamp": {"HTTP_X_HUB_TIMESTAMP": "\ud83d"},
}


@pytest.mark.parametrize("name", list(HOSTILE_HEADERS))
def test_nul_and_surrogates_in_the_checked_headers_are_refused_and_stored(hook_conn, hook_secret,
                                                                          name):
    raw = json.dumps(BODY).encode()
    answer = post(raw, {**signed(hook_secret, raw), **HOSTILE_HEADERS[name]})
    assert answer.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == "refused" and event.connection_id == hook_conn.pk
    stored = json.dumps(event.headers)
    assert "\x00" not in stored


def test_nul_and_surrogates_in_other_headers_are_stored_escaped(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    odd = {"HTTP_X_NOTE": "a\x00b", "HTTP_X_MOOD": "\ud800!", "HTTP_X_\udfffNAME": "v"}
    answer = post(raw, signed(hook_secret, raw, **odd))
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    headers = WebhookEvent.objects.get().headers
    assert headers["X-Note"] == "a\\x00b"
    assert headers["X-Mood"] == "\\ud800!"


def test_headers_are_stored_as_sent_up_to_their_limit_and_credentials_never(hook_conn,
                                                                          hook_secret):
    raw = json.dumps(BODY).encode()
    sent = {"HTTP_X_LONG": "x" * 600, "HTTP_X_TABBED": "a\tb", "HTTP_X_NORSK": "blåbær",
            "HTTP_AUTHORIZATION": "Bearer abc", "HTTP_X_API_KEY": "k-1"}
    for _ in range(2):  # the second time with the names' decisions remembered
        assert post(raw, signed(hook_secret, raw, **sent)).status_code == 200
    for event in WebhookEvent.objects.all():
        headers = event.headers
        assert (headers["X-Long"], headers["X-Tabbed"], headers["X-Norsk"]) == (
            "x" * 500, "a\tb", "blåbær")
        assert "Authorization" not in headers and "X-Api-Key" not in headers


def test_an_invalid_remote_address_is_not_stored_as_one(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    answer = post(raw, signed(hook_secret, raw, REMOTE_ADDR="not-an-ip\x00"))
    assert answer.status_code == 200
    assert WebhookEvent.objects.get().source_ip is None


def test_the_same_event_id_for_another_connection_is_another_event(org, make_org, hook_providers):
    first = make_connection(org, provider="hookbooks", remote_tenant_id="A-1")
    other = make_connection(make_org("other", name="Other AS"), provider="hookbooks",
                            remote_tenant_id="B-2")
    raw_a, raw_b = json.dumps(BODY).encode(), json.dumps({**BODY, "account": "B-2"}).encode()
    assert post(raw_a, signed(new_secret(first), raw_a)).json()["status"] == "accepted"
    assert post(raw_b, signed(new_secret(other), raw_b)).json()["status"] == "accepted"
    assert WebhookEvent.objects.filter(valid=True).count() == 2
