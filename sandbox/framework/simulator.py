"""`Simulator`: one simulated provider, as the framework sees it.

A provider package creates one `Simulator` with its slug (the URL segment under /sandbox/ and
the `provider` value in every sandbox table), its error builders (see errors.py), its default
rate limit and, optionally, an accountant book. Its API views are decorated with
`@simulator.endpoint(...)`, which runs every request through the same steps, in the order a
real provider's stack does them:

    method check -> gateway check (e.g. subscription key) -> bearer token -> faults
    (latency, 429 burst, server error) -> rate limit -> the view -> lost response

Authentication comes before faults so that faults can be set per tenant.
"""

import functools
import re

from django.http import HttpResponseNotAllowed
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from sandbox.framework import accountant, control, faults, tokens
from sandbox.framework.errors import ErrorResponse

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_DEFAULT = object()


class Simulator:
    """Parameters:
    slug, name        -- URL segment and `provider` key; the name people read.
    urls              -- the provider's own routes, relative to /sandbox/<slug>/: a list of
                         patterns or a dotted module path (imported when URLs load).
    unauthorized      -- (request, reason) -> 401 in the provider's shape.
    server_error      -- (request, status) -> 5xx in the provider's shape.
    rate_limited      -- (request, retry_after) -> 429 in the provider's shape.
    rate_limit        -- the `RateLimit` endpoints use unless they name another (or None).
    gateway_check     -- (request) -> response or None, run before authentication, for what
                         the provider's gateway refuses first (a missing subscription key).
    method_not_allowed -- (request, allowed_methods) -> response; default plain 405.
    accountant        -- an `AccountantBook`, which mounts the accountant page.
    seed              -- () -> None: create the simulator's published demo data (developer
                         app keys, demo companies), idempotently; `manage.py sandbox_seed`
                         calls it for every registered simulator.
    realm             -- the `provider` key of the companies and tokens it serves (default: its
                         slug). Simulators of one vendor that share an identity server (one
                         consent, one token for several APIs) name the same realm.
    authenticate      -- (request) -> None, having set `request.sandbox_token` and
                         `request.sandbox_tenant`, or the reason passed to `unauthorized`.
                         Default: a live bearer token of the realm.
    """

    def __init__(self, slug, name, *, urls=(), unauthorized, server_error, rate_limited,
                 rate_limit=None, gateway_check=None, method_not_allowed=None,
                 accountant=None, description="", seed=None, realm=None, authenticate=None):
        if not _SLUG.match(slug):
            raise ValueError(f"simulator slug {slug!r}: lowercase letters, digits, underscore")
        self.slug = slug
        self.name = name
        self.urls = urls
        self.unauthorized = unauthorized
        self.server_error = server_error
        self.rate_limited = rate_limited
        self.rate_limit = rate_limit
        self.gateway_check = gateway_check
        self.method_not_allowed = method_not_allowed or (
            lambda request, allowed: HttpResponseNotAllowed(allowed))
        self.accountant = accountant
        self.description = description
        self.seed = seed
        self.realm = realm or slug
        self.authenticate = authenticate or (
            lambda request: tokens.authenticate_bearer(self.realm, request))
        self.rate_limits = {rate_limit} if rate_limit else set()

    def __repr__(self):
        return f"<Simulator {self.slug}>"

    def endpoint(self, *, methods=("GET",), auth=True, rate_limit=_DEFAULT):
        """Decorate an API view. `auth=False` for endpoints reached without a token (token
        endpoint, onboarding); `rate_limit=None` to exempt one, or another `RateLimit`.
        Inside the view, `request.sandbox_token` / `request.sandbox_tenant` are set (None
        without auth) and `raise ErrorResponse(response)` answers with a provider error.

        Also wraps class-based views, so the token endpoint gets faults and limits too:
        `simulator.endpoint(methods=("POST",), auth=False)(TokenView.as_view(...))`. Only for
        machine-facing views: the wrapper is CSRF-exempt, so never wrap an HTML form."""
        limit = self.rate_limit if rate_limit is _DEFAULT else rate_limit
        if limit is not None:
            self.rate_limits.add(limit)
        allowed = tuple(method.upper() for method in methods)

        def decorate(view):
            @csrf_exempt
            @functools.wraps(view)
            def handle(request, *args, **kwargs):
                try:
                    return self._handle(view, request, args, kwargs, allowed, auth, limit)
                except ErrorResponse as stop:
                    return stop.response

            return handle

        return decorate

    def _handle(self, view, request, args, kwargs, allowed, auth, limit):
        request.sandbox_token = request.sandbox_tenant = None
        if request.method not in allowed:
            return self.method_not_allowed(request, allowed)
        if self.gateway_check is not None:
            refused = self.gateway_check(request)
            if refused is not None:
                return refused
        if auth:
            reason = self.authenticate(request)
            if reason is not None:
                return self.unauthorized(request, reason)
        fault_config = faults.current(self.slug, request.sandbox_tenant)
        if fault_config is not None:
            injected = faults.before_view(fault_config, request,
                                          server_error=self.server_error,
                                          rate_limited=self.rate_limited)
            if injected is not None:
                return injected
        if limit is not None:
            refused = limit.admit(request, rejected=self.rate_limited)
            if refused is not None:
                return refused
        try:
            response = view(request, *args, **kwargs)
        except ErrorResponse as stop:
            response = stop.response
        if fault_config is not None:
            response = faults.after_view(fault_config, request, response, provider=self.slug)
        return response

    def urlpatterns(self):
        """The framework's pages for this simulator, then the provider's own routes."""
        context = {"simulator": self}
        patterns = [
            path("_control/faults", control.faults, context, name="control-faults"),
            path("_control/tokens", control.tokens, context, name="control-tokens"),
            path("_control/requests", control.admitted_requests, context,
                 name="control-requests"),
        ]
        if self.accountant is not None:
            patterns.append(path("accountant/", accountant.page, context, name="accountant"))
        own = self.urls if isinstance(self.urls, str) else list(self.urls)
        patterns.append(path("", include(own)))
        return patterns
