"""config/handlers.py, called as gunicorn calls config/wsgi.py: a webhook POST is answered
before Django's request handling (no middleware, no URL resolving), with Django's request
signals still sent, a crash logged and answered 500 after the request was kept; every other
method and path, and plain HTTP where HTTPS is required, keeps Django's full stack."""

import io
import json
import logging

import pytest
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections

from integrations.models import WebhookEvent
from integrations.webhooks import accepting, processing
from tests.integrations.test_webhooks_fixtures import BODY, signed

pytest_plugins = ["tests.integrations.test_webhooks_fixtures"]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_database_connection():
    """As Django's test client does: the handler's signals would close the connection that
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(path, *, method="GET", body=b"", meta=None):
    """(status code, headers, body) of the WSGI application for one request; `meta` as WSGI
    environ keys (HTTP_...)."""
    from config.wsgi import application

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "HTTP_HOST": "testserver",
               "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}
    environ.update(meta or {})
    started = []
    chunks = application(environ, lambda status, response_headers: started.append(
        (status, response_headers)))
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    status, response_headers = started[0]
    return int(status.split()[0]), dict(response_headers), content


def test_a_webhook_is_answered_without_djangos_request_handling(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    status, headers, content = call("/api/webhooks/hookbooks", method="POST", body=raw,
                                    meta=signed(hook_secret, raw))
    assert (status, json.loads(content)["status"]) == (200, "accepted")
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(content))
    assert headers["X-Content-Type-Options"] == "nosniff"
    # No frame options, language, session or CSRF cookie: no middleware ran.
    assert "X-Frame-Options" not in headers
    assert "Content-Language" not in headers
    assert "Set-Cookie" not in headers
    assert WebhookEvent.objects.get().status in ("accepted", "queued")


def test_the_webhook_answers_as_the_view_does(hook_conn, hook_secret, client):
    """The same answers through the fast path and through Django's URLs (the test client)."""
    raw = json.dumps(BODY).encode()
    meta = signed(hook_secret, raw)
    assert call("/api/webhooks/nosuchprovider", method="POST", body=raw, meta=meta)[0] == 404
    status, _, content = call("/api/webhooks/hookbooks", method="POST", body=b"{", meta=meta)
    assert (status, json.loads(content)["status"]) == (400, "refused")
    via_view = client.post("/api/webhooks/hookbooks", data=b"{", content_type="application/json",
                           **meta)
    assert (via_view.status_code, via_view.json()) == (400, json.loads(content))


def test_django_still_sends_its_request_signals(hook_conn, hook_secret):
    seen = []

    def started(**kwargs):
        seen.append("started")

    def finished(**kwargs):
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        raw = json.dumps(BODY).encode()
        call("/api/webhooks/hookbooks", method="POST", body=raw, meta=signed(hook_secret, raw))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert seen == ["started", "finished"]


def test_a_crash_is_logged_and_answered_500_after_the_request_was_kept(
        hook_conn, hook_secret, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # Storing the event fails (on either path: with its task, or the one-statement insert).
    monkeypatch.setattr(processing, "dispatch", broken)
    monkeypatch.setattr(accepting, "insert_accepted", broken)
    signalled = []

    def exception_signal(**kwargs):
        signalled.append(kwargs["request"].path)

    got_request_exception.connect(exception_signal)
    import config.wsgi  # noqa: F401  (made first: Django's set-up resets django.* handlers)

    records = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append
    logging.getLogger("django.request").addHandler(handler)
    raw = json.dumps(BODY).encode()
    try:
        status, headers, content = call("/api/webhooks/hookbooks", method="POST", body=raw,
                                        meta=signed(hook_secret, raw))
    finally:
        got_request_exception.disconnect(exception_signal)
        logging.getLogger("django.request").removeHandler(handler)
    assert (status, json.loads(content)["status"]) == (500, "error")
    assert "disk on fire" not in content.decode()  # the sender learns nothing of ours
    assert signalled == ["/api/webhooks/hookbooks"]
    [record] = records
    assert "Internal Server Error: /api/webhooks/hookbooks" in record.getMessage()
    assert "disk on fire" in str(record.exc_info[1])
    event = WebhookEvent.objects.get()
    assert (event.status, event.error) == ("received", "RuntimeError: disk on fire")


def test_other_methods_and_paths_go_through_django():
    status, headers, content = call("/api/webhooks/hookbooks")  # GET
    assert (status, headers["Allow"]) == (405, "POST")
    assert call("/api/webhooks/hookbooks/", method="POST")[0] == 404  # not the webhook's path


def test_plain_http_where_https_is_required_goes_to_djangos_redirect(settings, monkeypatch):
    """Django's security middleware redirects it (read when the application was made, so this
    test only sees that the request went to Django, and that HTTPS stays on the fast path)."""
    from config.wsgi import application

    reached = []

    def django(environ, start_response):
        reached.append(environ.get("wsgi.url_scheme"))
        start_response("301 Moved Permanently", [("Location", "https://testserver/")])
        return [b""]

    monkeypatch.setattr(application, "django", django)
    settings.SECURE_SSL_REDIRECT = True
    assert call("/api/webhooks/hookbooks", method="POST", body=b"{}")[0] == 301
    assert call("/api/webhooks/hookbooks", method="POST", body=b"{}",
                meta={"wsgi.url_scheme": "https"})[0] == 404  # no such provider here
    assert reached == ["http"]
    assert not WebhookEvent.objects.exists()


def test_a_page_keeps_the_full_middleware():
    status, headers, _ = call("/login/")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Language" in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
