"""A lost response over real HTTP: the write is committed, yet `requests` raises, in each of
the three ways a response gets lost. Against the live server, as the hub's clients will be."""

import time

import pytest
import requests

from sandbox.framework import faults
from sandbox.models import SandboxRecord
from tests.sandbox.conftest import SANDBOX_APPS

pytestmark = [pytest.mark.urls("tests.sandbox.urls"),
              pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)]


@pytest.fixture
def api(live_server, tenant, bearer):
    session = requests.Session()
    session.headers.update(bearer(tenant))
    url = f"{live_server.url}/sandbox/fake/api/invoices"

    def post(reference, timeout=5):
        return session.post(url, json={"Customer": "Kari Nordmann", "Total": 1000,
                                       "Reference": reference}, timeout=timeout)

    post.session, post.url = session, url
    yield post
    session.close()


def stored_references():
    return sorted(SandboxRecord.objects.values_list("data__Reference", flat=True))


def eventually(condition, within=15.0):
    """Whether `condition()` comes true within `within` seconds: a timed-out client cannot know
    when the server finishes its work, and neither can the test."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_timeout_the_order_is_stored_but_the_client_times_out(api):
    faults.lose_next_responses("fake", mode="timeout", delay_seconds=4.0,
                               path_prefix="/api/invoices")

    with pytest.raises(requests.Timeout):
        api("order-1", timeout=1.5)

    # The counter is spent only after the view succeeded: the fault, not a slow server, lost
    # the answer.
    assert eventually(lambda: stored_references() == ["order-1"]
                      and faults.current("fake").lost_response_count == 0)
    assert api("order-2").status_code == 201


def test_reset_the_order_is_stored_but_the_connection_drops_without_a_response(api):
    faults.lose_next_responses("fake", mode="reset")

    with pytest.raises(requests.ConnectionError) as raised:
        api("order-1")

    assert "without response" in str(raised.value)
    assert stored_references() == ["order-1"]
    assert api("order-2").status_code == 201


def test_truncate_the_order_is_stored_but_the_body_breaks_off(api):
    faults.lose_next_responses("fake", mode="truncate")

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api("order-1")

    assert stored_references() == ["order-1"]
    assert api("order-2").status_code == 201


def test_only_the_targeted_requests_lose_their_response(api):
    faults.lose_next_responses("fake", 2, mode="reset", method="POST",
                               path_prefix="/api/invoices")

    listed = api.session.get(api.url, timeout=5)
    for reference in ("order-1", "order-2"):
        with pytest.raises(requests.ConnectionError):
            api(reference)
    third = api("order-3")

    assert listed.status_code == 200
    assert third.status_code == 201
    assert stored_references() == ["order-1", "order-2", "order-3"]


def test_faults_set_over_http_reach_the_live_server(api, live_server):
    requests.post(f"{live_server.url}/sandbox/fake/_control/faults",
                  json={"lost_response_count": 1, "lost_response_mode": "reset"}, timeout=5)

    with pytest.raises(requests.ConnectionError):
        api("order-1")

    assert stored_references() == ["order-1"]
