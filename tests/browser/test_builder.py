"""The builder (Frost Bygg AB, Swedish) on its Integrationer page in Chromium: connect Fortnox
through its consent page, export customers, import what changed."""

import re

import pytest

from integrations.models import Connection, Link
from tests.browser.conftest import drain

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_connect_export_import_on_the_integrations_page(browse, shot):
    page = browse("frost-admin")
    page.click("nav >> a[href='/integrations/']")
    fortnox = page.locator("#integration-fortnox")
    shot(page, "integrations-before")
    fortnox.locator("form[action$='/connect/'] button[type=submit]").click()

    # The simulator's consent page, as Fortnox shows it: pick the company, approve.
    page.wait_for_url(re.compile(r".*/sandbox/fortnox/oauth-v1/auth.*"))
    page.select_option("select[name=tenant]", label="Frost Bygg AB")
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(r".*/integrations/$"))
    shot(page, "connected")
    connection = Connection.objects.get(organization__slug="frost", provider="fortnox")
    assert connection.status == Connection.Status.CONNECTED
    assert fortnox.locator(".badge.ok").inner_text() == "Ansluten"

    row = fortnox.locator("#record-type-customer")
    row.locator("form[action$='/export/'] button").click()
    page.wait_for_load_state()
    assert "export" in page.locator(".messages").inner_text().lower()
    assert drain()
    page.reload()
    linked = Link.objects.filter(connection=connection, record_type="customer").count()
    assert linked == 3
    assert row.locator("td.num").first.inner_text() == "3"

    # The sync monitor reads at 1280 px: nothing cut off, no sideways scrolling.
    page.goto(page.base + "/admin/integrations/synclogentry/")
    shot(page, "sync-monitor")
    assert page.locator("#result_list tbody tr").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    results = page.locator("#changelist .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), "columns cut off"
    page.goto(page.base + "/integrations/")

    row.locator("form[action$='/sync/'] button").click()
    page.wait_for_load_state()
    assert "Fortnox" in page.locator(".messages").inner_text()
    from integrations.views.services import run_import

    run_import(connection, record_types=["customer"])  # what the queued task does
    page.reload()
    shot(page, "after-import")
    last_sync = row.locator("td").nth(2).inner_text()
    assert last_sync and last_sync != "aldrig"
