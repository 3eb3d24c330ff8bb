"""The WSGI application: Django, with machine endpoints answered by a lean handler.

A webhook is a provider's server posting an event: it carries no session cookie, no language,
no login and no organization, and it is not a page a browser frames. The middleware of the
staff pages (sessions, language, CSRF, login, organization, messages, frame options, static
files, slash redirects) has nothing to do for it, yet it runs for every request it sees: on our
benchmark it was a fifth of what receiving a webhook cost (README, "Webhooks"). So requests
under `LEAN_PATH_PREFIXES` go to a second Django handler built with `LEAN_MIDDLEWARE` only
(`SecurityMiddleware`: the HTTPS redirect and security headers still apply); the views, URLs,
settings and database are the same. Everything else goes through `settings.MIDDLEWARE`.

Tests that use Django's test client go through the full stack; `tests/test_handlers.py` calls
this application as gunicorn does.
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

LEAN_PATH_PREFIXES = ("/api/webhooks/",)
LEAN_MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with `LEAN_MIDDLEWARE` instead of `settings.MIDDLEWARE`."""

    def load_middleware(self, is_async=False):
        # Django builds the chain from settings.MIDDLEWARE; this runs once, when the
        # application is made (at import, before any request), so the swap is seen by no one.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = list(LEAN_MIDDLEWARE)
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def with_lean_paths(application, prefixes=LEAN_PATH_PREFIXES):
    """`application` (Django's handler), with requests under `prefixes` sent to a lean one."""
    lean = LeanHandler()
    prefixes = tuple(prefixes)

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(prefixes):
            return lean(environ, start_response)
        return application(environ, start_response)

    return dispatch
