"""`make run PORT=... SANDBOX_PORT=...` end to end: a fresh copy started on two free ports, and
in Chromium the dealer connects PowerOffice Go and the builder Fortnox through the sandbox on
those ports (the .env, APP_BASE_URL, the providers' addresses and the callback all follow)."""

import re

import pytest

from tests.browser.conftest import PASSWORD
from tests.test_newcomer_path import running_stack  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def login(context, base, username):
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page


def test_make_run_on_other_ports_connects_both_providers(running_stack, chromium, shot):  # noqa: F811
    base = running_stack["base"]
    port, sandbox_port = running_stack["ports"]
    env = (running_stack["project"] / ".env").read_text()
    assert f"APP_BASE_URL=http://127.0.0.1:{port}" in env
    assert f"FORTNOX_AUTH_URL=http://127.0.0.1:{sandbox_port}/sandbox/fortnox/oauth-v1" in env
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    try:
        dealer = login(context, base, "nordbil-admin")
        dealer.goto(f"{base}/settings/accounting/")
        dealer.click("form[action$='/settings/accounting/connect/'] button")
        dealer.wait_for_url(re.compile(rf"http://127\.0\.0\.1:{sandbox_port}/sandbox/.*"))
        if not dealer.locator("input[name=client]").count():
            dealer.fill("input[name=new_company_name]", "Nordbil AS")
        elif not dealer.locator("input[name=client]:checked").count():
            dealer.locator("input[name=client]").first.check()
        dealer.click("button[value=approve]")
        dealer.wait_for_url(re.compile(rf"http://127\.0\.0\.1:{port}/settings/accounting/$"))
        shot(dealer, "dealer-connected")
        assert "PowerOffice Go" in dealer.locator(".messages").inner_text()
        dealer.click("header form button[type=submit]")  # log out

        builder = login(context, base, "frost-admin")
        builder.goto(f"{base}/integrations/")
        builder.locator("#integration-fortnox form[action$='/connect/'] button").click()
        builder.wait_for_url(re.compile(
            rf"http://127\.0\.0\.1:{sandbox_port}/sandbox/fortnox/oauth-v1/auth.*"))
        builder.select_option("select[name=tenant]", label="Frost Bygg AB")
        builder.click("button[value=approve]")
        builder.wait_for_url(re.compile(rf"http://127\.0\.0\.1:{port}/integrations/$"))
        shot(builder, "builder-connected")
        assert builder.locator("#integration-fortnox .badge.ok").inner_text() == "Ansluten"
    finally:
        context.close()
