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
    assert "monthly_salary" in html
    assert "40\xa0000,00" in html
