"""Tokens: issued, validated per provider and tenant, expired and revoked on demand; refresh
tokens and authorization codes work exactly once."""

import base64
import threading

import pytest
from django.db import connection

from sandbox.framework import tokens
from sandbox.models import SandboxToken
from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SANDBOX_APPS, form_post

pytestmark = pytest.mark.urls("tests.sandbox.urls")

ME = "/sandbox/fake/api/me"
TOKEN = "/sandbox/fake/oauth/token"


def basic(client_id=CLIENT_ID, secret=CLIENT_SECRET):
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def token_request(client, data, headers=None):
    return form_post(client, TOKEN, data, headers if headers is not None else basic())


def test_a_live_token_reaches_the_view_with_its_tenant_and_scope(client, tenant, bearer):
    response = client.get(ME, headers=bearer(tenant, scope="invoice customer"))

    assert response.status_code == 200
    assert response.json() == {"tenant": tenant.external_id, "client_id": CLIENT_ID,
                               "scope": "invoice customer"}


def test_no_token_answers_the_providers_own_401(client, tenant):
    response = client.get(ME)

    assert response.status_code == 401
    assert response.json() == {"ErrorInformation": {
        "error": 1, "message": "Kan inte logga in, access-token saknas.", "code": 2000311}}


def test_an_unknown_token_answers_401_with_the_invalid_login_code(client, tenant):
    response = client.get(ME, headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401
    assert response.json()["ErrorInformation"]["code"] == 2000310


def test_a_token_of_another_provider_is_refused(client, make_tenant, bearer):
    visma_company = make_tenant(provider="fake_visma")

    response = client.get(ME, headers=bearer(visma_company))

    assert response.status_code == 401


def test_force_expiry_makes_a_token_fail_while_others_tenants_tokens_live(
        client, make_tenant, bearer):
    nordbil, frost = make_tenant(name="Nordbil"), make_tenant(name="Frost")
    nordbil_headers, frost_headers = bearer(nordbil), bearer(frost)
    assert client.get(ME, headers=nordbil_headers).status_code == 200

    assert tokens.expire_tokens("fake", tenant=nordbil) == 1

    assert client.get(ME, headers=nordbil_headers).status_code == 401
    assert client.get(ME, headers=frost_headers).status_code == 200


def test_the_control_endpoint_expires_tokens_for_another_process(client, tenant, bearer):
    headers = bearer(tenant)

    response = client.post("/sandbox/fake/_control/tokens",
                           {"expire": "access", "tenant": tenant.external_id},
                           content_type="application/json")

    assert response.json() == {"expired": 1}
    assert client.get(ME, headers=headers).status_code == 401


def test_a_revoked_token_is_refused(client, tenant, bearer):
    headers = bearer(tenant)

    tokens.revoke_token("fake", headers["Authorization"].split()[1])

    assert client.get(ME, headers=headers).status_code == 401
    token, reason = tokens.validate_access_token("fake", headers["Authorization"].split()[1])
    assert (token, reason) == (None, tokens.REVOKED)


def test_refresh_rotates_and_the_old_refresh_token_is_invalid_grant(client, tenant,
                                                                      make_client):
    make_client()
    first = tokens.issue_tokens("fake", tenant=tenant, client_id=CLIENT_ID,
                                refresh_ttl=3600)

    rotated = token_request(client, {"grant_type": "refresh_token",
                                     "refresh_token": first.refresh_token})
    reused = token_request(client, {"grant_type": "refresh_token",
                                    "refresh_token": first.refresh_token})

    assert rotated.status_code == 200
    body = rotated.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] != first.refresh_token
    assert client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"}
                      ).status_code == 200
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert "error_description" in reused.json()
    again = token_request(client, {"grant_type": "refresh_token",
                                   "refresh_token": body["refresh_token"]})
    assert again.status_code == 200


def test_a_refresh_token_of_another_client_is_invalid_grant(client, tenant, make_client):
    make_client()
    make_client(client_id="other", secret="other-secret")
    issued = tokens.issue_tokens("fake", tenant=tenant, client_id=CLIENT_ID, refresh_ttl=3600)

    response = token_request(client, {"grant_type": "refresh_token",
                                      "refresh_token": issued.refresh_token},
                             headers=basic("other", "other-secret"))

    assert response.json()["error"] == "invalid_grant"


def test_without_rotation_the_same_refresh_token_keeps_working(make_tenant):
    tenant = make_tenant(provider="fake_visma")
    issued = tokens.issue_tokens("fake_visma", tenant=tenant, client_id=CLIENT_ID,
                                 refresh_ttl=3600)

    for _ in range(2):
        again = tokens.refresh_tokens("fake_visma", issued.refresh_token, client_id=CLIENT_ID,
                                      rotate=False)
        assert again.refresh_token == issued.refresh_token

    tokens.expire_tokens("fake_visma", kind=tokens.REFRESH)
    with pytest.raises(tokens.OAuthError):
        tokens.refresh_tokens("fake_visma", issued.refresh_token, client_id=CLIENT_ID,
                              rotate=False)


def test_an_authorization_code_works_once(client, tenant, make_client):
    make_client()
    code = tokens.issue_authorization_code("fake", tenant=tenant, client_id=CLIENT_ID,
                                           redirect_uri=REDIRECT_URI, scope="invoice")
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}

    first = token_request(client, exchange)
    second = token_request(client, exchange)

    assert first.status_code == 200
    assert first.json()["scope"] == "invoice" and first.json()["refresh_token"]
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_an_authorization_code_is_bound_to_its_redirect_uri_client_and_lifetime(tenant):
    def code():
        return tokens.issue_authorization_code("fake", tenant=tenant, client_id=CLIENT_ID,
                                               redirect_uri=REDIRECT_URI)

    with pytest.raises(tokens.OAuthError, match="redirect_uri"):
        tokens.redeem_authorization_code("fake", code(), client_id=CLIENT_ID,
                                         redirect_uri="http://evil.example/cb")
    with pytest.raises(tokens.OAuthError, match="invalid_grant"):
        tokens.redeem_authorization_code("fake", code(), client_id="someone-else",
                                         redirect_uri=REDIRECT_URI)
    stale = code()
    tokens.expire_tokens("fake", kind=tokens.CODE, value=stale)
    with pytest.raises(tokens.OAuthError, match="invalid_grant"):
        tokens.redeem_authorization_code("fake", stale, client_id=CLIENT_ID,
                                         redirect_uri=REDIRECT_URI)
    assert SandboxToken.objects.get(value=stale).used_at is None


def test_codes_live_ten_minutes_by_default(tenant):
    code = tokens.issue_authorization_code("fake", tenant=tenant, client_id=CLIENT_ID)

    row = SandboxToken.objects.get(value=code)
    assert 598 <= (row.expires_at - row.created_at).total_seconds() <= 600


def test_client_credentials_names_the_tenant_and_gets_no_refresh_token(client, tenant,
                                                                         make_client):
    make_client()

    response = token_request(client, {"grant_type": "client_credentials"},
                             headers={**basic(), "TenantId": tenant.external_id})
    unknown = token_request(client, {"grant_type": "client_credentials"},
                            headers={**basic(), "TenantId": "nobody"})

    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    me = client.get(ME, headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["tenant"] == tenant.external_id
    assert unknown.json()["error"] == "invalid_grant"


def test_the_token_endpoint_answers_oauth_errors(client, tenant, make_client):
    make_client()

    wrong_secret = token_request(client, {"grant_type": "client_credentials"},
                                 headers=basic(secret="wrong"))
    as_json = client.post(TOKEN, {"grant_type": "refresh_token"},
                          content_type="application/json", headers=basic())
    unsupported = token_request(client, {"grant_type": "password"})
    missing = token_request(client, {"grant_type": "refresh_token"})
    in_the_form = form_post(client, TOKEN, {"grant_type": "client_credentials",
                                            "client_id": CLIENT_ID, "client_secret": "wrong"})

    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (400, "invalid_client")
    assert as_json.json()["error"] == "invalid_request"
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert missing.json()["error"] == "invalid_request"
    assert in_the_form.json()["error"] == "invalid_client"


def test_revoking_a_refresh_token_makes_it_invalid_grant(client, tenant, make_client):
    make_client()
    issued = tokens.issue_tokens("fake", tenant=tenant, client_id=CLIENT_ID, refresh_ttl=3600)

    revoked = form_post(client, "/sandbox/fake/oauth/revoke",
                        {"token": issued.refresh_token, "token_type_hint": "refresh_token"},
                        basic())
    refresh = token_request(client, {"grant_type": "refresh_token",
                                     "refresh_token": issued.refresh_token})

    assert revoked.json() == {"revoked": True}
    assert refresh.json()["error"] == "invalid_grant"


@pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)
def test_of_two_concurrent_refreshes_with_one_token_exactly_one_wins(make_tenant):
    tenant = make_tenant()
    issued = tokens.issue_tokens("fake", tenant=tenant, client_id=CLIENT_ID, refresh_ttl=3600)
    start, outcomes = threading.Barrier(6), []

    def refresh():
        start.wait()
        try:
            outcomes.append(tokens.refresh_tokens("fake", issued.refresh_token,
                                                  client_id=CLIENT_ID))
        except tokens.OAuthError as failure:
            outcomes.append(failure.error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [outcome for outcome in outcomes if isinstance(outcome, tokens.IssuedTokens)]
    assert len(winners) == 1
    assert outcomes.count("invalid_grant") == 5
