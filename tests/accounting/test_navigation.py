"""The menu follows what the organization does (its data), never its name."""

import pytest
from django.test import Client

from accounting.models import Employee
from contracts.models import Car

pytestmark = pytest.mark.django_db


def nav_of(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client.get("/").content.decode().split("<nav")[1].split("</nav>")[0]


def test_a_dealer_sees_cars_a_builder_employees_a_new_one_everything(org, other_org, make_org,
                                                                      make_user):
    Car.objects.create(organization=org, make="Volvo", model="EX30", vin="V1")
    Employee.objects.create(organization=other_org, employee_number="1", first_name="Ann",
                            last_name="Berg")
    dealer = nav_of(make_user("d", org))
    builder = nav_of(make_user("b", other_org))
    newcomer = nav_of(make_user("n", make_org("new")))
    assert ">Cars<" in dealer and ">Employees<" not in dealer
    assert ">Employees<" in builder and ">Cars<" not in builder
    assert ">Cars<" in newcomer and ">Employees<" in newcomer
    assert all(">Customers<" in nav for nav in (dealer, builder, newcomer))


@pytest.mark.parametrize("accept, words", [("sv-SE,sv;q=0.9", "Logga in"),
                                           ("nb-NO,nb;q=0.9", "Logg inn"),
                                           ("en-GB,en;q=0.9", "Log in")])
def test_the_login_page_follows_the_browsers_language(accept, words):
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f"<h1>{words}</h1>" in page


def test_the_home_page_shows_what_needs_attention_by_what_the_organization_does(
        org, other_org, make_user):
    from accounting.models import Customer
    from contracts.models import AccountingState, Contract

    car = Car.objects.create(organization=org, make="Volvo", model="EX30", vin="V1")
    Contract.objects.create(organization=org, number="K-9", car=car,
                            customer=Customer.objects.create(organization=org, name="Kari"),
                            accounting_state=AccountingState.ORDER)
    dealer, builder = Client(), Client()
    dealer.force_login(make_user("d", org))
    builder.force_login(make_user("b", other_org))
    dealer.cookies["django_language"] = builder.cookies["django_language"] = "en"
    dealer_home = dealer.get("/").content.decode()
    builder_home = builder.get("/").content.decode()
    assert 'id="attention-to-invoice"' in dealer_home and "K-9" in dealer_home
    assert 'id="attention-to-invoice"' not in builder_home
    assert 'id="attention-failed"' in builder_home
