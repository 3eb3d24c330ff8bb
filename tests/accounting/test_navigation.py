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
