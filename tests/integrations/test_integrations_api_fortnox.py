"""The integrations API, page and webhook with the real Fortnox provider: the connect URL names
our callback, the callback stores the company, a consent-revoked event asks for a reconnect in
Swedish, and an export is checked by Fortnox's own validation first. HTTP is mocked at the edge."""

import json
import time
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.test import Client
from django.urls import reverse

from accounting.models import Customer, Invoice
from integrations.models import Connection, SyncJob
from integrations.webhooks import new_secret, sign
from tests.integrations.test_integrations_api_fake_provider import browser, run_queued

pytest.importorskip("integrations.providers.fortnox.auth")
pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fortnox_settings(settings):
    settings.FORTNOX_CLIENT_ID = "client-1"
    settings.FORTNOX_CLIENT_SECRET = "secret-1"
    settings.FORTNOX_AUTH_URL = "https://apps.fortnox.test/oauth-v1"
    settings.FORTNOX_BASE_URL = "https://api.fortnox.test"
    settings.APP_BASE_URL = "https://hub.example.se"
    return settings


@pytest.fixture
def admin_user(make_user, swedish_org):
    return make_user("frost-admin", swedish_org, role="admin")


def connect_url(client):
    response = client.post(reverse("integrations:connect", args=["fortnox"]))
    assert response.status_code == 200, response.content
    return response.json()["authorization_url"]


def test_the_authorization_url_sends_fortnox_back_to_our_callback(admin_user):
    url = urlparse(connect_url(browser(admin_user, language="en")))
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://apps.fortnox.test/oauth-v1/auth"
    assert query["redirect_uri"] == [
        "https://hub.example.se" + reverse("integrations:oauth_callback", args=["fortnox"])]
    assert query["client_id"] == ["client-1"] and query["state"][0]


def test_an_unconfigured_server_says_which_setting_is_missing(admin_user, settings):
    settings.FORTNOX_CLIENT_ID = ""
    response = browser(admin_user, language="en").post(
        reverse("integrations:connect", args=["fortnox"]))
    assert response.status_code == 422
    assert "FORTNOX_CLIENT_ID" in response.json()["problems"][0]["message"]


@responses.activate
def test_connect_then_consent_revoked_then_the_page_says_reconnect(admin_user, swedish_org):
    responses.add(responses.POST, "https://apps.fortnox.test/oauth-v1/token", json={
        "access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600,
        "token_type": "bearer", "scope": "invoice"})
    responses.add(responses.GET, "https://api.fortnox.test/3/companyinformation", json={
        "CompanyInformation": {"CompanyName": "Frost Bygg AB", "DatabaseNumber": 998877}})
    admin = browser(admin_user)  # Swedish, the organization's language
    state = parse_qs(urlparse(connect_url(admin)).query)["state"][0]
    landed = admin.get(reverse("integrations:oauth_callback", args=["fortnox"]),
                       {"code": "c-1", "state": state}, follow=True)
    assert landed.redirect_chain[-1][0] == "/integrations/"
    assert "Ansluten till Fortnox (Frost Bygg AB)." in landed.content.decode()
    connection = Connection.objects.get(organization=swedish_org, provider="fortnox")
    assert connection.remote_tenant_id == "998877"

    secret = new_secret(connection)
    raw = json.dumps({"type": "ConsentRevoked", "tenantId": "998877"}).encode()
    ts = int(time.time())
    answer = Client().post(reverse("integrations:webhook", args=["fortnox"]), data=raw,
                           content_type="application/json", HTTP_X_HUB_TIMESTAMP=str(ts),
                           HTTP_X_HUB_EVENT_ID="consent-1",
                           HTTP_X_HUB_SIGNATURE=sign(secret, ts, "consent-1", raw))
    assert answer.status_code == 200
    run_queued()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    html = admin.get("/integrations/").content.decode()
    assert "medgivandet för den här integrationen har återkallats" in html
    assert "Anslut igen" in html


def test_a_forged_callback_is_refused_in_words(admin_user):
    landed = browser(admin_user, language="en").get(
        reverse("integrations:oauth_callback", args=["fortnox"]),
        {"code": "c-1", "state": "made-up"}, follow=True)
    assert "This connection attempt is not known for you" in landed.content.decode()
    assert not Connection.objects.exists()


def test_export_runs_fortnoxs_checks_first(admin_user, swedish_org):
    from tests.integrations.test_integrations_api_fake_provider import make_connection

    connection = make_connection(swedish_org, provider="fortnox", remote_tenant_id="1")
    customer = Customer.objects.create(organization=swedish_org, name="Kund AB")
    invoice = Invoice.objects.create(organization=swedish_org, customer=customer, number="F-1",
                                     issue_date=date(2026, 1, 1))
    response = browser(admin_user, language="en").post(
        reverse("integrations:export", args=[connection.pk]),
        {"type": "invoice", "ids": [invoice.pk]}, content_type="application/json")
    assert response.status_code == 422
    assert "The invoice has no lines." in [p["message"] for p in response.json()["problems"]]
    assert SyncJob.objects.count() == 0
