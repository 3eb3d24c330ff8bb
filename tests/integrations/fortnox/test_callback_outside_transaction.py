"""The callback gives back a grant for the wrong company (HTTP) only after the connection row's
transaction has ended: no HTTP inside a database transaction."""

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.errors import ActionBlocked
from integrations.http import in_transaction
from integrations.models import Link
from integrations.providers.fortnox import auth
from tests.integrations.fortnox.conftest import API, AUTH

pytestmark = pytest.mark.django_db


def _state(organization, user):
    url = auth.authorization_url(organization=organization, user=user)
    return parse_qs(urlsplit(url).query)["state"][0]


def test_the_unwanted_grant_is_revoked_outside_the_transaction(frost, make_user, connection,
                                                               rsps, monkeypatch):
    admin = make_user("frost-admin", frost, role="admin")
    Link.objects.create(organization=frost, connection=connection, record_type="customer",
                        local_id="1", remote_id="H1")
    rsps.add("POST", f"{AUTH}/token", json={"access_token": "at-1", "refresh_token": "rt-1",
                                            "expires_in": 3600, "token_type": "bearer"})
    rsps.add("GET", f"{API}/companyinformation", json={"CompanyInformation": {
        "DatabaseNumber": 999, "CompanyName": "Annat AB"}})
    rsps.add("POST", f"{AUTH}/revoke", json={"revoked": True})
    revoked_in_transaction = []
    real_revoke = auth.revoke

    def revoke(credentials):
        revoked_in_transaction.append(in_transaction())
        return real_revoke(credentials)

    monkeypatch.setattr(auth, "revoke", revoke)
    with pytest.raises(ActionBlocked, match="Annat AB"):
        auth.complete_authorization(code="c", state=_state(frost, admin), user=admin)
    assert revoked_in_transaction == [False]
    assert [c.request.url for c in rsps.calls][-1] == f"{AUTH}/revoke"
