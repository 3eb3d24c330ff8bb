"""A dealer on Tripletex with one contract (car + add-on) and its mappings, Tripletex's settings
pointed at a host only `responses` answers."""

import datetime
from decimal import Decimal

import pytest

HOST = "https://tripletex.test"
API = f"{HOST}/v2"


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tx_settings(settings):
    settings.TRIPLETEX_BASE_URL = API
    settings.TRIPLETEX_WEB_URL = f"{HOST}/execute"
    settings.TRIPLETEX_CONSUMER_TOKEN = "test-consumer-5ecret"
    settings.APP_BASE_URL = "https://hub.test"
    return settings


@pytest.fixture
def dealer(make_org):
    return make_org("bilvest", name="Bil Vest AS", country="NO", currency="NOK",
                    language="nb", org_number="923456781")


@pytest.fixture
def mappings(dealer):
    from integrations.models import AccountMapping, VatMapping

    for category, account in (("car", "3010"), ("addon", "3020"), ("part", "3020"),
                              ("labor", "3100")):
        AccountMapping.objects.create(organization=dealer, provider="tripletex",
                                      category=category, account_number=account)
        VatMapping.objects.create(organization=dealer, provider="tripletex",
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
    contract = Contract.objects.create(organization=dealer, number="K-2001", customer=customer,
                                       car=car, currency="NOK",
                                       signed_on=datetime.date(2026, 11, 20))
    ContractLine.objects.create(contract=contract, category="car", description="Volvo EX30",
                                quantity=Decimal("1"), unit_price=Decimal("389900.00"),
                                position=0)
    ContractLine.objects.create(contract=contract, category="addon",
                                description="Vinterhjul", quantity=Decimal("4"),
                                unit_price=Decimal("2490.50"), position=1)
    return contract


@pytest.fixture
def connection(dealer, tx_settings):
    from tests.integrations.provider_edge import connected

    return connected(dealer, "tripletex", {"employee_token": "test-employee-5ecret",
                                           "access_token": "session-1"},
                     remote_tenant_id="9100001")
