"""Visma Online's identity server (identity.vismaonline.com, a Duende IdentityServer), shared by
every Visma simulator: one consent and one token serve Visma eAccounting (`ea:api`) and Visma
payroll (`vls:api`) when both scopes were granted [visma-eaccounting.md 2.1, visma-payroll.md
1.1]. Mounted with the eAccounting simulator under /sandbox/visma_eaccounting/connect/.

Interface for the Visma simulators (this one and sandbox/visma_payroll/):

    from sandbox.visma_eaccounting import identity

    identity.REALM                  "visma_eaccounting": the `provider` key of every Visma company
                                    (`SandboxTenant`, external_id = Visma Online `customer_id`)
                                    and token. A simulator sharing this server passes
                                    `Simulator(..., realm=identity.REALM,
                                    authenticate=identity.authenticator("vls:api"))`, so the
                                    framework's token check, per-company faults, `_control/tokens`
                                    and accountant page all see the same companies and tokens.
    identity.authenticate(request, scope="vls:api") -> SandboxTenant
                                    the company of the request's bearer token if the token is
                                    live and carries `scope` (a string, or a tuple meaning "any
                                    of"); sets `request.sandbox_token` / `request.sandbox_tenant`.
                                    Otherwise raises `ErrorResponse` with Visma's envelope: 401
                                    ErrorCode 4005 (no, unknown, expired or revoked token), 403
                                    ErrorCode 4006 (scope not granted).
    identity.authenticator(*scopes) -> (request) -> None | reason
                                    the same check as a `Simulator(authenticate=...)` hook: every
                                    one of `scopes` is required (e.g. "ea:api"); pair it with
                                    `unauthorized=identity.unauthorized`.
    identity.unauthorized(request, reason)   the 401/403 above for a reason.
    identity.require_scope(request, *any_of) raise the 403 unless the token has one of them.
    identity.token_scopes(request)  the scopes of the request's token (frozenset).
    identity.company(customer_id) / identity.ensure_company(name, customer_id=None, **facts)
                                    find / create a Visma company (facts go to `tenant.data`).
    identity.on_company_created(callback)
                                    callback(tenant) runs when the consent page creates a
                                    company, so each product can give it its starting data.
    identity.issue_access_token(tenant, client_id, scope, ttl=3600) -> str
                                    a token for tests that skip the consent flow.
    identity.set_reusable_refresh_tokens(client_id, reusable=True)
                                    switch a client to non-rotating refresh tokens.
    identity.urlpatterns()          connect/authorize, connect/token, connect/revocation.

The server's rules [visma-eaccounting.md 2.2, 2.3]:
- `connect/authorize` (GET) needs client_id, a registered redirect_uri (exact match),
  response_type=code and a scope of known names; `prompt` and `acr_values` are accepted and
  the company picker is always shown (as `prompt=select_account` does). The page shows the
  scopes asked for; the person picks a company (or names a new one) and approves or denies.
  The code works once, for 5 minutes, with the same redirect_uri.
- `connect/token` (POST, form-encoded only; client by Basic auth or client_secret_post):
  `authorization_code` and `refresh_token`. Access tokens live 3600 s and are JWT-shaped
  (RS256 header, a payload with `customer_id`, `client_id`, `sub`, `scope`, `exp` and `jti`;
  the signature is noise, nobody can verify Visma's anyway). The server finds a token by its
  `jti`, so only the whole JWT as handed out works as a bearer token. A refresh token is
  issued only with `offline_access`, and it is ROTATED: every refresh returns a new one and
  the old one is dead (`invalid_grant`), the one-time mode older clients have [CL-RT]. A
  client switched with `set_reusable_refresh_tokens(client_id)` gets the newer mode instead:
  the same refresh token back on every refresh, valid until it expires or is revoked.
- `connect/revocation` (POST, client auth, `token`, optional `token_type_hint`): 200 with an
  empty body, also for an unknown token (RFC 7009). Revoking a refresh token ends the grant:
  that refresh token and the client's access tokens for that company stop working. ASSUMED:
  Duende cannot revoke self-contained JWT access tokens, so real ones may live out their hour;
  ending them too is the stricter reading a client must survive anyway.
ASSUMED where the docs are silent: refresh tokens live 30 days (lifetime UNCONFIRMED); an
unknown scope redirects with `error=invalid_scope`; a consent without `ea:api` still works for
payroll-only clients.
"""

import base64
import dataclasses
import json
import secrets
import uuid

from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from sandbox.framework import tokens
from sandbox.framework.errors import ErrorResponse, oauth_error
from sandbox.framework.oauth import (
    AUTHORIZATION_CODE,
    REFRESH_TOKEN,
    ConsentView,
    OAuthPolicy,
    RevokeView,
    TokenView,
)
from sandbox.models import SandboxRecord, SandboxTenant, SandboxToken
from sandbox.visma_eaccounting import errors

REALM = "visma_eaccounting"
ISSUER = "https://identity.vismaonline.com"
OFFLINE_ACCESS = "offline_access"
INSUFFICIENT_SCOPE = errors.INSUFFICIENT_SCOPE

POLICY = OAuthPolicy(access_ttl=3600, refresh_ttl=30 * 24 * 3600, code_ttl=300,
                     grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN))
# Clients created since Visma's change keep one reusable refresh token [CL-RT].
REUSE_POLICY = dataclasses.replace(POLICY, rotate_refresh_tokens=False)
REUSABLE_REFRESH = "reusable_refresh_tokens"  # the SandboxRecord kind that marks such a client

# What the consent page shows for each scope [visma-eaccounting.md 2.1; OIDC discovery].
SCOPES = {
    "ea:api": "Use the Visma eAccounting API",
    "ea:sales": "Read and change customers, articles, invoices, quotes and orders",
    "ea:sales_readonly": "Read customers, articles, invoices, quotes and orders",
    "ea:accounting": "Read and change accounts, vouchers, VAT codes and fiscal years",
    "ea:accounting_readonly": "Read accounts, vouchers, VAT codes and fiscal years",
    "ea:purchase": "Read and change suppliers and supplier invoices",
    "ea:purchase_readonly": "Read suppliers and supplier invoices",
    "ea:settings": "Read and change company settings",
    "ea:settings_readonly": "Read company settings",
    "vls:api": "Use the Visma payroll (Lön) API",
    "offline_access": "Stay connected when you are not signed in (refresh token)",
    "openid": "Know who you are",
    "profile": "Read your name",
    "email": "Read your e-mail address",
}

_created_hooks = []


# -- companies ------------------------------------------------------------------------------------

def company(customer_id):
    """The Visma company with this `customer_id`, or None."""
    return SandboxTenant.objects.filter(provider=REALM, external_id=str(customer_id)).first()


def ensure_company(name, customer_id=None, **facts):
    """The company with `customer_id` (a new GUID unless given), created with `name` and
    `facts` in its data if it does not exist yet."""
    with transaction.atomic():
        tenant, _ = SandboxTenant.objects.get_or_create(
            provider=REALM, external_id=str(customer_id or uuid.uuid4()),
            defaults={"name": name, "data": dict(facts)})
    return tenant


def on_company_created(callback):
    """Register callback(tenant), run when the consent page creates a company. Idempotent per
    callback, so a module may register at import time."""
    if callback not in _created_hooks:
        _created_hooks.append(callback)
    return callback


# -- tokens ---------------------------------------------------------------------------------------

def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_value(token, *, subject=None):
    """The JWT-shaped access token handed out for a stored one: header and payload decode, the
    signature is noise. Its `jti` is the stored token's own (opaque) value, which is how the
    server finds the token again; the rest of the payload is what a client may read."""
    header = {"alg": "RS256", "kid": "sandbox", "typ": "at+jwt"}
    issued = int(token.created_at.timestamp())
    payload = {
        "iss": ISSUER, "nbf": issued, "iat": issued, "exp": int(token.expires_at.timestamp()),
        "aud": sorted(name for name in token.scope.split() if name.endswith(":api")),
        "client_id": token.client_id,
        "sub": subject or str(uuid.uuid5(uuid.NAMESPACE_URL, token.tenant.external_id)),
        "customer_id": token.tenant.external_id, "scope": token.scope.split(),
        "jti": token.value,
    }
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                     _b64(secrets.token_bytes(64))])


def stored_value(presented):
    """The stored (opaque) value of a presented access token: its JWT's `jti`; None if the
    value is not one of our JWTs."""
    parts = (presented or "").split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    jti = payload.get("jti") if isinstance(payload, dict) else None
    return jti if isinstance(jti, str) and jti else None


def issue_access_token(tenant, client_id, scope, ttl=POLICY.access_ttl):
    """A live access token for `tenant` (tests that skip the consent flow)."""
    return jwt_value(tokens.issue_access_token(REALM, tenant=tenant, client_id=client_id,
                                               scope=scope, ttl=ttl))


def _authenticate_bearer(request):
    """Like the framework's bearer check, for Visma's JWT-shaped tokens."""
    presented = tokens.bearer_token(request)
    if presented is None:
        return tokens.MISSING
    value = stored_value(presented)
    if value is None:
        return tokens.INVALID
    token, reason = tokens.validate_access_token(REALM, value)
    if token is None:
        return reason
    request.sandbox_token = token
    request.sandbox_tenant = token.tenant
    return None


def token_scopes(request):
    token = getattr(request, "sandbox_token", None)
    return token.scopes if token is not None else frozenset()


unauthorized = errors.unauthorized  # 401 ErrorCode 4005, or 403 ErrorCode 4006 for a scope


def require_scope(request, *any_of):
    if any_of and not token_scopes(request) & set(any_of):
        raise ErrorResponse(unauthorized(request, INSUFFICIENT_SCOPE))


def authenticator(*required):
    """A `Simulator(authenticate=...)` hook: a live token of the realm carrying every one of
    `required`."""

    def check(request):
        reason = _authenticate_bearer(request)
        if reason is not None:
            return reason
        if not set(required) <= request.sandbox_token.scopes:
            return INSUFFICIENT_SCOPE
        return None

    return check


def authenticate(request, scope=None):
    """The company of the request's token (see the module docstring), else ErrorResponse."""
    reason = _authenticate_bearer(request)
    if reason is not None:
        raise ErrorResponse(unauthorized(request, reason))
    if scope:
        require_scope(request, *((scope,) if isinstance(scope, str) else scope))
    return request.sandbox_tenant


# -- the identity server's endpoints --------------------------------------------------------------

class VismaConsentView(ConsentView):
    policy = POLICY

    def _visma_problem(self, request):
        """An OAuth error for the redirect, or None."""
        scopes = request.GET.get("scope", "").split()
        if not scopes:
            return {"error": "invalid_scope", "error_description": "scope is required."}
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            return {"error": "invalid_scope",
                    "error_description": f"Invalid scope: {' '.join(unknown)}"}
        return None

    def _request_problem(self, request):
        if not request.GET.get("redirect_uri"):
            return None, None, "redirect_uri is required."
        return super()._request_problem(request)

    def get(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if not problem and request.GET.get("response_type") == "code":
            refused = self._visma_problem(request)
            if refused:
                return self._answer(request, redirect_uri, refused)
        return super().get(request)

    def post(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if not problem:
            refused = self._visma_problem(request)
            if refused:
                return self._answer(request, redirect_uri, refused)
        return super().post(request)

    def chosen_tenant(self, request):
        new_name = request.POST.get("new_tenant_name", "").strip()
        if not new_name:
            return company(request.POST.get("tenant", ""))
        tenant = ensure_company(new_name)
        for hook in list(_created_hooks):
            hook(tenant)
        return tenant


def reuses_refresh_tokens(client_id):
    return SandboxRecord.objects.filter(provider=REALM, tenant=None, kind=REUSABLE_REFRESH,
                                        remote_id=client_id).exists()


def set_reusable_refresh_tokens(client_id, reusable=True):
    """Switch a client to Visma's newer mode: one refresh token that stays valid through
    refreshes (until it expires or is revoked), instead of a new one each time."""
    marks = SandboxRecord.objects.filter(provider=REALM, tenant=None, kind=REUSABLE_REFRESH,
                                         remote_id=client_id)
    if not reusable:
        marks.delete()
    elif not marks.exists():
        SandboxRecord.objects.create(provider=REALM, tenant=None, kind=REUSABLE_REFRESH,
                                     remote_id=client_id)


class VismaTokenView(TokenView):
    """Visma's token endpoint: JWT-shaped access tokens, a refresh token only with
    `offline_access`, rotated unless the client reuses its refresh token."""

    policy = POLICY

    def grant(self, request):
        client = tokens.authenticate_client(REALM, request)
        if client is not None and reuses_refresh_tokens(client.client_id):
            self.policy = REUSE_POLICY  # this request's view instance only
        issued = super().grant(request)
        token = SandboxToken.objects.select_related("tenant").get(
            provider=REALM, kind=tokens.ACCESS, value=issued.access_token)
        refresh = issued.refresh_token
        if refresh and OFFLINE_ACCESS not in issued.scope.split():
            tokens.revoke_token(REALM, refresh)
            refresh = None
        return tokens.IssuedTokens(jwt_value(token), issued.expires_in, refresh, issued.scope)


class VismaRevokeView(RevokeView):
    """POST token=...[&token_type_hint=...]: 200 with an empty body."""

    policy = POLICY

    def post(self, request):
        if request.content_type != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "The request must be form-encoded.")
        client = tokens.authenticate_client(REALM, request)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed.")
        value = request.POST.get("token", "")
        if not value:
            return oauth_error("invalid_request", "The parameter token is missing.")
        hint = request.POST.get("token_type_hint", "")
        if hint not in ("", "access_token", "refresh_token"):
            return oauth_error("unsupported_token_type", f"Unknown token_type_hint {hint!r}.")
        token = SandboxToken.objects.filter(provider=REALM, value=stored_value(value) or value,
                                            client_id=client.client_id).first()
        if token is not None:
            now = timezone.now()
            SandboxToken.objects.filter(pk=token.pk).update(revoked_at=now)
            if token.kind == tokens.REFRESH:
                SandboxToken.objects.filter(
                    provider=REALM, tenant=token.tenant, client_id=client.client_id,
                    kind=tokens.ACCESS, revoked_at__isnull=True).update(revoked_at=now)
        return HttpResponse(status=200)


def _token_endpoint(view):
    from sandbox.visma_eaccounting.simulator import simulator

    return simulator.endpoint(methods=("POST",), auth=False, rate_limit=None)(
        view.as_view(simulator=simulator))


def _consent_view():
    from sandbox.visma_eaccounting.simulator import simulator

    return VismaConsentView.as_view(simulator=simulator)


def urlpatterns():
    """The identity server's routes (relative to the simulator's root)."""
    return [
        path("connect/authorize", _consent_view(), name="authorize"),
        path("connect/token", _token_endpoint(VismaTokenView), name="token"),
        path("connect/revocation", _token_endpoint(VismaRevokeView), name="revocation"),
    ]
