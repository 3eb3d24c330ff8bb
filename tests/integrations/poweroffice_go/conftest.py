"""A dealer with one contract (car + add-on) and its PowerOffice Go mappings."""

import datetime
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dealer(make_org):
    return make_org("bilhuset", name="Bilhuset AS", country="NO", currency="NOK",
                    language="nb", org_number="912345678")


@pytest.fixture
def mappings(dealer):
    from integrations.models import AccountMapping, VatMapping

    for category, account in (("car", "3000"), ("addon", "3010"), ("part", "3020"),
                              ("labor", "3100")):
        AccountMapping.objects.create(organization=dealer, provider="poweroffice_go",
                                      category=category, account_number=account)
        VatMapping.objects.create(organization=dealer, provider="poweroffice_go",
                                  category=category, vat_code="3")


@pytest.fixture
def contract(dealer):
    from accounting.models import Customer
    from contracts.models import Car, Contract, ContractLine

    customer = Customer.objects.create(
        organization=dealer, kind="company", name="Fjordtransport AS", org_number="987 654 321",
        email="post@fjordtransport.example.no", phone="+47 55 12 34 56", street="Bryggen 3",
        postal_code="5003", city="Bergen")
    car = Car.objects.create(organization=dealer, vin="YV1XZK9V1P2012345",
                             registration_number="el 12345", make="Volvo", model="EX30",
                             year=2024)
    contract = Contract.objects.create(organization=dealer, number="K-1001", customer=customer,
                                       car=car, currency="NOK",
                                       signed_on=datetime.date(2026, 11, 20))
    ContractLine.objects.create(contract=contract, category="car", description="Volvo EX30",
                                quantity=Decimal("1"), unit_price=Decimal("389900.00"),
                                position=0)
    ContractLine.objects.create(contract=contract, category="addon",
                                description="Vinterhjul", quantity=Decimal("4"),
                                unit_price=Decimal("2490.50"), position=1)
    return contract


FAKE_BASE = "https://goapi.test/Demo"


@pytest.fixture
def pogo_at_fake_host(settings):
    """PowerOffice Go's settings pointed at a host only `responses` answers."""
    settings.POWEROFFICE_GO_BASE_URL = FAKE_BASE
    settings.POWEROFFICE_GO_APPLICATION_KEY = "app-key"
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = "sub-key"
    settings.POWEROFFICE_GO_WEB_URL = "https://go.test"


@pytest.fixture
def connection(dealer):
    """The dealer connected to PowerOffice Go with a valid token (modules may override)."""
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import Connection

    conn = Connection(organization=dealer, provider="poweroffice_go",
                      status=Connection.Status.CONNECTED, connected_at=timezone.now())
    conn.set_credentials({"client_key": "client-key", "access_token": "tok-1"},
                         expires_at=timezone.now() + timedelta(minutes=20))
    conn.save()
    return conn
