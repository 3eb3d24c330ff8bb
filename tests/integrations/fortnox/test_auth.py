"""Connecting, refreshing (single-use refresh tokens, service accounts), revoking."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django.db import connection as db
from django.utils import timezone

from integrations import credentials
from integrations.errors import ActionBlocked, AuthError, RetryableError
from integrations.models import Connection, Link, RateLimitBucket
from integrations.providers.fortnox import auth
from integrations.providers.fortnox.provider import Fortnox
from tests.integrations.fortnox.conftest import API, AUTH, requests_to

pytestmark = pytest.mark.django_db


COMPANY = {"CompanyName": "Frost Bygg AB", "DatabaseNumber": 123456,
           "OrganizationNumber": "556677-8899", "City": "Stockholm", "CountryCode": "SE"}
ISSUED = {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600,
          "token_type": "bearer", "scope": "customer invoice"}


def _token_answers(rsps, *answers):
    """Fortnox's token endpoint answering (status, body) in turn, the last one from then on."""
    for status, body in answers:
        rsps.add("POST", f"{AUTH}/token", status=status, json=body)


def _token_requests(rsps):
    return [(dict(parse_qsl(call.request.body)), call.request.headers) for call in rsps.calls
            if call.request.url == f"{AUTH}/token"]


def _company(rsps, **changes):
    rsps.add("GET", f"{API}/companyinformation", json={"CompanyInformation": {**COMPANY,
                                                                           **changes}})


def _revocations(rsps):
    return [dict(parse_qsl(call.request.body)) for call in rsps.calls
            if call.request.url == f"{AUTH}/revoke"]


@pytest.fixture
def admin(make_user, frost):
    return make_user("frost-admin", frost, role="admin")


def _query(url):
    parts = urlsplit(url)
    return parts.scheme + "://" + parts.netloc + parts.path, {
        k: v[0] for k, v in parse_qs(parts.query).items()}


def test_authorization_url_asks_for_what_the_record_types_need(frost, admin):
    url, query = _query(auth.authorization_url(organization=frost, user=admin))
    assert url == "https://apps.fortnox.se/oauth-v1/auth"
    assert query["client_id"] == "hub-client"
    assert query["redirect_uri"] == "https://hub.example.se/api/integrations/fortnox/callback"
    assert query["access_type"] == "offline" and query["response_type"] == "code"
    assert "account_type" not in query
    scopes = query["scope"].split(" ")
    for needed in ("customer", "invoice", "payment", "offer", "project", "salary",
                   "companyinformation", "bookkeeping"):
        assert needed in scopes
    assert len(query["state"]) > 30
    _, service = _query(auth.authorization_url(organization=frost, user=admin,
                                               service_account=True))
    assert service["account_type"] == "service" and service["state"] != query["state"]


def test_scopes_follow_the_record_types():
    assert auth.scopes(["employee"]) == ["bookkeeping", "companyinformation", "salary",
                                         "settings"]


def test_unconfigured_client_is_said_plainly(frost, admin, settings):
    settings.FORTNOX_CLIENT_ID = ""
    with pytest.raises(ActionBlocked, match="FORTNOX_CLIENT_ID"):
        auth.authorization_url(organization=frost, user=admin)


def _state(frost, admin, **kwargs):
    return _query(auth.authorization_url(organization=frost, user=admin, **kwargs))[1]["state"]


def test_callback_exchanges_the_code_and_stores_tokens_encrypted(frost, admin, rsps):
    _token_answers(rsps, (200, ISSUED))
    _company(rsps)
    state = _state(frost, admin)
    conn = auth.complete_authorization(code="the-code", state=state, user=admin)
    [(form, headers)] = _token_requests(rsps)
    assert form == {"grant_type": "authorization_code", "code": "the-code",
                    "redirect_uri": "https://hub.example.se/api/integrations/fortnox/callback"}
    assert headers["Authorization"] == "Basic " + base64.b64encode(
        b"hub-client:hub-secret").decode()
    # The company is read with the new token, before anything is stored.
    [company] = requests_to(rsps, "GET", "/companyinformation")
    assert company.headers["Authorization"] == "Bearer at-1"
    assert conn.status == Connection.Status.CONNECTED
    assert conn.remote_company_name == "Frost Bygg AB" and conn.remote_tenant_id == "123456"
    stored = Connection.objects.get(pk=conn.pk)
    assert stored.credentials["refresh_token"] == "rt-1"
    with db.cursor() as cursor:
        cursor.execute("SELECT encrypted_credentials FROM integrations_connection WHERE id = %s",
                       [conn.pk])
        raw = cursor.fetchone()[0]
    assert "rt-1" not in str(raw) and "refresh_token" not in str(raw)
    with pytest.raises(ActionBlocked, match="already completed"):
        auth.complete_authorization(code="the-code", state=state, user=admin)


def test_callback_for_another_user_changes_nothing(frost, admin, make_user, rsps):
    intruder = make_user("intruder", frost)
    with pytest.raises(ActionBlocked, match="not known for you"):
        auth.complete_authorization(code="c", state=_state(frost, admin), user=intruder)
    assert not rsps.calls  # the code was never exchanged
    assert not Connection.objects.filter(provider="fortnox").exists()


def test_refused_code_is_a_message_not_a_connection(frost, admin, rsps):
    state = _state(frost, admin)
    _token_answers(rsps, (400, {"error": "invalid_grant", "error_description": "Code expired"}))
    with pytest.raises(ActionBlocked, match="did not accept the approval"):
        auth.complete_authorization(code="old", state=state, user=admin)
    assert not requests_to(rsps, "GET", "/companyinformation")
    assert not Connection.objects.filter(provider="fortnox").exists()


def test_refresh_rotates_the_single_use_refresh_token(connection, rsps):
    _token_answers(rsps, (200, ISSUED))
    Connection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    connection.refresh_from_db()
    token, version = credentials.access_token_rollback_unsafe(connection)
    assert token == "at-1"
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.credentials["refresh_token"] == "rt-1"
    assert _token_requests(rsps)[0][0] == {"grant_type": "refresh_token", "refresh_token": "rt-0"}
    # Someone else's refresh already happened since we read the token: no second refresh.
    credentials.access_token_rollback_unsafe(stored, force=True, seen_version=version - 1)
    assert len(_token_requests(rsps)) == 1


def test_a_lost_refresh_token_needs_reauth_with_a_message(connection, rsps, customer):
    from integrations.models import SyncJob
    from tests.integrations.fortnox.conftest import run

    # Someone else spent our refresh token.
    _token_answers(rsps, (400, {"error": "invalid_grant",
                                "error_description": "Invalid refresh token"}))
    Connection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    connection.refresh_from_db()
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "waiting" and job.status == SyncJob.Status.QUEUED
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "connect Fortnox again under Integrationer" in connection.status_reason
    assert "rt-" not in connection.status_reason
    assert not requests_to(rsps, "POST", "/customers")


def test_an_unreachable_token_endpoint_is_not_a_revocation(connection):
    import responses

    Connection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    connection.refresh_from_db()
    with responses.RequestsMock() as rsps:
        rsps.add("POST", "https://apps.fortnox.se/oauth-v1/token", status=503, body="down")
        with pytest.raises(RetryableError, match="trying again later"):
            credentials.access_token_rollback_unsafe(connection)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED
    assert connection.credentials["refresh_token"] == "rt-0"


def test_service_account_uses_client_credentials_with_the_tenant(frost, admin, rsps):
    _token_answers(rsps, (200, ISSUED), (200, {"access_token": "at-2", "expires_in": 3600,
                                               "token_type": "bearer"}))
    _company(rsps)
    conn = auth.complete_authorization(code="c", state=_state(frost, admin, service_account=True),
                                       user=admin)
    assert conn.credentials == {"mode": "service", "access_token": "at-1",
                                "tenant_id": "123456"}
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    conn.refresh_from_db()
    token, _ = credentials.access_token_rollback_unsafe(conn)
    form, headers = _token_requests(rsps)[-1]
    assert form == {"grant_type": "client_credentials"} and headers["TenantId"] == "123456"
    assert token == "at-2"
    assert "refresh_token" not in Connection.objects.get(pk=conn.pk).credentials


def test_a_different_company_is_refused_while_links_exist(frost, admin, connection, rsps):
    Link.objects.create(organization=frost, connection=connection, record_type="customer",
                        local_id="1", remote_id="H1")
    _token_answers(rsps, (200, ISSUED))
    _company(rsps, DatabaseNumber=999, CompanyName="Annat AB")
    rsps.add("POST", f"{AUTH}/revoke", json={"revoked": True})
    with pytest.raises(ActionBlocked, match="Annat AB"):
        auth.complete_authorization(code="c", state=_state(frost, admin), user=admin)
    connection.refresh_from_db()
    assert connection.remote_tenant_id == "123456"
    assert connection.credentials["refresh_token"] == "rt-0"
    # The unwanted grant was given back.
    assert _revocations(rsps) == [{"token_type_hint": "refresh_token", "token": "rt-1"}]


def test_disconnect_revokes_and_keeps_links(frost, connection, rsps):
    Link.objects.create(organization=frost, connection=connection, record_type="customer",
                        local_id="1", remote_id="H1")
    rsps.add("POST", f"{AUTH}/revoke", json={"revoked": True})
    assert Fortnox(connection).disconnect() == "revoked"
    assert _revocations(rsps) == [{"token_type_hint": "refresh_token", "token": "rt-0"}]
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == Connection.Status.DISCONNECTED
    assert stored.credentials == {} and connection.credentials == {}
    assert Link.objects.filter(connection=connection).count() == 1


def test_a_busy_fortnox_is_asked_again_to_revoke(connection, rsps, monkeypatch):
    from integrations import connections

    rsps.add("POST", f"{AUTH}/revoke", status=503, json={"message": "busy"})
    rsps.add("POST", f"{AUTH}/revoke", json={"revoked": True})
    waits = []
    monkeypatch.setattr(connections.time, "sleep", waits.append)
    assert Fortnox(connection).disconnect() == "revoked"
    assert len(_revocations(rsps)) == 2 and len(waits) == 1


def test_a_service_account_has_nothing_to_revoke_and_says_so(connection, rsps):
    connection.set_credentials({"mode": "service", "access_token": "x", "tenant_id": "42"})
    connection.save()
    assert Fortnox(connection).disconnect() == "nothing_to_revoke"
    assert _revocations(rsps) == []
    connection.refresh_from_db()
    assert "could not be told" not in connection.status_reason


def test_refresh_failing_for_service_account_says_consent_withdrawn(connection, rsps):
    _token_answers(rsps, (400, {"error": "invalid_grant",
                                "error_description": "No consent for tenant"}))
    connection.set_credentials({"mode": "service", "access_token": "x", "tenant_id": "42"},
                               expires_at=timezone.now() - timedelta(seconds=1))
    connection.save()
    with pytest.raises(AuthError, match="consent was withdrawn"):
        credentials.access_token_rollback_unsafe(connection)
    assert _token_requests(rsps)[0][1]["TenantId"] == "42"


def _jwt(claims):
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")  # noqa: E731
    return f"{encode({'alg': 'RS256'})}.{encode(claims)}.signature"


def test_the_company_read_at_connect_counts_in_the_company_limit(frost, admin, rsps):
    """Connecting and sending at once must not overrun Fortnox's 25 per 5 s: the read made
    with the new token takes a slot under the key every later request of the company uses."""
    token = _jwt({"tenantId": 123456})
    _token_answers(rsps, (200, {**ISSUED, "access_token": token}))
    _company(rsps)
    conn = auth.complete_authorization(code="the-code", state=_state(frost, admin), user=admin)
    bucket = RateLimitBucket.objects.get(key=Fortnox(conn).rate_limit_key("/3/customers"))
    assert len(bucket.admitted) == 1
