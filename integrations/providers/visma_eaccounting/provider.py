"""Visma eAccounting as a Provider: what it can do, how its rate limit is scoped (per client and
endpoint), the operations the engine runs, and the hooks the pages, the mapping editor, the
schedules and the webhook endpoint call.

    customer.export   create or update (exports.py), found again by our number `H<id>`,
                      matched by organization number / e-mail / phone before creating
    invoice.export    a draft converted with its totals guard (invoices.py), found again by
                      our reference in `OurReference`

Customers and invoices also come back (sync.py), hourly by default and when a webhook wakes it.
"""

import re

from django.conf import settings

from integrations.providers.base import (
    BOTH,
    OAUTH_CODE,
    Capabilities,
    Operation,
    Provider,
    Schedule,
)
from integrations.providers.visma_eaccounting import checks, exports, identity, invoices
from integrations.providers.visma_eaccounting.client import VismaClient
from integrations.ratelimit import RateLimitPolicy

KEY = "visma_eaccounting"
CALLBACK_PATH = "/api/integrations/visma/callback"
# What our record types need (fact sheet §2.1; each endpoint's "Requires any of the following
# scopes"): customers, articles and invoices are `ea:sales`; the VAT codes and accounts of the
# mapping editor `ea:accounting_readonly`.
SCOPES = ("ea:api", "ea:sales", "ea:accounting_readonly")
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                         r"[0-9a-fA-F]{12})$")


def redirect_uri():
    return settings.APP_BASE_URL + CALLBACK_PATH


class VismaEaccounting(Provider):
    key = KEY
    name = "Visma eAccounting"
    # The seed's URLs: /api/integrations/visma/connect, .../callback, /api/webhooks/visma.
    aliases = ("visma",)
    capabilities = Capabilities(
        records={"customer": BOTH, "invoice": BOTH},
        inbound="poll+webhook",
        auth=("oauth2_code",),
        notes="Polled by change stamps (`ChangedUtc`, `modifiedSinceUtc`); webhooks (beta) only "
              "wake the poll. Invoices go as drafts converted with a totals guard.",
    )
    connect_flow = OAUTH_CODE
    # 600 requests per minute per client and endpoint (fact sheet §3).
    rate_limit = RateLimitPolicy(limit=600, window_seconds=60, per_endpoint=True)
    operations = {
        "customer.export": Operation("customer", exports.export_customer, exports.find_customer,
                                     on_success=exports.save_link_data),
        "invoice.export": Operation("invoice", invoices.export_invoice, invoices.find_invoice,
                                    on_success=invoices.invoice_done),
    }
    validators = checks.VALIDATORS
    panels = {"invoice": "visma_eaccounting/_invoice_panel.html"}

    # -- connecting -------------------------------------------------------------------------
    @classmethod
    def start_connect(cls, *, organization, user, options=None):
        wanted = [SCOPES]
        # One consent for both Visma products when the organization also uses payroll.
        wanted += [[identity.API_SCOPE[key]] for key in identity.siblings_in_use(organization, KEY)]
        return identity.authorization_url(
            product=KEY, organization=organization, user=user,
            scopes=identity.scopes(*wanted), redirect_uri=redirect_uri())

    @classmethod
    def finish_connect(cls, *, params, user):
        from integrations.providers.visma_eaccounting import connect

        return connect.complete(code=params.get("code", ""), state=params.get("state", ""),
                                user=user)

    def refresh_credentials(self, credentials):
        return identity.refresh_connection(credentials)

    def revoke_credentials(self, credentials):
        return identity.release(self.connection, credentials)

    def test_connection(self):
        info = self.client().get_json("/v2/companysettings")
        return {"company_name": info.get("Name") or "",
                "organization_number": info.get("CorporateIdentityNumber") or "",
                "tenant_id": self.connection.remote_tenant_id,
                "country_code": info.get("CountryCode") or ""}

    # -- limits -------------------------------------------------------------------------------
    def rate_limit_scope(self):
        # Counted per client (and endpoint, added by the key): every company we serve shares it.
        return (settings.VISMA_CLIENT_ID or "unset",)

    def rate_limit_endpoint(self, path):
        """The route, ids replaced (`/v2/customers/<guid>` -> `v2/customers/{id}`), as Visma
        counts per endpoint: a burst of invoices does not starve customer look-ups."""
        parts = [p for p in path.split("?")[0].strip("/").split("/") if p]
        return "/".join("{id}" if _ID_SEGMENT.match(p) else p.lower() for p in parts)[:80]

    def client(self, **kwargs):
        return VismaClient(self, **kwargs)

    # -- mappings -----------------------------------------------------------------------------
    def list_vat_codes(self):
        from integrations.providers.visma_eaccounting.mappers import rate_percent

        rows = exports.reference_list(self.client(), "/v2/vatcodes")
        return [{"code": str(r.get("Code")), "name": r.get("Description") or "",
                 "rate": rate_percent(r.get("VatRate"))} for r in rows]

    def list_accounts(self):
        """The active accounts of the current fiscal year (accounts are per fiscal year)."""
        from django.utils import timezone

        from integrations.providers.visma_eaccounting.mappers import parse_date

        client = self.client()
        today = timezone.localdate()
        years = exports.reference_list(client, "/v2/fiscalyears")
        current = next((y for y in years if (parse_date(y.get("StartDate")) or today) <= today
                        <= (parse_date(y.get("EndDate")) or today)), None)
        path = f"/v2/accounts/{current['Id']}" if current else "/v2/accounts"
        codes = {v.get("Id"): str(v.get("Code") or "")
                 for v in exports.reference_list(client, "/v2/vatcodes")}
        return [{"number": str(r.get("Number")), "name": r.get("Name") or "",
                 "vat_code": codes.get(r.get("VatCodeId"), "")}
                for r in exports.reference_list(client, path) if r.get("IsActive", True)]

    # -- inbound ------------------------------------------------------------------------------
    @classmethod
    def schedules(cls):
        return [Schedule("sync: Visma eAccounting import",
                         settings.VISMA_EACCOUNTING_IMPORT_MINUTES)]

    def poll(self, *, record_types=None, since=None):
        from integrations.providers.visma_eaccounting import sync

        return sync.poll(self, record_types=record_types, since=since)

    def import_record(self, record_type, remote_id):
        from integrations.providers.visma_eaccounting import sync

        return sync.import_one(self, record_type, remote_id)

    @classmethod
    def webhook_connections(cls, payload, request):
        from integrations.providers.visma_eaccounting import webhooks

        return webhooks.connections_for(payload)

    @classmethod
    def webhook_verify(cls, request, raw_body, connection):
        from integrations.providers.visma_eaccounting import webhooks

        return webhooks.verify(request, raw_body, connection)

    def handle_webhook(self, event):
        from integrations.providers.visma_eaccounting import webhooks

        return webhooks.handle(self, event)

    # -- pages and demo -----------------------------------------------------------------------
    @classmethod
    def panel_context(cls, record, request):
        from integrations.providers.visma_eaccounting import panels

        return panels.invoice_context(record)

    @classmethod
    def demo(cls):
        from integrations.providers.visma_eaccounting.demo import DEMO

        return DEMO
