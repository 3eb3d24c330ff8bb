"""config/handlers.py, called as gunicorn calls config/wsgi.py: a webhook is answered without
the staff pages' middleware (sessions, language, CSRF, login, organization, messages, frame
options), with the security middleware still on; every other path keeps the full stack."""

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

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


def test_a_webhook_is_answered_without_the_staff_pages_middleware(hook_conn, hook_secret):
    raw = json.dumps(BODY).encode()
    status, headers, content = call("/api/webhooks/hookbooks", method="POST", body=raw,
                                    meta=signed(hook_secret, raw))
    assert (status, json.loads(content)["status"]) == (200, "accepted")
    # No frame options, language, session or CSRF cookie: those middlewares did not run.
    assert "X-Frame-Options" not in headers
    assert "Content-Language" not in headers
    assert "Set-Cookie" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware did


def test_a_page_keeps_the_full_middleware():
    status, headers, _ = call("/login/")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Language" in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
