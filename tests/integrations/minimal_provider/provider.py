from integrations.models import SyncCursor
from integrations.providers.base import (
    BOTH,
    Capabilities,
    NavEntry,
    Operation,
    OperationResult,
    Provider,
    Schedule,
)

KEY = "minimalbooks"
SEEN = {"polls": [], "webhooks": []}


def _export_customer(provider, job):
    return OperationResult(remote_id=f"MB-{job.local_id}")


class MinimalBooks(Provider):
    key = KEY
    name = "MinimalBooks"
    capabilities = Capabilities(records={"customer": BOTH}, inbound="poll+webhook")
    operations = {"customer.export": Operation(record_type="customer",
                                               perform=_export_customer)}
    urls = "tests.integrations.minimal_provider.urls"
    settings_url_name = "minimalbooks:settings"
    nav = (NavEntry("MinimalBooks settings", "minimalbooks:settings"),)
    panels = {"customer": "minimalbooks/_customer_panel.html"}

    @classmethod
    def schedules(cls):
        return [Schedule(name="sync: MinimalBooks poll", minutes=7)]

    @classmethod
    def panel_context(cls, record, request):
        return {"customer": record}

    def poll(self, *, record_types=None, since=None):
        SEEN["polls"].append(self.connection.pk)
        SyncCursor.objects.update_or_create(
            organization_id=self.connection.organization_id, connection=self.connection,
            record_type="customer", defaults={"value": "polled"})
        return {"customer": {"created": 0}}

    @classmethod
    def webhook_connections(cls, payload, request):
        from integrations.models import Connection

        tenant = str(payload.get("tenant", "")) if isinstance(payload, dict) else ""
        return list(Connection.objects.filter(provider=KEY, remote_tenant_id=tenant)) if tenant \
            else []

    def handle_webhook(self, event):
        SEEN["webhooks"].append(bytes(event.raw_body))
        return "noted"
