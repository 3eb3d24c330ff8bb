"""Visma Online's identity server as the simulator runs it: the consent page, single-use codes
of five minutes, the token endpoint (form-encoded, Basic client auth), JWT-shaped access tokens
carrying `customer_id`, refresh tokens rotated on every refresh, revocation, and the interface
the other Visma simulators authenticate with."""

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from sandbox.framework import tokens
from sandbox.framework.errors import ErrorResponse
from sandbox.models import SandboxTenant
from sandbox.visma_eaccounting import identity
from sandbox.visma_eaccounting.seed import (
    DEMO_CLIENT_ID,
    DEMO_CUSTOMER_ID,
    DEMO_REDIRECT_URI,
    seed_app,
    seed_company,
    seed_demo,
)
from tests.sandbox.conftest import form_post

BASE = "/sandbox/visma_eaccounting"
REDIRECT_URI = "http://127.0.0.1:8000/api/integrations/visma/callback"
SCOPE = "ea:api offline_access ea:sales ea:accounting"


@pytest.fixture
def company(db):
    return seed_company("Frost Bygg AB")


@pytest.fixture
def app(db):
    return seed_app(redirect_uris=[REDIRECT_URI])


def basic(app):
    raw = f"{app.client_id}:{app.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def authorize_url(app, scope=SCOPE, **extra):
    params = {"client_id": app.client_id, "redirect_uri": REDIRECT_URI, "scope": scope,
              "state": "s-123", "response_type": "code", "prompt": "select_account",
              "acr_values": "service:44643EB1-3F76-4C1C-A672-402AE8085934", **extra}
    return f"{BASE}/connect/authorize?{urlencode(params)}"


def approve(client, app, company, scope=SCOPE):
    response = client.post(authorize_url(app, scope), {"decision": "approve",
                                                       "tenant": company.external_id})
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


def token(client, app, **form):
    return form_post(client, f"{BASE}/connect/token", form, headers=basic(app))


def exchange(client, app, code):
    return token(client, app, grant_type="authorization_code", code=code,
                 redirect_uri=REDIRECT_URI)


def claims(access_token):
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def settings_call(client, access_token):
    return client.get(f"{BASE}/v2/companysettings",
                      headers={"Authorization": f"Bearer {access_token}"})


def test_consent_page_shows_the_scopes_and_the_companies(client, app, company):
    page = client.get(authorize_url(app))

    assert page.status_code == 200
    text = page.content.decode()
    for scope in SCOPE.split():
        assert scope in text
    assert "Frost Bygg AB" in text and company.external_id in text


def test_code_flow_gives_an_hour_token_carrying_the_company_and_scopes(client, app, company):
    code = approve(client, app, company)
    response = exchange(client, app, code)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["refresh_token"]
    payload = claims(body["access_token"])
    assert payload["customer_id"] == company.external_id
    assert payload["client_id"] == app.client_id
    assert set(payload["scope"]) == set(SCOPE.split())
    assert payload["exp"] - payload["iat"] == 3600
    answer = settings_call(client, body["access_token"])
    assert answer.status_code == 200 and answer.json()["Name"] == "Frost Bygg AB"


def test_a_code_works_once_and_for_five_minutes(client, app, company):
    code = approve(client, app, company)
    assert exchange(client, app, code).status_code == 200
    again = exchange(client, app, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    late = approve(client, app, company)
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=301)):
        expired = exchange(client, app, late)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_the_code_is_bound_to_its_redirect_uri_and_client(client, app, company):
    other = seed_app(redirect_uris=[REDIRECT_URI])
    code = approve(client, app, company)

    assert token(client, other, grant_type="authorization_code", code=code,
                 redirect_uri=REDIRECT_URI).json()["error"] == "invalid_grant"
    wrong = token(client, app, grant_type="authorization_code", code=code,
                  redirect_uri=REDIRECT_URI + "/other")
    assert wrong.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_refresh_token_dies(client, app, company):
    first = exchange(client, app, approve(client, app, company)).json()
    second = token(client, app, grant_type="refresh_token",
                   refresh_token=first["refresh_token"])

    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 3600
    assert claims(second["access_token"])["customer_id"] == company.external_id
    reused = token(client, app, grant_type="refresh_token",
                   refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    third = token(client, app, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200


def test_no_refresh_token_without_offline_access(client, app, company):
    body = exchange(client, app, approve(client, app, company, scope="ea:api ea:sales")).json()

    assert "refresh_token" not in body and body["access_token"]


def test_the_token_endpoint_wants_a_form_and_the_clients_secret(client, app, company):
    code = approve(client, app, company)
    as_json = client.post(f"{BASE}/connect/token",
                          json.dumps({"grant_type": "authorization_code", "code": code}),
                          content_type="application/json", headers=basic(app))
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"

    app.client_secret = "something-else"
    assert exchange(client, app, code).json()["error"] == "invalid_client"


def test_an_expired_access_token_answers_vismas_401(client, app, company):
    body = exchange(client, app, approve(client, app, company)).json()
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=3601)):
        answer = settings_call(client, body["access_token"])

    assert answer.status_code == 401
    assert answer.json()["ErrorCode"] == 4005 and answer.json()["ErrorId"]


def test_revoking_the_refresh_token_ends_the_grant(client, app, company):
    body = exchange(client, app, approve(client, app, company)).json()
    revoked = form_post(client, f"{BASE}/connect/revocation",
                        {"token": body["refresh_token"], "token_type_hint": "refresh_token"},
                        headers=basic(app))

    assert revoked.status_code == 200 and revoked.content == b""
    refresh = token(client, app, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"
    assert settings_call(client, body["access_token"]).status_code == 401
    unknown = form_post(client, f"{BASE}/connect/revocation", {"token": "nothing"},
                        headers=basic(app))
    assert unknown.status_code == 200
    anonymous = form_post(client, f"{BASE}/connect/revocation", {"token": "nothing"})
    assert anonymous.json()["error"] == "invalid_client"


def test_unknown_scope_and_unregistered_redirect_are_refused(client, app, company):
    refused = client.get(authorize_url(app, scope="ea:api ea:everything"))
    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused["Location"]).query)["error"] == ["invalid_scope"]

    page = client.get(authorize_url(app, redirect_uri="https://evil.example/cb"))
    assert page.status_code == 400 and "Location" not in page

    denied = client.post(authorize_url(app), {"decision": "deny"})
    assert parse_qs(urlsplit(denied["Location"]).query)["error"] == ["access_denied"]


def test_a_company_named_on_the_consent_page_gets_its_reference_data(client, app):
    response = client.post(authorize_url(app), {"decision": "approve",
                                                "new_tenant_name": "Nya Bygg AB"})

    assert response.status_code == 302
    created = SandboxTenant.objects.get(provider=identity.REALM, name="Nya Bygg AB")
    assert created.data["CompanySettings"]["Name"] == "Nya Bygg AB"
    assert created.records.filter(kind="vatcode").exists()


def test_a_token_without_the_scope_an_endpoint_needs_answers_4006(client, company, app):
    value = identity.issue_access_token(company, app.client_id, "ea:api ea:accounting")
    answer = settings_call(client, value)

    assert answer.status_code == 403 and answer.json()["ErrorCode"] == 4006
    payroll_only = identity.issue_access_token(company, app.client_id, "vls:api ea:sales")
    assert settings_call(client, payroll_only).status_code == 403


# -- the interface the payroll simulator uses --------------------------------------------------

def _request(value=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {value}"} if value else {}
    return RequestFactory().get("/sandbox/visma_payroll/v2/employees", **headers)


def test_authenticate_returns_the_company_of_a_token_with_the_scope(company, app):
    value = identity.issue_access_token(company, app.client_id, "ea:api vls:api offline_access")
    request = _request(value)

    assert identity.authenticate(request, scope="vls:api") == company
    assert request.sandbox_tenant == company and request.sandbox_token.client_id == app.client_id


@pytest.mark.parametrize("scope, value_kind, status, code", [
    ("vls:api", None, 401, 4005),
    ("vls:api", "garbage", 401, 4005),
    ("vls:api", "eaccounting-only", 403, 4006),
    (("vls:api", "ea:sales"), "eaccounting-only", None, None),
])
def test_authenticate_refuses_in_vismas_shape(company, app, scope, value_kind, status, code):
    values = {None: None, "garbage": "not-a-token",
              "eaccounting-only": identity.issue_access_token(company, app.client_id,
                                                              "ea:api ea:sales")}
    request = _request(values[value_kind])
    if status is None:
        assert identity.authenticate(request, scope=scope) == company
        return
    with pytest.raises(ErrorResponse) as refused:
        identity.authenticate(request, scope=scope)
    assert refused.value.response.status_code == status
    assert json.loads(refused.value.response.content)["ErrorCode"] == code


def test_the_authenticator_hook_requires_every_scope(company, app):
    check = identity.authenticator("vls:api")
    good = _request(identity.issue_access_token(company, app.client_id, "vls:api"))
    bad = _request(identity.issue_access_token(company, app.client_id, "ea:api"))

    assert check(good) is None and good.sandbox_tenant == company
    assert check(bad) == identity.INSUFFICIENT_SCOPE
    tokens.expire_tokens(identity.REALM, tenant=company)
    assert check(_request(good.headers["Authorization"].split()[1])) == tokens.EXPIRED


def test_seed_demo_is_idempotent_and_registers_the_hubs_callback(db, settings):
    settings.APP_BASE_URL = "https://hub.frostbygg.example"
    seed_demo()
    count = SandboxTenant.objects.get(external_id=DEMO_CUSTOMER_ID).records.count()
    app, company = seed_demo()

    assert company.records.count() == count
    assert company.external_id == DEMO_CUSTOMER_ID and company.name == "Frost Bygg AB"
    assert app.client_id == DEMO_CLIENT_ID and app.allows_redirect_uri(DEMO_REDIRECT_URI)
    assert app.allows_redirect_uri("https://hub.frostbygg.example/api/integrations/visma/callback")


def test_a_client_in_the_newer_mode_keeps_one_refresh_token(client, app, company):
    identity.set_reusable_refresh_tokens(app.client_id)
    first = exchange(client, app, approve(client, app, company)).json()

    again = [token(client, app, grant_type="refresh_token",
                   refresh_token=first["refresh_token"]).json() for _ in range(2)]

    assert [body["refresh_token"] for body in again] == [first["refresh_token"]] * 2
    assert again[0]["access_token"] != again[1]["access_token"]
    assert settings_call(client, again[1]["access_token"]).status_code == 200
    form_post(client, f"{BASE}/connect/revocation", {"token": first["refresh_token"]},
              headers=basic(app))
    refused = token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    identity.set_reusable_refresh_tokens(app.client_id, reusable=False)
    assert not identity.reuses_refresh_tokens(app.client_id)
