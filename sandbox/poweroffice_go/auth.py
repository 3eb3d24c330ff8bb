"""Getting and losing access to a Go client: the token endpoint, onboarding, offboarding and the
ClientIntegrationInformation diagnostics.

Token: client credentials only, `Authorization: Basic base64(application key:client key)` and
the subscription key; `{access_token, token_type, expires_in: 1200}` and no refresh token. Keys
that do not belong together (another environment, a removed integration) answer Go's
`invalid_client` "Client integration not found...". The access token is a JWT carrying the
client id and Go's `goAllowSendInvoice` claim, as Go's tokens do; the sandbox still looks every
token up, so a revoked one stops working at once.

Onboarding: Initiate (subscription key, no bearer) answers a TemporaryUrl to a page in the
sandbox where a person picks the companies (only the one with ClientOrganizationNo, if given)
and approves; the browser goes back to RedirectUri with its own query kept and
`status=Success&token=<onboarding token>` added (`status=Cancelled` when declined). Finalize
swaps the token, once, for the client keys. Offboarding (the client's bearer token) removes
the integration: its client key and tokens stop working, and a later onboarding of the same
company issues a new client key.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect

from sandbox.framework import tokens
from sandbox.framework.errors import oauth_error
from sandbox.models import SandboxClient, SandboxRecord, SandboxTenant
from sandbox.poweroffice_go import fields, pages, seed, store
from sandbox.poweroffice_go.simulator import developer_app, json_body, simulator
from sandbox.poweroffice_go.store import ONBOARDING, SLUG, fail, invalid

ACCESS_TOKEN_SECONDS = 1200
ONBOARDING_LINK_MINUTES = 30
ONBOARDING_TOKEN_MINUTES = 10
CLIENT_NOT_FOUND = ("Client integration not found. Please ensure the provided keys are matching "
                    "the desired environment.")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
_SIGNING_KEY = secrets.token_bytes(32)


# -- token ----------------------------------------------------------------------------------------

def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(tenant, application_key):
    now = int(timezone.now().timestamp())
    allowed = seed.SEND_INVOICE_PRIVILEGE not in tenant.data.get("InvalidPrivileges", [])
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({
        "iss": "sandbox-poweroffice-go", "sub": application_key, "ClientId": tenant.external_id,
        "goAllowSendInvoice": str(allowed), "jti": uuid.uuid4().hex,
        "nbf": now, "iat": now, "exp": now + ACCESS_TOKEN_SECONDS,
    }, separators=(",", ":")).encode())
    signature = hmac.new(_SIGNING_KEY, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


def active_company(application_key, client_key):
    """The company on which this integration is active with this client key, or None."""
    if not client_key:
        return None
    for tenant in SandboxTenant.objects.filter(provider=SLUG, secret=client_key):
        data = tenant.data
        if (data.get("IntegrationActive") and hmac.compare_digest(tenant.secret, client_key)
                and str(data.get("ApplicationKey", "")).lower() == application_key.lower()):
            return tenant
    return None


@simulator.endpoint(methods=("POST",), auth=False)
def token(request):
    if request.content_type != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request", "The request must be sent with Content-Type "
                                              "application/x-www-form-urlencoded.")
    grant_type = request.POST.get("grant_type", "")
    if not grant_type:
        return oauth_error("invalid_request", "The grant_type parameter is missing.")
    if grant_type != "client_credentials":
        return oauth_error("unsupported_grant_type", f"The grant type '{grant_type}' is not "
                                                     f"supported. Use client_credentials.")
    if not request.headers.get("Authorization", "").lower().startswith("basic "):
        return oauth_error("invalid_client", "The Authorization header must be 'Basic ' "
                                             "followed by base64(application key:client key).")
    credentials = tokens.basic_credentials(request)
    if credentials is None:
        return oauth_error("invalid_request", "The Basic credentials are not valid base64 of "
                                              "'application key:client key'.")
    application_key, client_key = credentials
    app = developer_app(request)
    tenant = None
    if app is not None and app.client_id.lower() == application_key.strip().lower():
        tenant = active_company(app.client_id, client_key.strip())
    if tenant is None:
        return oauth_error("invalid_client", CLIENT_NOT_FOUND)
    access = tokens.issue_access_token(SLUG, tenant=tenant, client_id=app.client_id,
                                       ttl=ACCESS_TOKEN_SECONDS, value=_jwt(tenant, app.client_id))
    return JsonResponse({"access_token": access.value, "token_type": "bearer",
                         "expires_in": ACCESS_TOKEN_SECONDS},
                        headers={"Cache-Control": "no-store"})


# -- client integration information and offboarding ------------------------------------------------

@simulator.endpoint(methods=("GET",))
def client_integration_information(request):
    tenant = request.sandbox_tenant
    invalid_privileges = list(tenant.data.get("InvalidPrivileges", []))
    return JsonResponse({
        "ClientId": tenant.external_id, "ClientName": tenant.name,
        "ActiveClientSubscriptions": list(tenant.data.get("Subscriptions", [])),
        "ValidPrivileges": [name for name in seed.PRIVILEGES if name not in invalid_privileges],
        "InvalidPrivileges": invalid_privileges,
        "AllowSendInvoice": seed.SEND_INVOICE_PRIVILEGE not in invalid_privileges,
    })


@simulator.endpoint(methods=("DELETE",))
def remove_integration(request):
    tenant = request.sandbox_tenant
    tenant.data["IntegrationActive"] = False
    tenant.save(update_fields=["data"])
    tokens.revoke_tenant_tokens(SLUG, tenant)
    return JsonResponse({"Success": True,
                         "Message": f"The integration was removed from {tenant.name}.",
                         "RemoveFactoring": False, "ResetInvoiceFinancing": False})


# -- onboarding -----------------------------------------------------------------------------------

def redirect_allowed(app, uri):
    """Go checks scheme, host and path against the whitelist and ignores the query; localhost
    is allowed while testing."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname in LOCAL_HOSTS:
        return True
    for listed in app.redirect_uri_list:
        allowed = urlsplit(listed)
        if (allowed.scheme, allowed.netloc.lower(), allowed.path.rstrip("/")) == (
                parts.scheme, parts.netloc.lower(), parts.path.rstrip("/")):
            return True
    return False


@simulator.endpoint(methods=("POST",), auth=False)
def onboarding_initiate(request):
    data = json_body(request, fields.INITIATE_ONBOARDING_POST)
    app = developer_app(request)
    application_key = data.get("ApplicationKey")
    if not application_key:
        invalid(request, "ApplicationKey", "The ApplicationKey field is required.")
    if application_key.lower() != app.client_id.lower():
        fail(request, 400, "Object(s) not found", f"No integration with application key "
                                                  f"{application_key} is registered for this "
                                                  f"subscription key.")
    redirect_uri = (data.get("RedirectUri") or "").strip()
    if not redirect_uri:
        invalid(request, "RedirectUri", "The RedirectUri field is required.")
    if not redirect_allowed(app, redirect_uri):
        invalid(request, "RedirectUri", f"The redirect uri '{redirect_uri}' is not whitelisted "
                                        f"for this integration. Ask go-api@poweroffice.no to "
                                        f"whitelist it (localhost is always allowed in demo).")
    session_id = uuid.uuid4().hex
    valid_until = timezone.now() + timedelta(minutes=ONBOARDING_LINK_MINUTES)
    store.create(None, ONBOARDING, session_id, {
        "ApplicationKey": app.client_id, "RedirectUri": redirect_uri,
        "ClientOrganizationNo": (data.get("ClientOrganizationNo") or "").strip() or None,
        "ValidUntil": store.stamp(valid_until), "Status": "Pending", "Token": None,
        "TokenValidUntil": None, "TokenUsedAt": None, "ClientIds": [], "UserEmail": None})
    url = request.build_absolute_uri(f"{store.site_path(request)}/onboarding/{session_id}")
    return JsonResponse({"TemporaryUrl": url, "ValidUntilDateTimeOffset": store.stamp(valid_until)})


def _with_query(uri, params):
    parts = urlsplit(uri)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def _session(session_id):
    return (SandboxRecord.objects.filter(provider=SLUG, tenant=None, kind=ONBOARDING,
                                         remote_id=session_id).first())


def _offered_companies(session):
    companies = SandboxTenant.objects.filter(provider=SLUG)
    wanted = session.data.get("ClientOrganizationNo")
    if wanted:
        digits = "".join(ch for ch in wanted if ch.isdigit())
        companies = [company for company in companies
                     if company.data.get("OrganizationNumber") == digits]
    return list(companies)


@csrf_protect
def onboarding_page(request, session_id):
    """Go's login-and-approve page (a person's page, so not behind the API gateway)."""
    session = _session(session_id)
    context = {"session": session, "problem": None}
    if session is None:
        context["problem"] = "This onboarding link is not valid."
        return pages.render(request, "onboarding.html", context, status=404)
    if store.parse_stamp(session.data["ValidUntil"]) <= timezone.now():
        context["problem"] = "This onboarding link has expired. Start again from the integration."
        return pages.render(request, "onboarding.html", context, status=410)
    if session.data["Status"] != "Pending":
        context["problem"] = "This onboarding has already been answered."
        return pages.render(request, "onboarding.html", context, status=409)
    app = SandboxClient.objects.filter(provider=SLUG,
                                       client_id=session.data["ApplicationKey"]).first()
    companies = _offered_companies(session)
    context.update(app=app, companies=companies,
                   organization_number=session.data.get("ClientOrganizationNo") or "")
    if request.method != "POST":
        return pages.render(request, "onboarding.html", context)
    redirect_uri = session.data["RedirectUri"]
    if request.POST.get("decision") != "approve":
        session.data["Status"] = "Cancelled"
        session.save()
        return HttpResponseRedirect(_with_query(redirect_uri, {"status": "Cancelled"}))
    chosen = [company for company in companies
              if company.external_id in request.POST.getlist("client")]
    new_name = request.POST.get("new_company_name", "").strip()
    if new_name:
        number = ("".join(ch for ch in request.POST.get("new_company_org_no", "") if ch.isdigit())
                  or context["organization_number"] or None)
        chosen.append(seed.seed_company(new_name, organization_number=number,
                                        application_key=session.data["ApplicationKey"]))
    if not chosen:
        context["problem"] = "Choose at least one client, or name a new demo company."
        return pages.render(request, "onboarding.html", context, status=400)
    token_value = secrets.token_urlsafe(32)
    session.data.update({
        "Status": "Approved", "Token": token_value,
        "TokenValidUntil": store.stamp(timezone.now()
                                       + timedelta(minutes=ONBOARDING_TOKEN_MINUTES)),
        "ClientIds": [company.external_id for company in chosen],
        "UserEmail": request.POST.get("user_email", "").strip() or "demo@nordbil.example"})
    session.save()
    return HttpResponseRedirect(_with_query(redirect_uri, {"status": "Success",
                                                           "token": token_value}))


def _activate(tenant, application_key):
    """Turn the integration on for a company: a removed integration comes back with a new
    client key; an active one keeps its key."""
    data = tenant.data
    if not data.get("IntegrationActive") or data.get("ApplicationKey") != application_key:
        tenant.secret = str(uuid.uuid4())
        data.update({"IntegrationActive": True, "ApplicationKey": application_key})
        tenant.save(update_fields=["secret", "data"])
    return tenant


@simulator.endpoint(methods=("POST",), auth=False)
def onboarding_finalize(request):
    data = json_body(request, fields.FINALIZE_ONBOARDING_POST)
    value = (data.get("OnboardingToken") or "").strip()
    if not value:
        invalid(request, "OnboardingToken", "The OnboardingToken field is required.")
    app = developer_app(request)
    refused = ("The onboarding token is not valid: it is unknown, has expired or has already "
               "been used.")
    with transaction.atomic():
        session = (SandboxRecord.objects.select_for_update()
                   .filter(provider=SLUG, tenant=None, kind=ONBOARDING, data__Token=value)
                   .first())
        if (session is None or session.data["TokenUsedAt"]
                or session.data["ApplicationKey"] != app.client_id
                or store.parse_stamp(session.data["TokenValidUntil"]) <= timezone.now()):
            fail(request, 400, "Invalid onboarding token", refused)
        session.data["TokenUsedAt"] = store.stamp()
        session.save()
        onboarded = [
            _activate(tenant, app.client_id)
            for tenant in SandboxTenant.objects.filter(provider=SLUG,
                                                       external_id__in=session.data["ClientIds"])]
    return JsonResponse({
        "UserEmail": session.data["UserEmail"],
        "OnboardedClientsInformation": [
            {"ClientKey": tenant.secret, "ClientName": tenant.name,
             "ClientOrganizationNumber": tenant.data.get("OrganizationNumber")}
            for tenant in onboarded],
    })
