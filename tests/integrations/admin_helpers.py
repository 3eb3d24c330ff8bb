"""Row makers and browsers for the integrations admin tests (plain functions; the fixtures are
in `admin_fixtures`, loaded by each test_admin*.py through `pytest_plugins`)."""

from django.conf import settings
from django.test import Client
from django.utils import timezone

from integrations.models import (
    AccountingSettings,
    AccountMapping,
    Connection,
    Link,
    PayTypeMapping,
    SyncCursor,
    SyncJob,
    SyncLogEntry,
    VatMapping,
    WebhookEvent,
    WebhookSecret,
)
from integrations.providers.base import Provider

PROVIDER = "adminbooks"


class AdminBooks(Provider):
    key = PROVIDER
    name = "AdminBooks Go"


def client_for(user, *, enforce_csrf_checks=False):
    # English pages, so assertions on our own strings hold whatever the organization's language
    # is: the language cookie is a person's explicit choice, which beats the organization's.
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def make_connection(org, *, provider=PROVIDER, **kwargs):
    kwargs.setdefault("status", Connection.Status.CONNECTED)
    return Connection.objects.create(organization=org, provider=provider, **kwargs)


def make_job(connection, local_id="1", *, status=SyncJob.Status.FAILED, **kwargs):
    kwargs.setdefault("attempts", 3)
    return SyncJob.objects.create(
        organization=connection.organization, connection=connection, operation="customer.create",
        record_type="customer", local_id=local_id, status=status,
        idempotency_key=f"{connection.pk}:customer.create:{local_id}",
        external_reference=f"hub-{connection.organization_id}-customer-{local_id}", **kwargs,
    )


def make_log(connection, *, job=None, status="failed", entity="customer", local_id="1",
             created_at=None, **kwargs):
    return SyncLogEntry.objects.create(
        organization=connection.organization, connection=connection, job=job,
        provider=connection.provider, entity=entity, local_id=local_id, action="customer.create",
        status=status, created_at=created_at or timezone.now(), **kwargs,
    )


# One row of each integrations model in admin, for the tenancy tests: model -> maker(connection).
ROW_MAKERS = {
    Connection: lambda c: c,
    AccountingSettings: lambda c: AccountingSettings.objects.create(
        organization=c.organization, provider=c.provider),
    VatMapping: lambda c: VatMapping.objects.create(
        organization=c.organization, provider=c.provider, category="addon", vat_code="3"),
    AccountMapping: lambda c: AccountMapping.objects.create(
        organization=c.organization, provider=c.provider, category="addon",
        account_number="3000"),
    Link: lambda c: Link.objects.create(
        organization=c.organization, connection=c, record_type="customer", local_id="1",
        remote_id=f"r-{c.pk}"),
    SyncJob: lambda c: make_job(c),
    SyncLogEntry: lambda c: make_log(c),
    SyncCursor: lambda c: SyncCursor.objects.create(
        organization=c.organization, connection=c, record_type="invoice", value="2026-01-01"),
    WebhookEvent: lambda c: WebhookEvent.objects.create(
        provider=c.provider, organization=c.organization, connection=c, raw_body=b"{}",
        provider_event_id=f"evt-{c.pk}"),
    WebhookSecret: lambda c: WebhookSecret.objects.create(
        organization=c.organization, connection=c, encrypted_secret="s", label=f"s{c.pk}"),
    PayTypeMapping: lambda c: PayTypeMapping.objects.create(
        organization=c.organization, provider=c.provider, pay_type="monthly_salary",
        salary_code="11"),
}
