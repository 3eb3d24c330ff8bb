"""Fortnox's OAuth 2.0 at `oauth-v1/`: the framework's consent, token and revocation views with
Fortnox's rules on top.

- Consent (`oauth-v1/auth`) needs client_id, response_type=code, state and a space-separated,
  case-sensitive scope of Fortnox scope names; redirect_uri is optional but must match a
  registered one exactly. `account_type=service` also records a service-account consent for
  the company, which is what later client-credentials requests need.
- Tokens (`oauth-v1/token`, Basic client auth): access tokens live 1 h and look like JWTs
  whose payload carries `tenantId` (the signature is random: nobody can verify Fortnox's
  anyway); refresh tokens live 45 days and work once. client_credentials takes the company
  from the `TenantId` header and grants the scopes of its service-account consent, with no
  refresh token.
- Revocation (`oauth-v1/revoke`, token_type_hint=refresh_token) withdraws the whole grant: the
  refresh token and every token the client holds for that company.
"""

import base64
import json
import secrets

from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone

from sandbox.framework import tokens
from sandbox.framework.errors import oauth_error
from sandbox.framework.oauth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    REFRESH_TOKEN,
    ConsentView,
    OAuthPolicy,
    RevokeView,
    TokenView,
)
from sandbox.models import SandboxTenant, SandboxToken

POLICY = OAuthPolicy(access_ttl=3600, refresh_ttl=45 * 24 * 3600, code_ttl=600,
                     grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS))

# Fortnox's scope names (developer docs, "Scopes").
SCOPES = frozenset("""archive article bookkeeping companyinformation connectfile costcenter
    currency customer inbox invoice offer order payment price print profile project salary
    settings supplier supplierinvoice timereporting""".split())


def service_consents(tenant):
    """{client_id: scope} of the service-account consents a company has given."""
    return tenant.data.get("ServiceConsents", {})


def grant_service_consent(tenant, client_id, scope):
    with transaction.atomic():
        tenant = SandboxTenant.objects.select_for_update().get(pk=tenant.pk)
        tenant.data.setdefault("ServiceConsents", {})[client_id] = scope
        tenant.save(update_fields=["data"])
    return tenant


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_shaped(token):
    """A JWT-looking value for an access token: header and payload decode, the signature is
    noise. The payload has what a client may read from Fortnox's tokens (tenantId)."""
    tenant_id = token.tenant.external_id
    payload = {"iss": "fortnox-sandbox", "tenantId": int(tenant_id) if tenant_id.isdigit()
               else tenant_id, "clientId": token.client_id,
               "iat": int(token.created_at.timestamp()),
               "exp": int(token.expires_at.timestamp()), "jti": secrets.token_hex(8)}
    header = {"alg": "RS256", "typ": "JWT"}
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                     _b64(secrets.token_bytes(32))])


class FortnoxConsentView(ConsentView):
    policy = POLICY

    def _fortnox_problem(self, request):
        """An OAuth error for the redirect, or None."""
        if not request.GET.get("state"):
            return {"error": "invalid_request", "error_description": "state is required."}
        scopes = request.GET.get("scope", "").split()
        if not scopes:
            return {"error": "invalid_scope", "error_description": "scope is required."}
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            return {"error": "invalid_scope",
                    "error_description": f"Unknown scope: {' '.join(unknown)}"}
        if request.GET.get("account_type", "") not in ("", "service"):
            return {"error": "invalid_request",
                    "error_description": "account_type must be service when given."}
        return None

    def get(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if not problem and request.GET.get("response_type") == "code":
            refused = self._fortnox_problem(request)
            if refused:
                return self._answer(request, redirect_uri, refused)
        return super().get(request)

    def post(self, request):
        client, redirect_uri, problem = self._request_problem(request)
        if not problem:
            refused = self._fortnox_problem(request)
            if refused:
                return self._answer(request, redirect_uri, refused)
        self.approved_tenant = None
        response = super().post(request)
        if (self.approved_tenant is not None and request.GET.get("account_type") == "service"
                and "code=" in response.get("Location", "")):
            grant_service_consent(self.approved_tenant, client.client_id,
                                  request.GET.get("scope", ""))
        return response

    def chosen_tenant(self, request):
        from sandbox.fortnox.seed import seed_company  # seed imports this module

        new_name = request.POST.get("new_tenant_name", "").strip()
        if new_name:
            tenant = seed_company(new_name, organisation_number=(
                f"559{secrets.randbelow(900) + 100}-{secrets.randbelow(9000) + 1000}"))
        else:
            tenant = SandboxTenant.objects.filter(
                provider=self.simulator.slug, external_id=request.POST.get("tenant", "")).first()
        self.approved_tenant = tenant
        return tenant


class FortnoxTokenView(TokenView):
    policy = POLICY

    def post(self, request):
        response = super().post(request)
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        token = SandboxToken.objects.select_related("tenant").get(
            provider=self.simulator.slug, kind=tokens.ACCESS, value=body["access_token"])
        body["access_token"] = jwt_shaped(token)
        SandboxToken.objects.filter(pk=token.pk).update(value=body["access_token"])
        return JsonResponse(body, headers={"Cache-Control": "no-store"})

    def tenant_for_client_credentials(self, request, client):
        tenant = super().tenant_for_client_credentials(request, client)
        if tenant is None or client.client_id not in service_consents(tenant):
            return None
        return tenant

    def scope_for_client_credentials(self, request, client, tenant):
        return service_consents(tenant)[client.client_id]


class FortnoxRevokeView(RevokeView):
    policy = POLICY
    revoked_body = {"revoked": True}

    def post(self, request):
        client = tokens.authenticate_client(self.simulator.slug, request)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed.",
                               self.policy.invalid_client_status)
        value = request.POST.get("token", "")
        if not value:
            return oauth_error("invalid_request", "The parameter token is missing.")
        token = SandboxToken.objects.filter(provider=self.simulator.slug, value=value,
                                            client_id=client.client_id).first()
        if token is not None:
            SandboxToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            tokens.revoke_tenant_tokens(self.simulator.slug, token.tenant,
                                        client_id=client.client_id)
        return JsonResponse(self.revoked_body)
