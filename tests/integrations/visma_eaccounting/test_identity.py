"""Visma's identity server client (identity.py), shared by Visma eAccounting and Visma payroll:
the consent URL, the code exchange with our client as Basic auth, rotation saved on the grant
before anything uses it, one refresh for both products, and a grant kept while another product
still uses it."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from integrations.connections import NOTHING, REVOKED
from integrations.credentials import access_token_rollback_unsafe
from integrations.errors import AuthError
from integrations.models import Connection, OAuthState, SyncLogEntry
from integrations.providers import registry
from integrations.providers.visma_eaccounting import identity
from integrations.providers.visma_eaccounting.models import VismaGrant
from tests.integrations.provider_edge import HttpSpy, in_threads
from tests.integrations.visma_eaccounting import fake
from tests.integrations.visma_eaccounting.conftest import connect_with_grant

SIBLING = "visma_payroll"


@pytest.fixture
def http(monkeypatch):
    return HttpSpy().install(monkeypatch)


@pytest.mark.django_db
def test_the_consent_url_asks_for_what_the_products_need(visma, frost, make_user):
    admin = make_user("frost-admin", frost, role="admin")
    url = identity.authorization_url(
        product="visma_eaccounting", organization=frost, user=admin,
        scopes=identity.scopes(["ea:api", "ea:sales"], ["vls:api"]),
        redirect_uri="https://hub.example.se/api/integrations/visma/callback")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.IDENTITY}/connect/authorize"
    assert query["scope"].split() == ["ea:api", "ea:sales", "offline_access", "vls:api"]
    assert query["response_type"] == "code" and query["client_id"] == fake.CLIENT_ID
    assert query["prompt"] == "select_account"
    assert query["acr_values"].startswith("service:44643EB1")
    assert query["redirect_uri"] == "https://hub.example.se/api/integrations/visma/callback"
    state = OAuthState.objects.get(provider="visma_eaccounting")
    assert state.user == admin and state.organization == frost and state.used_at is None


@pytest.mark.django_db
def test_an_unconfigured_client_says_which_settings(visma, frost, make_user, settings):
    from integrations.errors import ActionBlocked

    settings.VISMA_CLIENT_SECRET = ""
    with pytest.raises(ActionBlocked, match="VISMA_CLIENT_SECRET"):
        identity.authorization_url(product="visma_eaccounting", organization=frost,
                                   user=make_user("a", frost, role="admin"),
                                   scopes="ea:api", redirect_uri="https://x/cb")


@pytest.mark.django_db
def test_the_code_is_exchanged_with_basic_client_auth(visma, http):
    token = identity.exchange_code("good-code", redirect_uri="https://hub/cb")
    assert token["refresh_token"].startswith("vi-rt-")
    call = visma.rsps.calls[-1].request
    basic = call.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(basic).decode() == f"{fake.CLIENT_ID}:{fake.CLIENT_SECRET}"
    assert "client_secret" not in call.body
    assert identity.claims(token["access_token"])["customer_id"] == fake.CUSTOMER_ID
    with pytest.raises(AuthError, match="single-use"):
        identity.exchange_code("spent-code", redirect_uri="https://hub/cb")


@pytest.mark.django_db(transaction=True)
def test_two_products_on_expired_tokens_make_one_refresh_and_keep_the_rotated_token(
        visma, frost, http):
    accounting = connect_with_grant(frost, visma)
    payroll = connect_with_grant(frost, visma, provider_key=SIBLING,
                                 grant=VismaGrant.objects.get())
    past = timezone.now() - timedelta(seconds=5)
    Connection.objects.filter(pk__in=[accounting.pk, payroll.pk]).update(token_expires_at=past)
    VismaGrant.objects.update(token_expires_at=past)
    stale = [Connection.objects.get(pk=(accounting if i % 2 else payroll).pk) for i in range(16)]

    tokens = in_threads(16, lambda i: access_token_rollback_unsafe(stale[i])[0])

    assert http.count(*visma.token_endpoint) == 1, "the grant was refreshed more than once"
    grant = VismaGrant.objects.get()
    assert set(tokens) == {grant.credentials["access_token"]}
    assert grant.credentials["refresh_token"] == visma.issued_refresh  # the rotated one, kept
    for connection in (accounting, payroll):
        connection.refresh_from_db()
        assert connection.status == Connection.Status.CONNECTED
        assert connection.credentials["access_token"] == grant.credentials["access_token"]
    # A refresh by one product later leaves the other working: it adopts the new token.
    new, _ = access_token_rollback_unsafe(accounting, force=True,
                                          seen_version=accounting.credentials_version)
    assert http.count(*visma.token_endpoint) == 2
    adopted, _ = access_token_rollback_unsafe(payroll, force=True,
                                              seen_version=payroll.credentials_version)
    assert adopted == new and http.count(*visma.token_endpoint) == 2


@pytest.mark.django_db
def test_a_refused_grant_marks_both_products(visma, frost, http):
    accounting = connect_with_grant(frost, visma)
    payroll = connect_with_grant(frost, visma, provider_key=SIBLING,
                                 grant=VismaGrant.objects.get())
    visma.refresh_tokens.clear()  # withdrawn in Visma
    for connection in (accounting, payroll):
        with pytest.raises(AuthError, match="connect Visma again"):
            access_token_rollback_unsafe(connection, force=True)
        connection.refresh_from_db()
        assert connection.status == Connection.Status.NEEDS_REAUTH
    assert http.count(*visma.token_endpoint) == 1, "a refused refresh token was spent again"


@pytest.mark.django_db
def test_disconnecting_one_product_keeps_the_grant_for_the_other(visma, frost, http):
    accounting = connect_with_grant(frost, visma)
    payroll = connect_with_grant(frost, visma, provider_key=SIBLING,
                                 grant=VismaGrant.objects.get())

    outcome = registry.for_connection(accounting).disconnect()

    assert outcome == NOTHING and http.count(*visma.revoke_endpoint) == 0
    accounting.refresh_from_db()
    assert accounting.status == Connection.Status.DISCONNECTED and accounting.credentials == {}
    assert "still uses it" in accounting.status_reason
    assert SyncLogEntry.objects.filter(action="grant_kept", connection=accounting).exists()
    assert VismaGrant.objects.count() == 1
    # The other product still works on it, refreshing included.
    access_token_rollback_unsafe(payroll, force=True, seen_version=payroll.credentials_version)
    payroll.refresh_from_db()
    assert payroll.status == Connection.Status.CONNECTED

    # The last one out revokes it at Visma.
    from integrations.connections import disconnect_connection_rollback_unsafe

    class Payroll(registry.get("visma_eaccounting")):
        key = SIBLING

    assert disconnect_connection_rollback_unsafe(Payroll(payroll)) == REVOKED
    assert http.count(*visma.revoke_endpoint) == 1 and not VismaGrant.objects.exists()
    assert visma.refresh_tokens == set()


@pytest.mark.django_db
def test_connecting_again_replaces_the_grant_for_both_and_revokes_the_old_token(visma, frost,
                                                                                http):
    accounting = connect_with_grant(frost, visma)
    old_refresh = VismaGrant.objects.get().credentials["refresh_token"]
    token = identity.exchange_code("good-code", redirect_uri="https://hub/cb")
    grant = identity.store_grant(organization=frost, token=token)
    assert grant.pk == VismaGrant.objects.get().pk
    assert grant.credentials["refresh_token"] == token["refresh_token"]
    assert old_refresh not in visma.refresh_tokens, "the superseded token was not revoked"
    attached = identity.attach(grant=grant, provider_key="visma_eaccounting")
    assert attached.pk == accounting.pk
    assert attached.credentials["access_token"] == token["access_token"]


@pytest.mark.django_db
def test_one_consent_serves_both_products_when_payroll_is_used(visma, frost, make_user):
    from integrations.models import Connection

    admin = make_user("frost-admin", frost, role="admin")
    Connection.objects.create(organization=frost, provider=SIBLING,
                              status=Connection.Status.DISCONNECTED)
    cls = registry.get("visma_eaccounting")
    url = cls.start_connect(organization=frost, user=admin)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert "vls:api" in query["scope"].split() and "ea:api" in query["scope"].split()
    visma.granted_scope = query["scope"]
    connection = cls.finish_connect(params={"code": "good-code", "state": query["state"]},
                                    user=admin)
    payroll = Connection.objects.get(organization=frost, provider=SIBLING)
    grant = VismaGrant.objects.get()
    assert connection.status == payroll.status == Connection.Status.CONNECTED
    assert connection.credentials["grant_id"] == payroll.credentials["grant_id"] == grant.pk
    assert payroll.remote_tenant_id == connection.remote_tenant_id == fake.CUSTOMER_ID
