"""Whether a failed request may be sent again is decided by the exception's type, walked down its
chain, never by the words in its message: a request that never reached the provider (connect
timeout, refused, name not resolved) is retryable; one that may have reached it (read timeout,
connection dropped or reset after sending, a body cut off) is ambiguous unless the method is
safe to repeat.

The chains are built as requests (adapters.py) and urllib3 (Retry.increment) build them."""

import socket
from http.client import IncompleteRead, RemoteDisconnected

import pytest
import requests
import responses
from urllib3 import HTTPSConnectionPool
from urllib3.connection import HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from integrations.errors import AmbiguousError, RetryableError
from tests.integrations.fakebooks import BASE, FakeBooks, FakeBooksClient

pytestmark = pytest.mark.django_db

HOST = "fakebooks.test"
URL = "/api/customers"


def _caused(exc, cause):
    """`raise exc from cause`, as urllib3 and requests do."""
    exc.__cause__ = cause
    exc.__context__ = cause
    return exc


def _after_retries(reason, wrapper=requests.ConnectionError):
    """What the session raises once urllib3's Retry gives up on `reason`."""
    pool = HTTPSConnectionPool(HOST, 443)
    exhausted = _caused(MaxRetryError(pool, URL, reason), reason)
    failed = wrapper(exhausted)
    failed.__context__ = exhausted
    return failed


def _conn():
    return HTTPSConnection(HOST, 443)


def connect_timeout():
    return _after_retries(
        ConnectTimeoutError(_conn(), f"Connection to {HOST} timed out. (connect timeout=30)"),
        wrapper=requests.ConnectTimeout)


def connection_refused():
    refused = ConnectionRefusedError(111, "Connection refused")
    return _after_retries(_caused(NewConnectionError(
        _conn(), f"Failed to establish a new connection: {refused}"), refused))


def name_not_resolved():
    gaierror = socket.gaierror(-2, "Name or service not known")
    return _after_retries(_caused(NameResolutionError(HOST, _conn(), gaierror), gaierror))


def network_unreachable():
    unreachable = OSError(101, "Network is unreachable")
    return _after_retries(_caused(NewConnectionError(
        _conn(), f"Failed to establish a new connection: {unreachable}"), unreachable))


def read_timeout_after_retries():
    # With read=0 in our Retry, a read timeout reaches us as ConnectionError(MaxRetryError).
    pool = HTTPSConnectionPool(HOST, 443)
    timeout = TimeoutError("timed out")
    return _after_retries(_caused(ReadTimeoutError(
        pool, URL, "Read timed out. (read timeout=30)"), timeout))


def read_timeout():
    pool = HTTPSConnectionPool(HOST, 443)
    return requests.ReadTimeout(ReadTimeoutError(pool, URL, "Read timed out. (read timeout=30)"))


def remote_disconnected():
    closed = RemoteDisconnected("Remote end closed connection without response")
    return _after_retries(_caused(ProtocolError("Connection aborted.", closed), closed))


def connection_reset():
    reset = ConnectionResetError(104, "Connection reset by peer")
    return _after_retries(_caused(ProtocolError("Connection aborted.", reset), reset))


def body_cut_off():
    partial = IncompleteRead(b"ab", 3)
    broken = _caused(ProtocolError(f"Connection broken: {partial!r}", partial), partial)
    return _caused(requests.exceptions.ChunkedEncodingError(broken), broken)


def dropped_with_misleading_words():
    # A proxy relays the upstream's words after our request went out: words say "refused",
    # the type says the request was sent.
    closed = RemoteDisconnected("upstream: Connection refused (NewConnectionError)")
    return _after_retries(_caused(ProtocolError("Connection aborted.", closed), closed))


NEVER_SENT = [connect_timeout, connection_refused, name_not_resolved, network_unreachable]
MAYBE_SENT = [read_timeout_after_retries, read_timeout, remote_disconnected, connection_reset,
              body_cut_off, dropped_with_misleading_words]


def _request(connection, method, exc):
    client = FakeBooksClient(FakeBooks(connection))
    with responses.RequestsMock() as rsps:
        rsps.add(method, f"{BASE}/customers", body=exc)
        client.request(method, "/customers", json={"name": "x"} if method == "POST" else None)


@pytest.mark.parametrize("make_exc", NEVER_SENT, ids=lambda f: f.__name__)
def test_a_post_that_never_reached_the_provider_is_retryable(connection, make_exc):
    with pytest.raises(RetryableError):
        _request(connection, "POST", make_exc())


@pytest.mark.parametrize("make_exc", MAYBE_SENT, ids=lambda f: f.__name__)
def test_a_post_that_may_have_reached_the_provider_is_ambiguous(connection, make_exc):
    with pytest.raises(AmbiguousError):
        _request(connection, "POST", make_exc())


@pytest.mark.parametrize("make_exc", NEVER_SENT + MAYBE_SENT, ids=lambda f: f.__name__)
def test_a_get_is_retryable_whatever_broke(connection, make_exc):
    with pytest.raises(RetryableError):
        _request(connection, "GET", make_exc())


def test_the_chain_is_decided_by_types_not_words():
    from integrations.http import _never_sent

    assert _never_sent(connection_refused())
    assert not _never_sent(dropped_with_misleading_words())
    # No known type in the chain: assume it was sent.
    assert not _never_sent(requests.ConnectionError("Connection refused"))
