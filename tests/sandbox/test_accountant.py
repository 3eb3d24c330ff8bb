"""The accountant page: a person registers a partial, then a full payment on an invoice, as the
customer's accountant would in the provider's own system."""

from decimal import Decimal

import pytest
from django.test import Client

from sandbox.models import SandboxRecord

pytestmark = pytest.mark.urls("tests.sandbox.urls")

PAGE = "/sandbox/fake/accountant/"


@pytest.fixture
def invoice(tenant):
    return SandboxRecord.objects.create(tenant=tenant, kind="invoice", remote_id="1001",
                                        data={"Customer": "Kari Nordmann", "Total": "1000.00"})


def pay(client, tenant, amount, invoice_id="1001", paid_on="2026-11-20"):
    return client.post(PAGE, {"tenant": tenant.external_id, "invoice": invoice_id,
                              "amount": amount, "paid_on": paid_on})


def row_of(response, invoice_id="1001"):
    html = response.content.decode()
    start = html.index(f'id="invoice-{invoice_id}"')
    return html[start:html.index("</tr>", start)]


def test_the_page_lists_the_companys_invoices_with_a_payment_form(client, tenant, invoice,
                                                                  make_tenant):
    other = make_tenant(name="Frost Bygg AB")
    SandboxRecord.objects.create(tenant=other, kind="invoice", remote_id="7",
                                 data={"Customer": "Someone Else", "Total": "5"})

    page = client.get(PAGE, {"tenant": tenant.external_id})

    assert page.status_code == 200
    row = row_of(page)
    assert "Kari Nordmann" in row and "Open" in row
    assert 'name="amount" value="1000.00"' in row  # the balance, ready for a full payment
    assert "Someone Else" not in page.content.decode()
    assert "Someone Else" in client.get(PAGE, {"tenant": other.external_id}).content.decode()


def test_a_partial_then_a_full_payment(client, tenant, invoice):
    partial = pay(client, tenant, "400,00")
    after_partial = client.get(partial["Location"])
    full = pay(client, tenant, "600")
    after_full = client.get(full["Location"])

    assert partial.status_code == 302
    assert partial["Location"] == f"{PAGE}?tenant={tenant.external_id}"
    assert "Open" in row_of(after_partial)
    assert 'name="amount" value="600.00"' in row_of(after_partial)
    assert "Registered a payment of" in after_partial.content.decode()
    assert full.status_code == 302
    assert "Paid" in row_of(after_full) and "<form" not in row_of(after_full)
    invoice.refresh_from_db()
    assert invoice.data["Payments"] == [{"Amount": "400.00", "Date": "2026-11-20"},
                                        {"Amount": "600", "Date": "2026-11-20"}]
    assert sum(Decimal(p["Amount"]) for p in invoice.data["Payments"]) == Decimal("1000")


def test_amounts_typed_the_nordic_way_are_understood(client, tenant, invoice):
    assert pay(client, tenant, "1\u00a0000,00").status_code == 302


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1,234", "NaN"])
def test_nonsense_amounts_are_refused_on_the_page(client, tenant, invoice, amount):
    response = pay(client, tenant, amount)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    invoice.refresh_from_db()
    assert "Payments" not in invoice.data


def test_the_book_can_refuse_a_payment_with_its_own_words(client, tenant, invoice):
    too_much = pay(client, tenant, "1000,01")
    unknown = pay(client, tenant, "1", invoice_id="999")

    assert too_much.status_code == 400
    assert "larger than what is left to pay" in too_much.content.decode()
    assert "Invoice 999 does not exist." in unknown.content.decode()


def test_payment_forms_are_csrf_protected(tenant, invoice):
    browser = Client(enforce_csrf_checks=True)

    forged = pay(browser, tenant, "100")
    page = browser.get(PAGE)
    genuine = browser.post(PAGE, {"tenant": tenant.external_id, "invoice": "1001",
                                  "amount": "100", "paid_on": "2026-11-20",
                                  "csrfmiddlewaretoken": page.context["csrf_token"]})

    assert forged.status_code == 403
    assert genuine.status_code == 302


def test_without_companies_the_page_says_so(client, db):
    page = client.get(PAGE)

    assert page.status_code == 200
    assert "no companies yet" in page.content.decode()
