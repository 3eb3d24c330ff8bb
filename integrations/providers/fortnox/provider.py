"""Fortnox as a Provider: what it can do, how its rate limit is scoped, the operations the engine
runs, and the calls the mapping editor and the Integrationer page make.

    <record_type>.export   for customer, invoice, quote, project, employee, time_entry, payslip:
                           create, or update when a Link exists (exports.py, documents.py,
                           payroll.py); checked first by `validators` (checks.py)

Customers and invoices also come back (sync.py: `poll`, an hourly `lastmodified` import run by
the core poll loop, and `import_record`, one record at a time for webhooks).
"""

from decimal import Decimal

from django.conf import settings

from integrations.providers.base import (
    BOTH,
    OAUTH_CODE,
    OUT,
    Capabilities,
    Operation,
    Provider,
    Schedule,
)
from integrations.providers.fortnox import auth, checks, documents, exports, payroll
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
        "invoice.export": _operation("invoice", documents.export_invoice,
                                     documents.find_invoice, on_success=documents.invoice_done),
        "quote.export": _operation("quote", documents.export_quote, documents.find_quote),
        "project.export": _operation("project", exports.PROJECTS.export, exports.PROJECTS.find),
        "employee.export": _operation("employee", exports.EMPLOYEES.export,
                                      exports.EMPLOYEES.find),
        "time_entry.export": _operation("time_entry", payroll.export_time_entry,
                                        payroll.find_time_entry),
        # Reconciles on every run (see payroll.export_payslip), so it needs no separate look-up.
        "payslip.export": _operation("payslip", payroll.export_payslip),
    }
    validators = checks.VALIDATORS

    @classmethod
    def schedules(cls):
        return [Schedule("sync: Fortnox import", settings.FORTNOX_IMPORT_MINUTES)]

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

    # -- inbound (sync.py) ------------------------------------------------------------------
    def poll(self, *, record_types=None, since=None):
        from integrations.providers.fortnox import sync

        return sync.poll(self, record_types=record_types, since=since)

    def import_record(self, record_type, remote_id):
        from integrations.providers.fortnox import sync

        return sync.import_one(self, record_type, remote_id)

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
