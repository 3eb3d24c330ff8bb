"""Generic OAuth 2.0 views a simulator mounts under its provider's paths: the consent page a
person approves in the browser, the token endpoint, and revocation.

They follow RFC 6749 and the providers' observed behaviour: client authentication by Basic
auth or form fields, form-encoded token requests only, single-use codes bound to their
redirect_uri, rotating single-use refresh tokens (unless the policy says otherwise), errors as
`{"error", "error_description"}`. A simulator configures them through `as_view(...)` and
overrides a hook where its provider differs (e.g. how a client-credentials request names its
tenant).

    path("oauth/token", TokenView.as_view(simulator=sim, policy=POLICY)),
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from sandbox.framework import tokens
from sandbox.framework.errors import oauth_error
from sandbox.models import SandboxClient, SandboxTenant

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"


LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")


def _loopback_port_variant(client, uri):
    """RFC 8252, section 7.3: for a loopback redirect URI the authorization server allows any
    port, since a program on a person's machine runs wherever a port is free (`make run
    PORT=...`). Everything but the port must match a registered URI exactly."""
    def without_port(value):
        parts = urlsplit(value)
        host = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
        return parts.scheme, host, parts.path, parts.query, parts.fragment

    try:
        asked = without_port(uri)
    except ValueError:
        return False
    if asked[0] != "http" or asked[1] not in LOOPBACK_HOSTS:
        return False
    return any(without_port(registered) == asked for registered in client.redirect_uri_list)


@dataclass(frozen=True)
class OAuthPolicy:
    """Lifetimes in seconds. `refresh_ttl=None` issues no refresh tokens."""

    access_ttl: int = 3600
    refresh_ttl: int | None = None
    code_ttl: int = 600
    rotate_refresh_tokens: bool = True
    grant_types: tuple = (AUTHORIZATION_CODE, REFRESH_TOKEN)
    # RFC 6749 allows 400 or 401; the providers we simulate answer 400.
    invalid_client_status: int = 400


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(View):
    """POST grant_type=authorization_code | refresh_token | client_credentials."""

    simulator = None
    policy = OAuthPolicy()
    http_method_names = ["post"]

    def post(self, request):
        try:
            issued = self.grant(request)
        except tokens.OAuthError as failure:
            return oauth_error(failure.error, failure.description, failure.status)
        return JsonResponse(issued.as_oauth_json(), headers={"Cache-Control": "no-store"})

    def grant(self, request):
        if request.content_type != "application/x-www-form-urlencoded":
            raise tokens.OAuthError("invalid_request", "The request must be form-encoded "
                                                       "(application/x-www-form-urlencoded).")
        grant_type = request.POST.get("grant_type", "")
        if grant_type not in self.policy.grant_types:
            raise tokens.OAuthError("unsupported_grant_type",
                                    f"The grant type {grant_type!r} is not supported.")
        client = self.authenticate_client(request)
        if client is None:
            raise tokens.OAuthError("invalid_client", "Client authentication failed.",
                                    self.policy.invalid_client_status)
        provider, policy = self.simulator.slug, self.policy
        if grant_type == AUTHORIZATION_CODE:
            code = self._required(request, "code")
            return tokens.redeem_authorization_code(
                provider, code, client_id=client.client_id,
                redirect_uri=request.POST.get("redirect_uri", ""),
                access_ttl=policy.access_ttl, refresh_ttl=policy.refresh_ttl)
        if grant_type == REFRESH_TOKEN:
            return tokens.refresh_tokens(
                provider, self._required(request, "refresh_token"), client_id=client.client_id,
                access_ttl=policy.access_ttl, refresh_ttl=policy.refresh_ttl,
                rotate=policy.rotate_refresh_tokens)
        tenant = self.tenant_for_client_credentials(request, client)
        if tenant is None:
            raise tokens.OAuthError("invalid_grant", "No company has granted this client "
                                                     "access.")
        scope = self.scope_for_client_credentials(request, client, tenant)
        access = tokens.issue_access_token(provider, tenant=tenant, client_id=client.client_id,
                                           scope=scope, ttl=policy.access_ttl)
        return tokens.IssuedTokens(access.value, policy.access_ttl, None, scope)

    @staticmethod
    def _required(request, name):
        value = request.POST.get(name, "")
        if not value:
            raise tokens.OAuthError("invalid_request", f"The parameter {name} is missing.")
        return value

    def authenticate_client(self, request):
        """The registered client making the request (hook: a provider may authenticate
        with a per-company client key instead)."""
        return tokens.authenticate_client(self.simulator.slug, request)

    def scope_for_client_credentials(self, request, client, tenant):
        """The scope a client-credentials token carries (hook). Default: the `scope` asked
        for; a provider may instead grant what the company consented to."""
        return request.POST.get("scope", "")

    def tenant_for_client_credentials(self, request, client):
        """The company a client-credentials token is for (hook). Default: a `TenantId`
        header, as one provider's client-credentials flow sends it."""
        tenant_id = request.headers.get("TenantId", "")
        return SandboxTenant.objects.filter(provider=self.simulator.slug,
                                            external_id=tenant_id).first()


@method_decorator(csrf_exempt, name="dispatch")
class RevokeView(View):
    """POST token=...[&token_type_hint=...] with client authentication. Per RFC 7009 an
    unknown token still answers 200. `revoked_body=None` answers with an empty body; a
    provider may answer e.g. `{"revoked": true}`."""

    simulator = None
    policy = OAuthPolicy()
    revoked_body = {"revoked": True}
    http_method_names = ["post"]

    def post(self, request):
        client = tokens.authenticate_client(self.simulator.slug, request)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed.",
                               self.policy.invalid_client_status)
        token = request.POST.get("token", "")
        if not token:
            return oauth_error("invalid_request", "The parameter token is missing.")
        tokens.revoke_token(self.simulator.slug, token, client_id=client.client_id)
        if self.revoked_body is None:
            return HttpResponse(status=200)
        return JsonResponse(self.revoked_body)


def _with_query(uri, params):
    parts = urlsplit(uri)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


class ConsentView(View):
    """The provider's authorize page: GET ?client_id&redirect_uri&scope&state&response_type=code
    shows which integration asks for what, lets the person pick (or create) a company and
    approve or deny; the answer goes back to the redirect_uri with `code` or `error`, and
    `state` unchanged. An unknown client or unregistered redirect_uri is shown on the page,
    never redirected to (that would be an open redirect)."""

    simulator = None
    policy = OAuthPolicy()
    template_name = "sandbox/consent.html"

    def _request_problem(self, request):
        """(client, redirect_uri, None) or (None, None, message) for the query string."""
        client = SandboxClient.objects.filter(provider=self.simulator.slug,
                                              client_id=request.GET.get("client_id", "")).first()
        if client is None:
            return None, None, "Unknown client_id."
        redirect_uri = request.GET.get("redirect_uri", "")
        if redirect_uri and not (client.allows_redirect_uri(redirect_uri)
                                 or _loopback_port_variant(client, redirect_uri)):
            return None, None, "The redirect_uri is not registered for this client."
        if not redirect_uri and not client.redirect_uri_list:
            return None, None, "No redirect_uri was given and none is registered."
        return client, redirect_uri or client.redirect_uri_list[0], None

    def _answer(self, request, redirect_uri, params):
        state = request.GET.get("state")
        if state is not None:
            params["state"] = state
        return HttpResponseRedirect(_with_query(redirect_uri, params))

    def _render(self, request, status=200, **context):
        context.update(simulator=self.simulator, scopes=request.GET.get("scope", "").split(),
                       tenants=SandboxTenant.objects.filter(provider=self.simulator.slug))
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if problem:
            return self._render(request, status=400, problem=problem)
        if request.GET.get("response_type") != "code":
            return self._answer(request, redirect_uri, {"error": "unsupported_response_type"})
        return self._render(request, client=client)

    def post(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if problem:
            return self._render(request, status=400, problem=problem)
        if request.POST.get("decision") != "approve":
            return self._answer(request, redirect_uri, {"error": "access_denied"})
        tenant = self.chosen_tenant(request)
        if tenant is None:
            return self._render(request, status=400, client=client,
                                problem="Choose a company or name a new one.")
        code = tokens.issue_authorization_code(
            self.simulator.slug, tenant=tenant, client_id=client.client_id,
            redirect_uri=request.GET.get("redirect_uri", ""),
            scope=request.GET.get("scope", ""), ttl=self.policy.code_ttl)
        return self._answer(request, redirect_uri, {"code": code})

    def chosen_tenant(self, request):
        """The company picked on the page, or a new one by the name typed in."""
        new_name = request.POST.get("new_tenant_name", "").strip()
        if new_name:
            return SandboxTenant.objects.create(provider=self.simulator.slug, name=new_name)
        return SandboxTenant.objects.filter(provider=self.simulator.slug,
                                            external_id=request.POST.get("tenant", "")).first()
