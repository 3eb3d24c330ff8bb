"""Frost Bygg with a Visma eAccounting connection (on a shared grant), its mappings, a customer
and an invoice, and the fake Visma (fake.py) at the HTTP edge."""

import datetime
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from tests.integrations.visma_eaccounting import fake

KEY = "visma_eaccounting"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Reference lists and article ids are cached per connection id, which tests reuse."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def visma_settings(settings):
    settings.VISMA_EACCOUNTING_BASE_URL = fake.API
    settings.VISMA_IDENTITY_URL = fake.IDENTITY
    settings.VISMA_CLIENT_ID = fake.CLIENT_ID
    settings.VISMA_CLIENT_SECRET = fake.CLIENT_SECRET
    settings.APP_BASE_URL = "https://hub.example.se"
    return settings


@pytest.fixture
def visma(visma_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield fake.FakeVisma(rsps)


def connect_with_grant(organization, edge, *, provider_key=KEY, hours=1, grant=None):
    """A CONNECTED connection on a VismaGrant whose tokens the fake accepts."""
    from datetime import timedelta

    from integrations.models import Connection
    from integrations.providers.visma_eaccounting.models import VismaGrant

    if grant is None:
        n = next(edge.serial)
        access, refresh = fake.jwt(edge.customer_id, n), f"vi-rt-first-{n}"
        edge.grant(access, refresh)
        grant = VismaGrant(organization=organization, customer_id=edge.customer_id,
                           company_name=organization.name)
        grant.set_credentials({"access_token": access, "refresh_token": refresh,
                               "scope": "ea:api ea:sales ea:accounting_readonly "
                                        "offline_access"},
                              expires_at=timezone.now() + timedelta(hours=hours))
        grant.save()
    connection = Connection(organization=organization, provider=provider_key,
                            status=Connection.Status.CONNECTED, connected_at=timezone.now(),
                            remote_tenant_id=edge.customer_id,
                            remote_company_name=organization.name)
    connection.set_credentials({"grant_id": grant.pk,
                                "access_token": grant.credentials["access_token"],
                                "scope": grant.credentials["scope"]},
                               expires_at=grant.token_expires_at)
    connection.save()
    return connection


@pytest.fixture
def frost(make_org):
    return make_org("frost", name="Frost Bygg AB", country="SE", currency="SEK",
                    language="sv")


@pytest.fixture
def connection(frost, visma):
    return connect_with_grant(frost, visma)


@pytest.fixture
def mappings(frost):
    from integrations.models import AccountMapping, VatMapping

    for category, account in (("labor", "3041"), ("material", "3001")):
        VatMapping.objects.create(organization=frost, provider=KEY, category=category,
                                  vat_code="10")
        AccountMapping.objects.create(organization=frost, provider=KEY, category=category,
                                      account_number=account)


@pytest.fixture
def customer(frost):
    from accounting.models import Customer

    return Customer.objects.create(organization=frost, kind="company", name="Brf Solrosen",
                                   org_number="769600-1234", email="styrelsen@solrosen.se",
                                   phone="08-555 123", street="Solvägen 4",
                                   postal_code="113 45", city="Stockholm", country="SE")


@pytest.fixture
def invoice(frost, customer, mappings):
    from accounting.models import Invoice, InvoiceLine

    invoice = Invoice.objects.create(organization=frost, customer=customer, currency="SEK",
                                     issue_date=datetime.date(2026, 11, 20),
                                     # Due a month from whenever the test runs: past its
                                     # due date with money left it would read overdue.
                                     due_date=timezone.localdate() + datetime.timedelta(days=30),
                                     your_reference="Styrelsen")
    InvoiceLine.objects.create(invoice=invoice, description="Arbete", category="labor",
                               quantity=Decimal("8"), unit_price=Decimal("650"))
    InvoiceLine.objects.create(invoice=invoice, description="Material", category="material",
                               quantity=Decimal("3"), unit_price=Decimal("120.50"),
                               discount_percent=Decimal("10"), position=1)
    return invoice


def run(connection, operation, record):
    from integrations.engine import enqueue_job, run_job

    job, _ = enqueue_job(connection=connection, operation=operation,
                         record_type=operation.split(".")[0], local_id=record.pk)
    outcome = run_job(job.pk)
    job.refresh_from_db()
    return outcome, job
