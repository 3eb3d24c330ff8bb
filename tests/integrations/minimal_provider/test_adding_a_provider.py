"""README "Adding a provider", proven: a provider defined only in this folder, registered the
way its registry line would register it, gets its settings page and nav entry, its panel on a
record page, the integrations API, the webhook endpoint and its schedule."""

import ast
import importlib
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils.module_loading import import_string
from django_q.models import Schedule

from accounting.models import Customer
from integrations.models import Connection, Link, SyncCursor
from integrations.providers import registry
from integrations.webhooks import new_secret, sign
from tests.integrations.minimal_provider.provider import KEY, SEEN, MinimalBooks
from tests.integrations.test_integrations_api_fake_provider import run_queued

pytestmark = pytest.mark.django_db


def _reload_urls():
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def minimalbooks():
    SEEN["polls"], SEEN["webhooks"] = [], []
    registry.register(MinimalBooks)
    _reload_urls()
    yield MinimalBooks
    registry.unregister(KEY)
    _reload_urls()


@pytest.fixture
def connection(org, minimalbooks):
    conn = Connection(organization=org, provider=KEY, status=Connection.Status.CONNECTED,
                      remote_tenant_id="T-9")
    conn.set_credentials({"access_token": "a"})
    conn.save()
    return conn


@pytest.fixture
def admin(org, make_user):
    client = Client()
    client.force_login(make_user("mb-admin", org, role="admin"))
    return client


def test_its_page_nav_entry_and_record_panel(admin, connection, org, other_org, make_user):
    page = admin.get("/settings/minimalbooks/")
    assert page.status_code == 200 and "MinimalBooks settings page" in page.content.decode()
    assert 'href="/settings/minimalbooks/"' in page.content.decode()  # the nav entry
    customer = Customer.objects.create(organization=org, name="Kari")
    detail = admin.get(reverse("contracts:customer_detail", args=[customer.pk]))
    assert "MinimalBooks panel for Kari" in detail.content.decode()
    # An organization that does not use the provider sees neither.
    outsider = Client()
    outsider.force_login(make_user("frost-user", other_org))
    page = outsider.get("/customers/")
    assert page.status_code == 200
    nav = page.content.decode().split("</nav>")[0]
    assert 'class="nav"' in nav and 'href="/settings/minimalbooks/"' not in nav


def test_the_integrations_api_exports_and_imports_through_it(admin, connection, org):
    customer = Customer.objects.create(organization=org, name="Kari")
    response = admin.post(f"/api/integrations/{connection.pk}/export",
                          {"type": "customer", "ids": [customer.pk]},
                          content_type="application/json")
    assert response.status_code == 202
    response = admin.post(f"/api/integrations/{connection.pk}/sync", {},
                          content_type="application/json")
    assert response.status_code == 202
    run_queued()
    link = Link.objects.get(connection=connection, record_type="customer")
    assert link.remote_id == f"MB-{customer.pk}"
    assert SEEN["polls"] == [connection.pk]
    status = admin.get(f"/api/integrations/{connection.pk}/status").json()
    assert status["record_types"]["customer"]["linked"] == 1


def test_the_webhook_endpoint_verifies_stores_and_hands_it_the_event(connection):
    secret = new_secret(connection)
    body = json.dumps({"tenant": "T-9", "type": "customer.changed"}).encode()
    stamp = str(int(time.time()))
    headers = {"HTTP_X_HUB_TIMESTAMP": stamp, "HTTP_X_HUB_EVENT_ID": "ev-1",
               "HTTP_X_HUB_SIGNATURE": sign(secret, stamp, "ev-1", body)}
    response = Client().post(f"/api/webhooks/{KEY}", body, content_type="application/json",
                             **headers)
    assert response.status_code == 200, response.content
    forged = {**headers, "HTTP_X_HUB_EVENT_ID": "ev-2"}
    assert Client().post(f"/api/webhooks/{KEY}", body, content_type="application/json",
                         **forged).status_code == 400
    run_queued()
    assert SEEN["webhooks"] == [body]


def test_its_schedule_is_created_and_runs_its_poll(connection):
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="sync: MinimalBooks poll")
    assert schedule.minutes == 7
    # What django-q2's scheduler does with the row: literal_eval its args, call its func.
    import_string(schedule.func)(*ast.literal_eval(schedule.args))
    assert SEEN["polls"] == [connection.pk]
    assert SyncCursor.objects.get(connection=connection).value == "polled"
