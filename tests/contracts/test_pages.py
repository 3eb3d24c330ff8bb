import pytest
from django.urls import reverse
from django.utils import translation

from accounting.pages import PAGES as ACCOUNTING_PAGES
from accounting.recordpages import format_value, registered_pages
from contracts.models import Contract
from contracts.pages import PAGES
from tests.accounting.cases import RecordPageCases

pytestmark = pytest.mark.django_db


class TestContractsPages(RecordPageCases):
    PAGES = PAGES


def test_every_business_record_type_has_a_page_and_is_tested():
    from accounting import models as a
    from contracts import models as c

    reverse("home")  # loads the URLconf, which registers the pages
    expected = {a.Customer, c.Car, c.Contract, a.Project, a.Employee, a.TimeEntry, a.Quote,
                a.Invoice, a.Payslip}
    assert {page.model for page in registered_pages()} == expected
    assert {page.model for page in (*PAGES, *ACCOUNTING_PAGES)} == expected


def test_contract_page_shows_customer_car_lines_and_total(client, staff_user, records):
    contract = records[Contract]
    client.force_login(staff_user)
    response = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
    html = response.content.decode()
    for text in ("Kunde Aurora", "Make Aurora", "Bil Aurora", "Vinterhjul Aurora", "25 %"):
        assert text in html
    assert reverse("contracts:customer_detail", args=[contract.customer_id]) in html
    assert reverse("contracts:car_detail", args=[contract.car_id]) in html
    with translation.override("nb"):
        assert format_value(contract.total_excl_vat, "money") in html  # 312 500,50


def test_customer_profile_shows_contact_data_and_own_contracts(
    client, staff_user, records, other_records
):
    from accounting.models import Customer

    customer = records[Customer]
    client.force_login(staff_user)
    response = client.get(reverse("contracts:customer_detail", args=[customer.pk]))
    html = response.content.decode()
    for text in (customer.email, customer.phone, customer.org_number, "Storgata 1", "K-Aurora"):
        assert text in html


def test_other_record_pages_include_the_sync_panel(client, staff_user, records):
    from accounting.models import Invoice

    client.force_login(staff_user)
    response = client.get(reverse("accounting:invoice_detail", args=[records[Invoice].pk]))
    assert "_sync_panel.html" in [t.name for t in response.templates]


def test_nav_speaks_norwegian_to_the_dealer(client, staff_user):
    client.force_login(staff_user)
    html = client.get(reverse("contracts:contract_list"), HTTP_ACCEPT_LANGUAGE="nb").content
    for label in ("Kontrakter", "Kunder", "Biler", "Prosjekter", "Ansatte", "Timer", "Tilbud",
                  "Fakturaer", "Lønnsslipper"):
        assert label in html.decode()


def test_editing_a_contract_already_in_the_accounting_system_warns(org, make_user):
    from django.test import Client

    from accounting.models import Customer
    from contracts.models import AccountingState, Car, Contract

    contract = Contract.objects.create(
        organization=org, number="K-7", accounting_state=AccountingState.PAID,
        customer=Customer.objects.create(organization=org, name="Kari"),
        car=Car.objects.create(organization=org, make="Volvo", model="EX30", vin="V7"))
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user("sara", org))
    page = client.get(f"/contracts/{contract.pk}/edit/").content.decode()
    assert 'id="contract-sent-warning"' in page and "(paid)" in page
    listed = client.get("/contracts/").content.decode()
    assert ">Paid<" in listed
