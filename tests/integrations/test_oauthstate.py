from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import oauthstate
from integrations.errors import ActionBlocked
from integrations.models import OAuthState

pytestmark = pytest.mark.django_db


def test_state_is_accepted_once_for_its_user(org, make_user):
    user = make_user("a", org)
    value = oauthstate.issue(provider="fortnox", organization=org, user=user, data={"x": 1})
    assert not OAuthState.objects.filter(value_hash=value).exists()  # only the hash is kept
    row = oauthstate.consume(value, provider="fortnox", user=user)
    assert row.organization == org and row.data == {"x": 1}
    with pytest.raises(ActionBlocked, match="already completed"):
        oauthstate.consume(value, provider="fortnox", user=user)


def test_state_refuses_another_user_provider_or_expiry(org, make_user):
    alice, bob = make_user("alice", org), make_user("bob", org)
    value = oauthstate.issue(provider="fortnox", organization=org, user=alice)
    with pytest.raises(ActionBlocked, match="not known"):
        oauthstate.consume(value, provider="fortnox", user=bob)
    with pytest.raises(ActionBlocked, match="not known"):
        oauthstate.consume(value, provider="poweroffice_go", user=alice)
    OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ActionBlocked, match="expired"):
        oauthstate.consume(value, provider="fortnox", user=alice)
    with pytest.raises(ActionBlocked, match="no state"):
        oauthstate.consume("", provider="fortnox", user=alice)
