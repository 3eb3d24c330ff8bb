import pytest

from integrations.models import Connection, SyncJob, SyncLogEntry

pytestmark = pytest.mark.django_db


def _job(org, connection, operation, status, n):
    return SyncJob.objects.create(organization=org, connection=connection, operation=operation,
                                  record_type="order", local_id=str(n), status=status,
                                  idempotency_key=f"{operation}:{n}")


def test_metrics_count_what_happened_per_provider(client, settings, org, make_user):
    settings.METRICS_TOKEN = "scrape-me"
    connection = Connection.objects.create(organization=org, provider="poweroffice_go")
    _job(org, connection, "order.create", SyncJob.Status.DONE, 1)
    _job(org, connection, "order.create", SyncJob.Status.DONE, 2)
    _job(org, connection, "order.create", SyncJob.Status.FAILED, 3)
    _job(org, connection, "invoice.create", SyncJob.Status.DONE, 1)
    for status, action in (("ok", "payment.synced"), ("failed", "order.create"),
                           ("retry", "order.create"), ("ok", "order.create")):
        SyncLogEntry.objects.create(organization=org, provider="poweroffice_go", entity="order",
                                    action=action, status=status)
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    assert 'hub_orders_sent_total{provider="poweroffice_go"} 2.0' in body
    assert 'hub_invoices_created_total{provider="poweroffice_go"} 1.0' in body
    assert 'hub_payments_synced_total{provider="poweroffice_go"} 1.0' in body
    assert 'hub_sync_failures_total{provider="poweroffice_go"} 2.0' in body
    assert org.name not in body
