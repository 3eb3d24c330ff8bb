"""No 5xx from any input: Hypothesis sends generated malformed requests to every API and webhook
route (discovered from the URL configuration, so a route added later is covered), anonymous
and signed in as each demo user, and checks that nothing answers 5xx; for webhooks also that
nothing with a bad signature is processed and nothing is processed twice.

Run with `-s` to see how many generated requests ran (the `requests sent` lines)."""

import json
import os
import re
import time

import pytest
import responses
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounting import rls
from integrations.models import Connection, WebhookEvent
from integrations.providers import registry
from integrations.webhooks import new_secret, sign
from tests.integrations.test_integrations_api_fake_provider import HubBooks, make_connection
from tests.integrations.test_webhooks_fixtures import HookBooks

pytestmark = pytest.mark.django_db

# Examples per test (HYPOTHESIS_EXAMPLES=2000 for a longer hunt); each API example is one
# request, each webhook example one to six deliveries.
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", 200))
# No shrinking: a failure is reported as generated (with the request), and CI time stays bounded.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
SENT = {"api": 0, "webhook": 0}


def api_routes():
    """[(route pattern with <converters>, ...)] of every route under api/ (webhooks included)."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("api/"):
                    routes.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(routes))


@pytest.fixture
def world(settings):
    """The demo organizations and users, a connected fake OAuth provider and a webhook provider
    in each, and every outbound HTTP request answered at the edge."""
    from contracts.demo import demo_load

    settings.RLS_PROCESS_DEFAULT_BYPASS = "tests: the world's fixtures"
    for provider in (HubBooks, HookBooks):
        registry.register(provider)
    HookBooks.handled, HookBooks.failures = [], []
    demo_load()
    users = list(get_user_model().objects.filter(memberships__isnull=False).distinct())
    secrets = {}
    ids = {"pk": [0, 1, 2**31, 10**30]}
    for user in users:
        org = user.memberships.first().organization
        if not Connection.objects.filter(organization=org, provider=HubBooks.key).exists():
            ids["pk"].append(make_connection(org).pk)
            hook = make_connection(org, provider=HookBooks.key, remote_tenant_id=org.slug)
            secrets[org.slug] = (hook, new_secret(hook))
    from contracts.models import Contract
    ids["pk"] += list(Contract.objects.values_list("pk", flat=True)[:6])
    clients = [Client(raise_request_exception=False)]
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as edge:
        # Every provider is down: what a request then answers is the hub's own doing.
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            edge.add(method, re.compile(r"https?://.*"), json={"error": "down"}, status=503)
        yield {"clients": clients, "ids": ids, "secrets": secrets, "users": users}
    for provider in (HubBooks, HookBooks):
        registry.unregister(provider.key)
    print(f"\nrequests sent: {SENT}")


# -- what a client can send -----------------------------------------------------------------
# Any character, NUL and lone surrogates included (JSON carries them as escapes).
ODD_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
# What a URL's query can carry once encoded (no lone surrogates; NUL and the rest included).
QUERY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
# What a genuine sender's event holds: text any database takes.
PLAIN_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",),
                                            exclude_characters="\x00"), max_size=20)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | ODD_TEXT)
KEYS = st.sampled_from(["contractId", "type", "ids", "types", "since", "service_account",
                        "code", "state", "token", "status", "id", "account"]) | ODD_TEXT
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)


def _json_bytes(value):
    try:
        return json.dumps(value, allow_nan=True).encode()
    except (ValueError, TypeError):
        return b"{}"


BODIES = st.one_of(
    JSON_VALUES.map(_json_bytes),
    st.dictionaries(KEYS, JSON_VALUES, max_size=5).map(_json_bytes),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.binary(max_size=200),
    st.sampled_from([b"", b"null", b'"\\u0000"', b'{"x": "\\ud800"}', b'{"ids": ["\\udfff"]}',
                     b'{"contractId": "\\u0000"}', b"\xff\xfe", b'{"a": 1e999}',
                     b'{"type": "customer", "ids": [99999999999999999999999]}',
                     b'{"since": "2026-13-45"}', b"x" * (1024 * 1024 + 10)]),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=latin-1",
                                 "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data", "multipart/form-data; boundary=x",
                                 "application/xml", "", "application/json; charset=utf-16"])
QUERY = st.dictionaries(st.sampled_from(["state", "code", "token", "status", "error", "since",
                                         "type", "page", "x"]), QUERY_TEXT, max_size=3)


def _path(route, ids, draw_id, draw_slug):
    def fill(match):
        kind = match.group(1)
        return str(draw_id()) if kind == "int" else draw_slug()
    return "/" + re.sub(r"<(\w+):\w+>", fill, route)


@SETTINGS
@given(data=st.data())
def test_no_api_or_webhook_route_answers_5xx_to_anything(world, data):
    routes = api_routes()
    slugs = [*registry.keys(), "nobody", "a" * 80, "fortnox-", "_"]
    route = data.draw(st.sampled_from(routes), label="route")
    path = _path(route, world["ids"],
                 lambda: data.draw(st.sampled_from(world["ids"]["pk"])
                                   | st.integers(min_value=0, max_value=10**25)),
                 lambda: data.draw(st.sampled_from(slugs)))
    client = data.draw(st.sampled_from(world["clients"]), label="who")
    method = data.draw(st.sampled_from(["get", "post", "put", "patch", "delete"]), label="m")
    body = data.draw(BODIES, label="body")
    content_type = data.draw(CONTENT_TYPES, label="content type")
    query = data.draw(QUERY, label="query")
    headers = data.draw(st.dictionaries(
        st.sampled_from(["HTTP_X_HUB_SIGNATURE", "HTTP_X_HUB_TIMESTAMP", "HTTP_X_HUB_EVENT_ID",
                         "HTTP_ACCEPT", "HTTP_X_TOKEN", "HTTP_AUTHORIZATION"]),
        ODD_TEXT, max_size=3), label="headers")
    if method == "get":
        answer = client.get(path, query, **headers)
    else:
        # `generic`: the body goes out as the bytes drawn, whatever charset the type claims.
        answer = client.generic(method.upper(), path, data=body, content_type=content_type,
                                QUERY_STRING="&".join(f"{k}=x" for k in query), **headers)
    SENT["api"] += 1
    assert answer.status_code < 500 or _provider_down(answer), (
        method, path, answer.status_code, answer.content[:300])


def _provider_down(answer):
    """502 saying which provider error: the provider (down here), not the input, failed."""
    if answer.status_code != 502:
        return False
    try:
        return set(answer.json()) >= {"error", "message"}
    except ValueError:
        return False


# -- webhooks: signatures, replays, two organizations ---------------------------------------
DELIVERY = st.fixed_dictionaries({
    "org": st.sampled_from(["nordbil", "frost"]),
    "event": st.sampled_from([f"ev-{n}" for n in range(6)]),
    "tamper": st.sampled_from(["none", "none", "odd_header", "signature", "other_secret",
                               "stale",
                               "future", "body", "event_id", "nul_header", "missing",
                               "other_org"]),
    "payload": st.dictionaries(PLAIN_TEXT, PLAIN_TEXT | st.integers() | st.booleans(),
                               max_size=3),
})


@settings(SETTINGS, max_examples=max(EXAMPLES // 3, 10))
@given(deliveries=st.lists(DELIVERY, min_size=1, max_size=6))
def test_webhooks_process_only_verified_events_and_each_once(world, deliveries):
    from tests.integrations.test_integrations_api_fake_provider import run_queued

    good = set()
    for delivery in deliveries:
        hook, secret = world["secrets"][delivery["org"]]
        other_hook, other_secret = world["secrets"]["frost" if delivery["org"] == "nordbil"
                                                    else "nordbil"]
        payload = {**delivery["payload"], "account": delivery["org"], "id": delivery["event"]}
        raw = json.dumps(payload).encode()
        stamp, event_id, key, tamper = int(time.time()), delivery["event"], secret, \
            delivery["tamper"]
        if tamper == "stale":
            stamp -= 3600
        elif tamper == "future":
            stamp += 3600
        elif tamper in ("other_secret", "other_org"):
            key = other_secret
        signature = sign(key, stamp, event_id, raw)
        if tamper == "signature":
            signature = signature[:-2] + ("00" if not signature.endswith("00") else "11")
        elif tamper == "body":
            raw = raw + b" "
        elif tamper == "event_id":
            event_id = event_id + "x"
        headers = {"HTTP_X_HUB_TIMESTAMP": str(stamp), "HTTP_X_HUB_EVENT_ID": event_id,
                   "HTTP_X_HUB_SIGNATURE": signature}
        if tamper == "nul_header":
            headers["HTTP_X_HUB_EVENT_ID"] = event_id + "\x00"
        elif tamper == "missing":
            headers.pop("HTTP_X_HUB_SIGNATURE")
        elif tamper == "odd_header":  # signed correctly; an unsigned header holds NUL etc.
            headers["HTTP_X_RELAY_NOTE"] = "a\x00b\ud800c"
        answer = Client(raise_request_exception=False).post(
            f"/api/webhooks/{HookBooks.key}", data=raw, content_type="application/json",
            **headers)
        SENT["webhook"] += 1
        assert answer.status_code < 500, (delivery, answer.content)
        if tamper in ("none", "odd_header"):
            assert answer.status_code == 200, answer.content
            good.add((hook.pk, delivery["event"]))
        else:
            assert answer.status_code == 400, (delivery, answer.content)
    with rls.rls_bypass("test: the inbox"):
        run_queued()
        handled = HookBooks.handled
        # Nothing twice, whatever was resent and in what order.
        assert len(handled) == len(set(handled))
        # Only what verified: every processed event is one that was sent correctly signed.
        signed_ok = {(conn_id, event_id.split(":", 1)[1]) for conn_id, event_id in
                     WebhookEvent.objects.filter(valid=True).values_list(
                         "connection_id", "provider_event_id") if event_id}
        assert set(handled) <= signed_ok
        assert good <= set(handled)
        assert not WebhookEvent.objects.filter(valid=False, processed=True).exists()


def test_every_providers_generic_callback_and_an_unknown_one_answer_4xx(world):
    """The earlier finding: `GET /api/integrations/poweroffice_go/callback` crashed (a provider
    connected on its own page has no generic callback). Unknown providers are 404."""
    for client in world["clients"][:2]:
        for key in [*registry.keys(), "nobody"]:
            answer = client.get(f"/api/integrations/{key}/callback", {"state": "x", "code": "y"})
            assert answer.status_code < 500, (key, answer.content[:200])
    # Signed in: an unknown provider is a 404 (anonymous people are sent to the login first).
    assert world["clients"][1].get("/api/integrations/nobody/callback").status_code == 404
