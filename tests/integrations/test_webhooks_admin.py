"""The webhook secrets admin: a new secret is shown once and never again; rotation keeps the
previous one active; another organization's secrets are out of sight."""

import pytest
from django.urls import reverse

from integrations.models import WebhookSecret
from integrations.webhooks import active_secrets, new_secret
from tests.integrations.test_integrations_api_fake_provider import (
    browser,
    make_connection,
)

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]

pytestmark = pytest.mark.django_db
ADD = "admin:integrations_webhooksecret_add"
LIST = "admin:integrations_webhooksecret_changelist"


@pytest.fixture
def admin_browser(make_user, swedish_org):
    return browser(make_user("frost-admin", swedish_org, role="admin"), language="en")


@pytest.fixture
def conn(swedish_org, hubbooks):
    return make_connection(swedish_org)


def test_adding_shows_the_secret_once_and_it_verifies(admin_browser, conn):
    response = admin_browser.post(reverse(ADD), {"connection": conn.pk, "label": "relay",
                                                 "overlap": ""})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = WebhookSecret.objects.get(connection=conn)
    assert secret.label == "relay"
    assert active_secrets(conn) == [secret.encrypted_secret]
    assert secret.encrypted_secret in response.content.decode()

    for url in (reverse(LIST),
                reverse("admin:integrations_webhooksecret_change", args=[secret.pk])):
        page = admin_browser.get(url).content.decode()
        assert "relay" in page and secret.encrypted_secret not in page


def test_adding_a_second_secret_rotates_with_an_overlap(admin_browser, conn):
    first = new_secret(conn)
    admin_browser.post(reverse(ADD), {"connection": conn.pk, "label": "", "overlap": "24h"})
    values = active_secrets(conn)
    assert len(values) == 2 and first in values
    old = WebhookSecret.objects.filter(connection=conn).order_by("created_at").first()
    assert old.retired_at is not None and old.active


def test_retire_action(admin_browser, conn):
    new_secret(conn)
    secret = WebhookSecret.objects.get()
    response = admin_browser.post(reverse(LIST), {"action": "retire_now",
                                                  "_selected_action": [secret.pk]})
    assert response.status_code == 302
    assert active_secrets(conn) == []


def test_another_organizations_connection_and_secrets_are_out_of_reach(admin_browser, conn,
                                                                        norwegian_org):
    theirs = make_connection(norwegian_org)
    new_secret(theirs)
    theirs_secret = WebhookSecret.objects.get(connection=theirs)
    assert admin_browser.get(reverse("admin:integrations_webhooksecret_change",
                                     args=[theirs_secret.pk])).status_code == 404
    response = admin_browser.post(reverse(ADD), {"connection": theirs.pk, "overlap": ""})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert WebhookSecret.objects.filter(connection=theirs).count() == 1
