"""Rate limits: N per sliding window per key, the provider's own 429 after N, and never more
than N admitted in any window, also with many threads hitting a live server at once."""

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sandbox.framework.ratelimit import RateLimit, max_in_any_window
from tests.sandbox import fake_provider
from tests.sandbox.conftest import SANDBOX_APPS

pytestmark = pytest.mark.urls("tests.sandbox.urls")


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_sliding_window_admits_n_then_refuses_until_the_oldest_leaves_it():
    clock = FakeClock()
    limit = RateLimit(limit=3, window_seconds=5, key=str, clock=clock)

    admitted = [limit.try_acquire("k") for _ in range(3)]
    clock.now += 1
    refused = limit.try_acquire("k")
    other_key = limit.try_acquire("other")
    clock.now += 3.5  # 4.5 s after the first: still inside its window
    still_refused = limit.try_acquire("k")
    clock.now += 0.5  # the first three leave the window together
    freed = [limit.try_acquire("k") for _ in range(3)]

    assert admitted == [None, None, None]
    assert refused == 4  # whole seconds until the oldest leaves, rounded up
    assert other_key is None
    assert still_refused == 1
    assert freed == [None, None, None]
    assert len(limit.admitted("k")) == 6  # refusals are not counted
    assert limit.max_admitted_in_any_window("k") == 3


def test_max_in_any_window_counts_half_open_windows():
    assert max_in_any_window([], 1) == 0
    assert max_in_any_window([0.0, 0.5, 0.99, 1.0, 1.5], 1) == 3
    assert max_in_any_window([0.0, 1.0, 2.0], 1) == 1
    assert max_in_any_window([3.0, 0.0, 0.1], 1) == 2


def test_threads_sharing_a_limit_never_exceed_it_in_any_window():
    limit = RateLimit(limit=10, window_seconds=0.2, key=str)

    def hammer(_):
        return sum(limit.try_acquire("shared") is None for _ in range(60))

    with ThreadPoolExecutor(max_workers=12) as pool:
        admitted = sum(pool.map(hammer, range(12)))

    assert admitted == len(limit.admitted("shared")) >= 10
    assert limit.max_admitted_in_any_window("shared") == 10


@pytest.fixture
def frozen_time(monkeypatch):
    """Stop the simulators' limiter clocks, so "N then a 429" does not depend on sending N
    requests within one window on a busy machine."""
    clock = FakeClock()
    for simulator in fake_provider.SIMULATORS:
        if simulator.rate_limit is not None:
            monkeypatch.setattr(simulator.rate_limit, "clock", clock)
    return clock


def test_poweroffice_shape_per_subscription_key(client, db, frozen_time):
    def call(key):
        return client.get("/sandbox/fake_po/api/ping",
                          headers={"Ocp-Apim-Subscription-Key": key})

    statuses = [call("sub-a").status_code for _ in range(10)]
    refused = call("sub-a")
    other_key = call("sub-b")

    assert statuses == [200] * 10
    assert refused.status_code == 429
    assert refused.json() == {"statusCode": 429,
                              "message": "Rate limit is exceeded. Try again in 1 seconds."}
    assert refused["Retry-After"] == "1"
    assert other_key.status_code == 200
    frozen_time.now += 1
    assert call("sub-a").status_code == 200


def test_fortnox_shape_per_client_and_tenant(client, make_tenant, bearer, frozen_time):
    nordbil, frost = make_tenant("fake_fortnox", "Nordbil"), make_tenant("fake_fortnox", "Frost")
    nordbil_headers = bearer(nordbil)
    second_token_same_tenant = bearer(nordbil)

    statuses = [client.get("/sandbox/fake_fortnox/api/me", headers=nordbil_headers).status_code
                for _ in range(25)]
    refused = client.get("/sandbox/fake_fortnox/api/invoices", headers=second_token_same_tenant)
    other_tenant = client.get("/sandbox/fake_fortnox/api/me", headers=bearer(frost))

    assert statuses == [200] * 25
    assert refused.status_code == 429  # another token for the same tenant does not help
    assert refused.json() == {"message": "Too Many Requests"}
    assert other_tenant.status_code == 200


def test_visma_shape_per_client_and_endpoint(client, make_tenant, bearer, frozen_time):
    headers = bearer(make_tenant("fake_visma"))

    statuses = [client.get("/sandbox/fake_visma/api/invoices", headers=headers).status_code
                for _ in range(5)]
    refused = client.get("/sandbox/fake_visma/api/invoices", headers=headers)
    other_endpoint = client.get("/sandbox/fake_visma/api/me", headers=headers)

    assert statuses == [200] * 5
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
    assert body["ErrorCode"] == 4010
    assert body["DeveloperErrorMessage"] == (
        "API calls quota exceeded! maximum admitted 5 per Minute. Try again in 60 seconds.")
    uuid.UUID(body["ErrorId"])
    assert other_endpoint.status_code == 200


@pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)
def test_concurrent_clients_against_a_live_server_never_exceed_the_limit(live_server,
                                                                         monkeypatch):
    url = f"{live_server.url}/sandbox/fake_po/api/ping"
    limit = fake_provider.FAKE_POWEROFFICE.rate_limit
    # A window no loaded machine outlasts: all 32 requests race for the same 10 slots, so the
    # outcome is exact. (Sliding is covered with a fake clock above.)
    monkeypatch.setattr(limit, "window_seconds", 120.0)
    local = threading.local()

    def burst(_):
        local.session = getattr(local, "session", None) or requests.Session()
        return [local.session.get(url, headers={"Ocp-Apim-Subscription-Key": "shared"},
                                  timeout=30) for _ in range(4)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = [response for batch in pool.map(burst, range(8)) for response in batch]

    statuses = [response.status_code for response in responses]
    assert (statuses.count(200), statuses.count(429)) == (10, 22)
    assert len(limit.admitted("shared")) == 10
    assert limit.max_admitted_in_any_window("shared") == 10
    refused = next(r for r in responses if r.status_code == 429).json()
    assert refused["statusCode"] == 429
    assert re.fullmatch(r"Rate limit is exceeded\. Try again in \d+ seconds\.", refused["message"])
    report = requests.get(f"{live_server.url}/sandbox/fake_po/_control/requests",
                          params={"key": "shared"}, timeout=30).json()
    assert report["limits"][0]["max_in_any_window"] == 10
    assert len(report["limits"][0]["admitted"]) == 10


def test_the_control_endpoint_forgets_admitted_requests(client, db):
    client.get("/sandbox/fake_po/api/ping", headers={"Ocp-Apim-Subscription-Key": "k"})

    assert client.delete("/sandbox/fake_po/_control/requests").json() == {"reset": 1}
    report = client.get("/sandbox/fake_po/_control/requests").json()
    assert report["limits"][0]["admitted"] == []
