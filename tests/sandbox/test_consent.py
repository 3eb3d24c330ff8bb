"""The consent page: a person approves an integration for a company, the browser goes back to
the client with a code (or an error), and the code buys tokens that work on the API."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from sandbox.models import SandboxTenant
from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, form_post

pytestmark = pytest.mark.urls("tests.sandbox.urls")

AUTHORIZE = "/sandbox/fake/oauth/authorize"


def authorize_url(**overrides):
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": "invoice customer",
              "state": "xyz-123", "response_type": "code", **overrides}
    return AUTHORIZE + "?" + "&".join(f"{key}={value}" for key, value in params.items())


def redirect_params(response):
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def test_approving_sends_a_code_that_buys_working_tokens(client, tenant, make_client):
    make_client()

    page = client.get(authorize_url())
    answer = client.post(authorize_url(), {"decision": "approve",
                                           "tenant": tenant.external_id})

    assert page.status_code == 200
    assert b"The hub" in page.content and tenant.name.encode() in page.content
    params = redirect_params(answer)
    assert params["state"] == "xyz-123"
    tokens = form_post(client, "/sandbox/fake/oauth/token",
                       {"grant_type": "authorization_code", "code": params["code"],
                        "redirect_uri": REDIRECT_URI,
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()
    me = client.get("/sandbox/fake/api/me",
                    headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert me == {"tenant": tenant.external_id, "client_id": CLIENT_ID,
                  "scope": "invoice customer"}


def test_a_new_company_can_be_created_on_the_consent_page(client, make_client):
    make_client()

    answer = client.post(authorize_url(), {"decision": "approve",
                                           "new_tenant_name": "Frost Bygg AB"})

    assert "code" in redirect_params(answer)
    assert SandboxTenant.objects.get(provider="fake").name == "Frost Bygg AB"


def test_denying_answers_access_denied_with_the_state(client, tenant, make_client):
    make_client()

    params = redirect_params(client.post(authorize_url(), {"decision": "deny"}))

    assert params == {"error": "access_denied", "state": "xyz-123"}


def test_an_unregistered_redirect_uri_is_shown_never_followed(client, tenant, make_client):
    make_client()

    page = client.get(authorize_url(redirect_uri="http://evil.example/cb"))
    answer = client.post(authorize_url(redirect_uri="http://evil.example/cb"),
                         {"decision": "approve", "tenant": tenant.external_id})

    assert page.status_code == 400 and b"not registered" in page.content
    assert answer.status_code == 400


def test_the_consent_form_is_csrf_protected(tenant, make_client):
    make_client()
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(authorize_url(), {"decision": "approve",
                                            "tenant": tenant.external_id})
    page = browser.get(authorize_url())
    genuine = browser.post(authorize_url(), {"decision": "approve",
                                             "tenant": tenant.external_id,
                                             "csrfmiddlewaretoken": page.context["csrf_token"]})

    assert forged.status_code == 403
    assert "code" in redirect_params(genuine)
