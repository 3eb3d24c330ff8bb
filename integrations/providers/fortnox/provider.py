"""Fortnox as a Provider: what it can do, how its rate limit is scoped, the operations the engine
runs, and the calls the mapping editor and the Integrationer page make.

    <record_type>.export   for customer, invoice, quote, project, employee, time_entry, payslip:
                           create, or update when a Link exists (see exports.py)

Customers and invoices also come back (sync.py: hourly `lastmodified` import, and one record at
a time for webhooks). Fortnox's developer-portal webhooks carry only consent events.
"""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from integrations.providers.base import (
    BOTH,
    OAUTH_CODE,
    OUT,
    Capabilities,
    Operation,
    Provider,
)
from integrations.providers.fortnox import auth, exports, mappers
from integrations.providers.fortnox.client import FortnoxClient
from integrations.ratelimit import RateLimitPolicy

KEY = "fortnox"

# Fortnox has no VAT-code endpoint; these are its standard codes (custom ones show up on
# accounts and are added from there).
STANDARD_VAT_CODES = (
    ("MP1", "Moms 25 %", Decimal("25")),
    ("MP2", "Moms 12 %", Decimal("12")),
    ("MP3", "Moms 6 %", Decimal("6")),
    ("MF", "Momsfri", Decimal("0")),
)


def _operation(record_type, perform, find_existing=None, on_success=exports.save_link_data):
    return Operation(record_type=record_type, perform=perform, find_existing=find_existing,
                     on_success=on_success)


class Fortnox(Provider):
    key = KEY
    name = "Fortnox"
    capabilities = Capabilities(
        records={"customer": BOTH, "invoice": BOTH, "quote": OUT, "time_entry": OUT,
                 "employee": OUT, "payslip": OUT, "project": OUT},
        inbound="poll+webhook",
        auth=("oauth2_code", "client_credentials"),
        notes="Changes come back by a `lastmodified` poll; the webhooks are consent events "
              "only. Refresh tokens work once; service accounts have none.",
    )
    connect_flow = OAUTH_CODE

    @classmethod
    def start_connect(cls, *, organization, user, options=None):
        return auth.authorization_url(organization=organization, user=user,
                                      service_account=bool((options or {}).get("service_account")))

    @classmethod
    def finish_connect(cls, *, params, user):
        return auth.complete_authorization(code=params.get("code", ""),
                                           state=params.get("state", ""), user=user)

    @classmethod
    def demo(cls):
        from integrations.providers.fortnox.demo import DEMO

        return DEMO

    # 25 requests in any 5-second window, per client id and Fortnox company (tenant).
    rate_limit = RateLimitPolicy(limit=25, window_seconds=5)
    operations = {
        "customer.export": _operation("customer", exports.export_customer,
                                      exports.find_customer),
        "invoice.export": _operation("invoice", exports.export_invoice, exports.find_invoice,
                                     on_success=exports.invoice_done),
        "quote.export": _operation("quote", exports.export_quote, exports.find_quote),
        "project.export": _operation("project", exports.export_project, exports.find_project),
        "employee.export": _operation("employee", exports.export_employee,
                                      exports.find_employee),
        "time_entry.export": _operation("time_entry", exports.export_time_entry,
                                        exports.find_time_entry),
        # Reconciles on every run (see exports.export_payslip), so it needs no separate look-up.
        "payslip.export": _operation("payslip", exports.export_payslip),
    }
    schedules = {
        "sync: Fortnox import": ("integrations.providers.fortnox.sync.import_all",
                                 settings.FORTNOX_IMPORT_MINUTES),
    }

    def rate_limit_scope(self):
        tenant = self.connection.remote_tenant_id or f"connection-{self.connection.pk}"
        return (settings.FORTNOX_CLIENT_ID or "unset", tenant)

    def client(self, **kwargs):
        return FortnoxClient(self, **kwargs)

    # -- credentials ------------------------------------------------------------------------
    def refresh_credentials(self, credentials):
        return auth.refresh(credentials)

    def revoke_credentials(self, credentials):
        return auth.revoke(credentials)

    # -- inbound webhooks (webhooks.py) -----------------------------------------------------
    @classmethod
    def webhook_connections(cls, payload, request):
        from integrations.providers.fortnox import webhooks

        return webhooks.connections_for(payload)

    def handle_webhook(self, event):
        from integrations.providers.fortnox import webhooks

        return webhooks.handle(self, event)

    def import_record(self, record_type, remote_id):
        from integrations.providers.fortnox import sync

        return sync.import_record(self.connection, record_type, remote_id)

    # -- checks before sending --------------------------------------------------------------
    def validate_export(self, record_type, obj):
        """Every problem that blocks sending `obj` (ValidationProblem, with fix links)."""
        return exports.problems_for(record_type, obj)

    # -- seed interface ---------------------------------------------------------------------
    def test_connection(self):
        info = self.client().get_json("/3/companyinformation").get("CompanyInformation") or {}
        return {
            "company_name": info.get("CompanyName") or "",
            "organization_number": info.get("OrganizationNumber") or "",
            "tenant_id": str(info.get("DatabaseNumber") or ""),
            "address": " ".join(str(info.get(k) or "") for k in ("Address", "ZipCode", "City"))
                       .strip(),
            "country_code": info.get("CountryCode") or "",
        }

    def list_accounts(self):
        """The active accounts of the company's current chart, for the mapping editor."""
        rows = self.client().iterate("/3/accounts", "Accounts")
        return [{"number": str(r.get("Number")), "name": r.get("Description") or "",
                 "vat_code": r.get("VATCode") or ""}
                for r in rows if r.get("Active", True)]

    def list_vat_codes(self):
        codes = {code: {"code": code, "name": name, "rate": rate}
                 for code, name, rate in STANDARD_VAT_CODES}
        for account in self.list_accounts():
            code = account["vat_code"]
            if code and code not in codes:
                codes[code] = {"code": code, "name": code, "rate": None}
        return list(codes.values())

    def get_invoice_status(self, remote_id):
        remote = self.client().get_json(f"/3/invoices/{remote_id}")["Invoice"]
        return mappers.invoice_status(remote, today=timezone.localdate())

    def import_customers(self, since=None):
        from integrations.providers.fortnox import sync

        return sync.import_changes(self.connection, record_types=("customer",), since=since)

    def import_invoices(self, since=None):
        from integrations.providers.fortnox import sync

        return sync.import_changes(self.connection, record_types=("invoice",), since=since)
