"""Visma payroll (Spiris Lön API V2, Sweden) as a Provider.

    employee.export    POST /v2/employees, or link the one with our number / personal number
    time_entry.export  an `hoursworked` shortcut (an absence kind goes out as its own shortcut)
    payslip.export     an `otheradditiondeduction` shortcut, one row per payslip line
    payslip (in)       wage runs and payslips read on a schedule (results.py)

Connecting is Visma's identity server with `vls:api`, one grant shared with Visma eAccounting
(auth.py). The TLU file for Visma Lön 300/600 (tlu.py) needs no connection.
"""

from django.conf import settings

from integrations.providers.base import (
    BOTH,
    INTEGRATIONS_PAGE,
    OAUTH_CODE,
    OUT,
    Capabilities,
    Operation,
    Provider,
    Schedule,
)
from integrations.providers.visma_payroll import auth, checks, exports
from integrations.providers.visma_payroll.client import VismaPayrollClient
from integrations.ratelimit import RateLimitPolicy

KEY = "visma_payroll"


def _operation(record_type, perform, find_existing):
    return Operation(record_type=record_type, perform=perform, find_existing=find_existing,
                     on_success=exports.save_link_data)


class VismaPayroll(Provider):
    key = KEY
    name = "Visma payroll"
    aliases = ("visma-payroll",)
    capabilities = Capabilities(
        records={"employee": OUT, "time_entry": OUT, "payslip": BOTH},
        inbound="poll",
        auth=("oauth2_code",),
        notes="Time entries and payslip lines go out as shortcuts, which payroll imports into "
              "a pay run; gross, net and tax come back from the wage runs.",
    )
    connect_flow = OAUTH_CODE
    # 600 requests per minute per client and endpoint [visma-payroll.md 1.1].
    rate_limit = RateLimitPolicy(limit=600, window_seconds=60, per_endpoint=True)
    operations = {
        "employee.export": _operation("employee", exports.export_employee,
                                      exports.find_employee),
        "time_entry.export": _operation("time_entry", exports.export_time_entry,
                                        exports.find_time_entry),
        "payslip.export": _operation("payslip", exports.export_payslip, exports.find_payslip),
    }
    validators = checks.VALIDATORS
    urls = "integrations.providers.visma_payroll.urls"
    panels = {
        "payslip": "visma_payroll/_payslip_panel.html",
        "time_entry": "visma_payroll/_time_entry_panel.html",
        INTEGRATIONS_PAGE: "visma_payroll/_integrations_page.html",
    }

    def rate_limit_scope(self):
        return (settings.VISMA_CLIENT_ID or "unset",)

    def client(self):
        return VismaPayrollClient(self)

    # -- connecting (auth.py) ---------------------------------------------------------------
    @classmethod
    def start_connect(cls, *, organization, user, options=None):
        return auth.authorization_url(organization=organization, user=user)

    @classmethod
    def finish_connect(cls, *, params, user):
        return auth.complete_authorization(params=params, user=user)

    def refresh_credentials(self, credentials):
        return auth.identity.refresh_connection(credentials)

    def revoke_credentials(self, credentials):
        return auth.identity.release(self.connection, credentials)

    def test_connection(self):
        body = self.client().get_json("/v2/employees", {"$top": 1})
        return {"company_name": self.connection.remote_company_name,
                "tenant_id": self.connection.remote_tenant_id,
                "employees": int((body.get("Meta") or {}).get("TotalNumberOfResults") or 0)}

    def list_salary_codes(self):
        """The pay codes an addition/deduction shortcut takes, for the pay-type mapping."""
        body = self.client().get_json("/v2/paycodes/otheradditiondeduction")
        codes = []
        for group in ("CompensationPaycodes", "DeductionPaycodes", "BenefitPaycodes",
                      "AdjustmentTaxPaycodes"):
            for row in body.get(group) or []:
                codes.append({"code": str(row.get("PaycodeNumber") or ""),
                              "name": row.get("PaycodeName") or "",
                              "group": group.removesuffix("Paycodes")})
        return [c for c in codes if c["code"]]

    # -- results back (results.py) ----------------------------------------------------------
    def poll(self, *, record_types=None, since=None):
        from integrations.providers.visma_payroll import results

        return results.poll(self, record_types=record_types, since=since)

    @classmethod
    def schedules(cls):
        return [Schedule("sync: Visma payroll results", settings.VISMA_PAYROLL_RESULTS_MINUTES)]

    # -- pages ------------------------------------------------------------------------------
    @classmethod
    def panel_context(cls, record, request):
        from integrations.providers.visma_payroll import views

        return views.panel_context(record, request)
