"""Counters in Prometheus's text format at /metrics, for the operator's monitoring.

Every process (web, workers, scheduler) writes jobs and log entries to the database, so the
counters are read from there when scraped: no per-process state to aggregate, and they survive
restarts. `prometheus_client` renders the exposition format (no hand-written format code).

    hub_orders_sent_total{provider}       orders created at the provider
    hub_invoices_created_total{provider}  invoices created (sent) at the provider
    hub_payments_synced_total{provider}   payment-state changes taken back from the provider
    hub_sync_failures_total{provider}     failed attempts: retried, unknown, failed, dead

Labels carry the provider only: no organization, person or record data.
Access: a signed-in superuser, or `Authorization: Bearer <METRICS_TOKEN>` when that is set.
"""

import hmac

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from accounting import rls
from integrations.models import SyncJob, SyncLogEntry

FAILURE_STATUSES = ("retry", "unknown", "failed", "dead")


def _by_provider(queryset, field):
    return dict(queryset.values_list(field).annotate(n=Count("id")).values_list(field, "n"))


class HubCollector:
    def collect(self):
        done = SyncJob.objects.filter(status=SyncJob.Status.DONE)
        counters = (
            ("hub_orders_sent", "Orders created at the provider",
             _by_provider(done.filter(operation="order.create"), "connection__provider")),
            ("hub_invoices_created", "Invoices created at the provider",
             _by_provider(done.filter(operation="invoice.create"), "connection__provider")),
            ("hub_payments_synced", "Payment-state changes taken back from the provider",
             _by_provider(SyncLogEntry.objects.filter(action="payment.synced", status="ok"),
                          "provider")),
            ("hub_sync_failures", "Failed sync attempts (retried, unknown, failed, dead)",
             _by_provider(SyncLogEntry.objects.filter(status__in=FAILURE_STATUSES),
                          "provider")),
        )
        for name, documentation, values in counters:
            family = CounterMetricFamily(name, documentation, labels=["provider"])
            for provider, value in sorted(values.items()):
                family.add_metric([provider or ""], value)
            yield family


def _allowed(request):
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].encode(), token.encode()):
        return True
    return bool(request.user.is_authenticated and request.user.is_superuser)


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("Sign in as a superuser or send the METRICS_TOKEN.\n",
                                     content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(HubCollector())
    with rls.rls_bypass("metrics: counters over every organization (no tenant data in labels)"):
        body = generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
