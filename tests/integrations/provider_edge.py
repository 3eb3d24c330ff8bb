"""What the shared provider cases (`provider_cases.py`) stand on: `ProviderEdge`, which a
provider's test module subclasses to play the provider's API with `responses`; `HttpSpy`, which
sees every request any code sends with `requests` (from any thread), so the cases count calls at
the edge and check that none left inside a database transaction; and `ProviderFixtures`, the
organizations, people and spy both case classes use."""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection as db_connection
from django.test import Client

from integrations.http import in_transaction
from integrations.providers import registry


class ProviderEdge:
    """A provider's API as `responses` plays it. Subclass it in the provider's test module.

    Declare the endpoints the cases count, each as (method, regex searched in the URL without
    its query string):
        token_endpoint    where a new access token is asked for (refresh, client credentials)
        create_endpoint   where the provider's `create_operation` creates its object
        revoke_endpoint   where our grant is revoked, or None when the API has no way

    and implement:
        refresh_token     (attribute or property) the refresh token the provider accepts now,
                          None for providers without refresh tokens
        lose_next_create()  the next create is stored, then the client reads a timeout
        remote_ids()        ids of the objects the remote side created, in order
        connect_state(url)  the `state` a `start_connect` URL carries (where it is carried)
        approval(state)     the callback's query after the person approved at the provider

    `serve` registers a handler that may raise (e.g. `requests.exceptions.ReadTimeout`) and
    returns (status, body) or (status, body, headers); a dict body is sent as JSON."""

    token_endpoint: tuple = ()
    create_endpoint: tuple = ()
    revoke_endpoint: tuple | None = None
    refresh_token = None

    def __init__(self, rsps):
        self.rsps = rsps
        self.lock = threading.Lock()
        self._lose_next = False

    # -- what the cases call ----------------------------------------------------------------
    def lose_next_create(self):
        with self.lock:
            self._lose_next = True

    def remote_ids(self) -> list:
        raise NotImplementedError("the provider's edge must say which objects it created")

    def connect_state(self, url) -> str:
        """Default: the `state` query parameter of the URL."""
        return parse_qs(urlsplit(url).query).get("state", [""])[0]

    def approval(self, state) -> dict:
        raise NotImplementedError("the provider's edge must give the callback's query")

    # -- for subclasses ---------------------------------------------------------------------
    def take_loss(self) -> bool:
        """True once after `lose_next_create`: the handler stores, then raises a timeout."""
        with self.lock:
            lose, self._lose_next = self._lose_next, False
        return lose

    @staticmethod
    def timeout():
        return requests.exceptions.ReadTimeout("read timed out (the remote side stored it)")

    def serve(self, method, url, handler):
        def callback(request):
            answer = handler(request)
            status, body = answer[0], answer[1]
            headers = answer[2] if len(answer) > 2 else {}
            if isinstance(body, dict | list):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **headers}
            return status, headers, body or ""

        pattern = url if isinstance(url, re.Pattern) else re.compile(re.escape(url) + r"(\?.*)?$")
        self.rsps.add_callback(method, pattern, callback=callback)

    @staticmethod
    def form(request) -> dict:
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode()
        return {k: v[0] for k, v in parse_qs(body).items()}

    @staticmethod
    def json_body(request):
        body = request.body or b"{}"
        return json.loads(body.decode() if isinstance(body, bytes) else body)

    @staticmethod
    def query(request) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}

    @staticmethod
    def bearer(request) -> str:
        value = request.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else ""


class HttpSpy:
    """Every request sent with `requests` while it is installed: (method, url, whether a
    database transaction was open in the sending thread)."""

    def __init__(self):
        self.calls = []

    def install(self, monkeypatch):
        original = requests.Session.send
        spy = self

        def send(session, request, **kwargs):
            spy.calls.append((request.method, request.url, in_transaction()))
            return original(session, request, **kwargs)

        monkeypatch.setattr(requests.Session, "send", send)
        return self

    def count(self, method=None, pattern=None) -> int:
        return sum(1 for m, url, _ in self.calls
                   if (method is None or m == method)
                   and (pattern is None or re.search(pattern, url.split("?")[0])))

    def inside_transaction(self) -> list:
        return [f"{m} {url}" for m, url, inside in self.calls if inside]


def in_threads(n, fn):
    """fn(i) in n real threads released together; each closes its own database connection."""
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            return fn(i)
        finally:
            db_connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def connected(organization, provider_key, credentials, *, hours=1, **fields):
    """A CONNECTED connection with `credentials` stored (encrypted) and a valid token."""
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import Connection

    connection = Connection(organization=organization, provider=provider_key,
                            status=Connection.Status.CONNECTED, connected_at=timezone.now(),
                            **fields)
    connection.set_credentials(credentials, expires_at=timezone.now() + timedelta(hours=hours))
    connection.save()
    return connection


def browser(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


class ProviderFixtures:
    """What both case classes share: organizations, people, the HTTP spy."""

    provider_key = ""

    @classmethod
    def provider_class(cls):
        return registry.get(cls.provider_key)

    @pytest.fixture
    def edge(self):
        raise NotImplementedError(f"{type(self).__name__} must supply the `edge` fixture")

    @pytest.fixture
    def make_connected(self):
        raise NotImplementedError(f"{type(self).__name__} must supply `make_connected`")

    @pytest.fixture
    def organization(self, make_org):
        return make_org("contract-home", name="Contract Home AS", country="NO",
                        org_number="912345678")

    @pytest.fixture
    def other_organization(self, make_org):
        return make_org("contract-other", name="Contract Other AB", country="SE",
                        currency="SEK", org_number="556677-8899")

    @pytest.fixture
    def admin(self, make_user, organization):
        return make_user("contract-admin", organization, role="admin")

    @pytest.fixture
    def connected(self, make_connected, organization):
        return make_connected(organization)

    @pytest.fixture
    def http(self, monkeypatch):
        return HttpSpy().install(monkeypatch)

    @staticmethod
    def assert_no_http_in_transaction(http):
        assert http.inside_transaction() == [], "HTTP sent inside a database transaction"
