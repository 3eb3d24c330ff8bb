import pytest
from django.urls import reverse

from accounting.pages import PAGES
from tests.accounting.cases import RecordPageCases

pytestmark = pytest.mark.django_db


class TestAccountingPages(RecordPageCases):
    PAGES = PAGES


def test_invoice_page_shows_lines_payments_and_total(client, staff_user, records):
    from accounting.models import Invoice

    client.force_login(staff_user)
    invoice = records[Invoice]
    html = client.get(reverse("accounting:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Fakturalinje Aurora" in html
    assert "Betaling Aurora" in html
    assert "100,00" in html


def test_payslip_page_shows_lines_and_gross_pay(client, staff_user, records):
    from accounting.models import Payslip

    client.force_login(staff_user)
    payslip = records[Payslip]
    html = client.get(reverse("accounting:payslip_detail", args=[payslip.pk])).content.decode()
    assert "Månedslønn" in html and "monthly_salary" not in html  # the pay type's label
    assert "40\xa0000,00" in html


@pytest.mark.django_db
def test_pages_speak_the_organizations_language_unless_the_user_chose(make_org, make_user, client):
    from django.conf import settings as django_settings

    frost = make_org("frost-sv", name="Frost Bygg AB", country="SE", language="sv")
    user = make_user("sv-staff", frost)
    client.force_login(user)
    assert 'lang="sv"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'lang="en"' in client.get("/").content.decode()
