"""The dealer (Nordbil AS, bokmål) in Chromium: connect PowerOffice Go, write a new contract,
send it, invoice it, the customer pays (the accountant registers it in Go) and the badge says
"Betalt"; a line category without a mapping blocks sending with a link to fix it (picked from
Go's own list); a send that Go kept failing shows why and "Prøv igjen"."""

import re

import pytest
import requests

from integrations.models import Connection, SyncJob, VatMapping
from tests.browser.conftest import drain

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINES = [("car", "Volvo EX30 Plus", "1", "389900"), ("addon", "Vinterhjul", "4", "2490.50")]


def connect(page, shot):
    page.goto(page.base + "/settings/accounting/")
    shot(page, "regnskap")
    page.click("form[action$='/settings/accounting/connect/'] button")
    page.wait_for_url(re.compile(r".*/sandbox/poweroffice_go/.*"))
    if not page.locator("input[name=client]").count():
        page.fill("input[name=new_company_name]", "Nordbil AS")
    elif not page.locator("input[name=client]:checked").count():
        page.locator("input[name=client]").first.check()
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(r".*/settings/accounting/$"))
    shot(page, "connected")
    connection = Connection.objects.get(organization__slug="nordbil", provider="poweroffice_go")
    assert connection.status == Connection.Status.CONNECTED
    return connection


def new_contract(page, lines, shot):
    page.goto(page.base + "/contracts/")
    page.click("main a.button[href$='/contracts/new/']")
    page.select_option("select[name=customer]", label="Fjordtransport AS")
    page.select_option("select[name=car]", index=1)
    page.select_option("select[name=status]", value="signed")
    for i, (category, description, quantity, price) in enumerate(lines):
        page.select_option(f"select[name=lines-{i}-category]", value=category)
        page.fill(f"input[name=lines-{i}-description]", description)
        page.fill(f"input[name=lines-{i}-quantity]", quantity)
        page.fill(f"input[name=lines-{i}-unit_price]", price)
    shot(page, "new-contract")
    page.click("main form button[type=submit]:not([name])")
    page.wait_for_url(re.compile(r".*/contracts/\d+/$"))
    return int(re.search(r"/contracts/(\d+)/$", page.url).group(1))


def badge(page, state, timeout=30_000):
    """The badge reaches `state` on its own (the page re-reads it), no reload."""
    page.wait_for_selector(f"#accounting-badge[data-state={state}]", timeout=timeout)
    return page.locator("#accounting-badge").inner_text()


def test_contract_to_betalt_in_the_browser(browse, demo, shot):
    page = browse("nordbil-admin")
    connect(page, shot)
    pk = new_contract(page, LINES, shot)

    page.click(f"form[action$='/contracts/{pk}/accounting/send/'] button")
    assert drain()
    assert badge(page, "order")
    shot(page, "order")
    page.click(f"form[action$='/contracts/{pk}/accounting/invoice/'] button")
    assert drain(timeout=90)
    badge(page, "sent", timeout=60_000)
    shot(page, "invoiced")

    # The customer pays: the accountant registers it in Go; our poll reads it back.
    accountant = page.context.new_page()
    accountant.goto(demo["go"] + "/accountant/")
    accountant.select_option("select[name=tenant]", index=0)
    accountant.click("form[method=get] button")
    accountant.locator("tbody tr form button").first.click()
    accountant.close()
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    PowerOfficeGo.poll_all()
    assert badge(page, "paid") == "Betalt"
    shot(page, "betalt")


def test_a_missing_mapping_blocks_with_a_fix_link_and_is_picked_from_gos_list(browse, shot):
    page = browse("nordbil-admin")
    connect(page, shot)
    VatMapping.objects.filter(organization__slug="nordbil", category="addon").delete()
    pk = new_contract(page, LINES, shot)
    problems = page.locator("#accounting-problems")
    assert "MVA" in problems.inner_text()  # in bokmål
    assert page.locator(f"form[action$='/contracts/{pk}/accounting/send/'] button").is_disabled()
    shot(page, "blocked")
    problems.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/admin/integrations/vatmapping/add/.*"))
    vat = page.locator("select[name=vat_code]")  # picked from Go's own list, not typed
    assert vat.locator("option").count() > 2
    vat.select_option(value="3")
    shot(page, "mapping")
    page.click("input[name=_save]")
    assert VatMapping.objects.filter(organization__slug="nordbil", category="addon",
                                     vat_code="3").exists()
    page.goto(f"{page.base}/contracts/{pk}/")
    assert page.locator(f"form[action$='/contracts/{pk}/accounting/send/'] button").is_enabled()


def test_a_failed_send_says_why_and_tries_again(browse, demo, settings, shot):
    settings.SYNC_MAX_RETRIES = 0  # the first failure is the last: a dead letter at once
    page = browse("nordbil-admin")
    connect(page, shot)
    pk = new_contract(page, LINES, shot)
    faults = demo["go"] + "/_control/faults"
    requests.post(faults, json={"server_error_rate": 1.0}, timeout=10).raise_for_status()
    page.click(f"form[action$='/contracts/{pk}/accounting/send/'] button")
    drain()
    assert SyncJob.objects.get(local_id=str(pk), record_type="order").status == "dead"
    page.reload()
    problem = page.locator(".job-problem").first
    assert "PowerOffice Go" in problem.inner_text()
    shot(page, "failed")
    requests.post(faults, json={"reset": True}, timeout=10).raise_for_status()
    problem.locator("button", has_text="Prøv igjen").click()
    assert drain()
    assert badge(page, "order")
    shot(page, "retried")


def test_defaults_are_checked_at_go_on_save_and_reset(browse, shot):
    from integrations.models import AccountingSettings

    page = browse("nordbil-admin")
    connect(page, shot)
    page.fill("input[name=default_project_code]", "NOPE-999")
    page.click("form[action$='/settings/accounting/defaults/'] button[type=submit]")
    field = page.locator("input[name=default_project_code]")
    assert "NOPE-999" in page.locator(".errorlist").first.inner_text()  # on the field
    shot(page, "defaults-refused")
    stored = AccountingSettings.objects.get(organization__slug="nordbil",
                                            provider="poweroffice_go")
    assert stored.default_project_code != "NOPE-999"
    assert field.input_value() == "NOPE-999"  # what was typed stays, to correct it
    stored.payment_terms_days = 30
    stored.save()
    page.click("form[action*='/defaults/reset/'] button")
    page.wait_for_url(re.compile(r".*/settings/accounting/$"))
    shot(page, "defaults-reset")
    stored.refresh_from_db()
    assert (stored.default_project_code, stored.payment_terms_days) == ("", 14)
    assert page.locator("select[name=payment_terms_days]").input_value() == "14"
