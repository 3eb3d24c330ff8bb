"""PowerOffice Go's budget is our subscription key's, shared by every customer company; the key
is a secret, so it never becomes the limiter's key (a primary key shown in admin and its URLs)."""

from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, RateLimitBucket

pytestmark = pytest.mark.django_db

BASE = "https://goapi.test/Demo"
SUBSCRIPTION_KEY = "5ub5cr1pt10n-k3y-0f-0ur5"


@pytest.fixture(autouse=True)
def pogo_settings(settings):
    settings.POWEROFFICE_GO_BASE_URL = BASE
    settings.POWEROFFICE_GO_APPLICATION_KEY = "app-key"
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = SUBSCRIPTION_KEY


def _connection(org):
    conn = Connection(organization=org, provider="poweroffice_go",
                      status=Connection.Status.CONNECTED, connected_at=timezone.now())
    conn.set_credentials({"client_key": "client-key", "access_token": "tok-1"},
                         expires_at=timezone.now() + timedelta(minutes=20))
    conn.save()
    return conn


def test_no_limiter_key_or_admin_page_shows_the_subscription_key(dealer, make_org,
                                                                 django_user_model):
    from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    connections = [_connection(dealer), _connection(make_org("bilhandel", name="Bilhandel AS"))]
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v2/Customers", status=204)
        for conn in connections:
            PowerOfficeGoClient(PowerOfficeGo(conn)).list("/Customers")
        assert rsps.calls[0].request.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY

    keys = list(RateLimitBucket.objects.values_list("key", flat=True))
    assert len(keys) == 1, "every company spends the one subscription key's budget"
    assert SUBSCRIPTION_KEY not in keys[0]
    browser = Client()
    browser.force_login(django_user_model.objects.create_superuser("root", password="pw-123456"))
    changelist = browser.get(reverse("admin:integrations_ratelimitbucket_changelist"))
    assert changelist.status_code == 200
    assert keys[0].encode() in changelist.content
    assert SUBSCRIPTION_KEY.encode() not in changelist.content


def test_a_token_request_spends_a_slot_of_the_same_budget(dealer):
    """The gateway counts the token service against the subscription key too, so fetching a
    token takes a limiter slot like every API call (else a token storm could earn 429s)."""
    from integrations.providers.poweroffice_go import auth
    from integrations.providers.poweroffice_go.client import token_url
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    with responses.RequestsMock() as rsps:
        rsps.post(token_url(), json={"access_token": "tok", "expires_in": 1200})
        auth.fetch_token("client-key")
    bucket = RateLimitBucket.objects.get()
    assert bucket.key == PowerOfficeGo(_connection(dealer)).rate_limit_key()
    assert SUBSCRIPTION_KEY not in bucket.key


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_forgets_buckets_whose_key_was_the_plain_subscription_key():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("integrations", "0005_webhookevent_retry")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("integrations", "RateLimitBucket").objects.create(
        key=f"poweroffice_go:{SUBSCRIPTION_KEY}")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not RateLimitBucket.objects.filter(key__contains=SUBSCRIPTION_KEY).exists()
