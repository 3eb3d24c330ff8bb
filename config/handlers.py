"""The WSGI application: Django, with webhooks answered before Django's request handling.

A webhook is a provider's server posting an event: it carries no session cookie, no language,
no login and no organization, it is not a page a browser shows, and its answer is two strings
of JSON for a machine. Django's request handling (the staff pages' middleware, URL resolving
through every pattern, the response object and its conversion) has nothing to do for it, yet
it cost a webhook more than verifying it (README, "Webhooks"). So `with_webhooks` wraps
Django's application the way WhiteNoise wraps it for static files: a `POST` to
`/api/webhooks/<provider>` is answered by `WebhookApplication`, which keeps what Django's
handler does that matters here:

- the request is Django's own `WSGIRequest`, so providers' hooks see what they see in a view
  (headers, `META`, `body` with `DATA_UPLOAD_MAX_MEMORY_SIZE`);
- `request_started` and `request_finished` are sent as Django sends them (old or broken
  database connections are closed by them), and `got_request_exception` when it crashes;
- a crash is logged to `django.request` as Django logs it, answered 500 in JSON (the inbox
  has kept the request first, `integrations.webhooks.inbox`);
- the same answer as the view's (`integrations.views.webhooks.answer`), with
  `X-Content-Type-Options: nosniff`.

Everything else goes to Django unchanged: other methods (the view answers 405), other paths, and
a plain-HTTP request when `SECURE_SSL_REDIRECT` asks for HTTPS (Django's security middleware
redirects it, as before). Tests through Django's test client reach the same view through the
URLs; `tests/test_handlers.py` calls this application as gunicorn does.
"""

import json
import logging
import re
from http import HTTPStatus

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.urls import set_script_prefix

from integrations.views.webhooks import answer

# Django's `slug` path converter: the same paths its URL pattern accepts.
WEBHOOK_PATH = re.compile(r"/api/webhooks/(?P<provider>[-a-zA-Z0-9_]+)\Z")
logger = logging.getLogger("django.request")


class _Answer(list):
    """The body of an answer; the server calls `close()` once it is sent, which ends the
    request as Django's responses do."""

    def __init__(self, content, request):
        super().__init__([content])
        self.request = request

    def close(self):
        self.request.close()
        signals.request_finished.send(sender=WebhookApplication)


class WebhookApplication:
    """`POST /api/webhooks/<provider>` as a WSGI application; everything else to `django`."""

    def __init__(self, django):
        self.django = django

    def __call__(self, environ, start_response):
        match = WEBHOOK_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "POST":
            return self.django(environ, start_response)
        request = WSGIRequest(environ)
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return self.django(environ, start_response)  # its redirect to HTTPS, as before
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=WebhookApplication, environ=environ)
        try:
            status, body = answer(request, match["provider"])
        except Exception as exc:
            signals.got_request_exception.send(sender=None, request=request)
            if settings.DEBUG_PROPAGATE_EXCEPTIONS:
                raise
            logger.error("Internal Server Error: %s", request.path, exc_info=exc,
                         extra={"status_code": 500, "request": request})
            status, body = 500, {"status": "error",
                                 "error": "The event could not be stored; send it again."}
        content = json.dumps(body).encode()
        start_response(f"{status} {HTTPStatus(status).phrase}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(content))),
            ("X-Content-Type-Options", "nosniff")])
        return _Answer(content, request)


def with_webhooks(application):
    """Django's `application`, with webhooks answered by `WebhookApplication` first."""
    return WebhookApplication(application)
