"""Tripletex as a Provider: what it can do, how it connects (a pasted employee token), its
rate limit (told by the provider on every response), the operations the engine runs
(operations.py), payment status by webhooks with a poll and a nightly reconciliation behind
them (inbound.py), and what the mapping editor and the dealer's pages ask."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from integrations.errors import AuthError
from integrations.providers.base import (
    IN,
    OUT,
    Capabilities,
    DealerFlow,
    NavEntry,
    Operation,
    Provider,
    Schedule,
)
from integrations.providers.tripletex import auth, inbound, mappers
from integrations.providers.tripletex import operations as ops
from integrations.providers.tripletex.client import TripletexClient
from integrations.ratelimit import RateLimitPolicy

KEY = ops.KEY


class Tripletex(Provider):
    key = KEY
    name = "Tripletex"
    capabilities = Capabilities(
        records={"customer": OUT, "product": OUT, "order": OUT, "invoice": OUT, "payment": IN},
        inbound="poll+webhook",
        auth=("employee_token",),
        notes="Payment status by signed webhooks (invoice.charged, voucher, closeGroup), a "
              "poll of open invoices and a nightly reconciliation; the limit is read from "
              "X-Rate-Limit-Remaining/-Reset.",
    )
    # Connected on the shared Settings -> Accounting page by pasting the employee token.
    connect_flow = ""
    settings_url_name = "contracts:accounting_settings"
    urls = "integrations.providers.tripletex.urls"
    nav = (NavEntry(gettext_noop("Accounting"), "contracts:accounting_settings",
                    current=("contracts:accounting_settings",)),)
    dealer_flow = DealerFlow(connect_template="tripletex/_connect.html")
    # The real numbers are not published: a ceiling we never expect to reach, while the
    # provider's own X-Rate-Limit-Remaining/-Reset stop us before a 429 (client.py).
    rate_limit = RateLimitPolicy(limit=20, window_seconds=1.0)
    operations = {
        "customer.upsert": Operation(record_type="customer", perform=ops.perform_customer,
                                     find_existing=ops.find_customer),
        "order.create": Operation(record_type="order", perform=ops.perform_order,
                                  find_existing=ops.find_order, on_success=ops.order_done),
        "invoice.create": Operation(record_type="invoice", perform=ops.perform_invoice,
                                    find_existing=ops.find_invoice, on_success=ops.invoice_done),
    }

    def rate_limit_scope(self):
        # Tripletex counts per employee token and API consumer: one budget per connection.
        return (f"connection-{self.connection.pk}" if self.connection is not None else "none",)

    def remote_url(self, remote_id):
        return ops.web_url("order", remote_id)

    # -- credentials ------------------------------------------------------------------------
    def refresh_credentials(self, credentials):
        """A new session token from the employee token (which stays until the dealer deletes
        it in Tripletex)."""
        employee_token = credentials.get("employee_token")
        if not employee_token:
            raise AuthError("No Tripletex employee token is stored; paste it again under "
                            "Settings -> Accounting.")
        token, expires_at = auth.create_session(employee_token)
        return {**credentials, "access_token": token}, expires_at

    def revoke_credentials(self, credentials):
        """Unsubscribe our webhooks and delete our session at Tripletex (the employee token is
        the dealer's to delete in Tripletex; ours is forgotten here). With the session token
        as stored: the connection is already marked disconnected, so the shared token
        machinery would refuse to hand one out."""
        from integrations.models import Link

        token = credentials.get("access_token")
        if not token:
            return False
        subscriptions = Link.objects.filter(connection=self.connection,
                                            record_type=inbound.SUBSCRIPTION)
        gone = auth.delete_subscriptions(token, list(subscriptions.values_list("remote_id",
                                                                               flat=True)))
        subscriptions.filter(remote_id__in=gone).delete()
        return auth.delete_session(token)

    def test_connection(self):
        """GET /token/session/>whoAmI: the company and the employee our token acts as."""
        me = TripletexClient(self).get_value(
            "/token/session/>whoAmI", {"fields": "company(id,name,organizationNumber),"
                                                 "employee(id,displayName)"}) or {}
        company = me.get("company") or {}
        return {"company_name": company.get("name") or "",
                "tenant_id": str(company.get("id") or ""),
                "employee": (me.get("employee") or {}).get("displayName") or "",
                "missing": []}

    def list_vat_codes(self):
        rows = TripletexClient(self).values("/ledger/vatType", {
            "typeOfVat": "OUTGOING", "fields": "id,number,name,percentage"})
        return [{"code": str(r.get("number")), "name": r.get("name") or "",
                 "rate": Decimal(str(r.get("percentage") or 0)) / 100} for r in rows]

    def list_accounts(self):
        rows = TripletexClient(self).values("/ledger/account", {
            "isInactive": "false", "fields": "id,number,name,vatType(id,number)"})
        return [{"number": str(r.get("number")), "name": r.get("name") or "",
                 "vat_code": str((r.get("vatType") or {}).get("number") or "")}
                for r in rows if 3000 <= int(r.get("number") or 0) < 4000]

    # -- the dealer flow's hooks --------------------------------------------------------------
    def dealer_mapping_problems(self, organization, accounts, vats, *, fresh=False):
        from integrations.providers.tripletex import checks

        return checks.mapping_problems(self, organization, accounts, vats, fresh=fresh)

    def invoice_payment_state(self, remote_invoice_id):
        invoice = TripletexClient(self).get_value(f"/invoice/{remote_invoice_id}",
                                                  {"fields": mappers.INVOICE_FIELDS})
        return mappers.payment_state(invoice or {}, today=timezone.localdate())

    # -- inbound ------------------------------------------------------------------------------
    @classmethod
    def schedules(cls):
        return [Schedule("sync: Tripletex open invoices", settings.TRIPLETEX_POLL_MINUTES),
                Schedule("sync: Tripletex nightly reconciliation", 24 * 60,
                         hook="reconcile_all")]

    def poll(self, *, record_types=None, since=None):
        return {"payment": inbound.refresh_open_invoices(self)}

    @classmethod
    def reconcile_all(cls):
        """Nightly: every open invoice of every connection read again, whatever the webhooks
        and polls said (Tripletex's own advice: webhooks can skip versions)."""
        return cls.poll_all()

    @classmethod
    def webhook_connections(cls, payload, request):
        return inbound.connections_for(payload)

    @classmethod
    def webhook_verify(cls, request, raw_body, connection):
        return inbound.verify(request, raw_body, connection)

    def handle_webhook(self, event):
        return inbound.handle(self, event)

    # -- demo and acceptance --------------------------------------------------------------------
    @classmethod
    def demo(cls):
        from integrations.providers.tripletex.demo import DEMO

        return DEMO

    @classmethod
    def acceptance(cls):
        return "integrations.providers.tripletex.acceptance_run.run"
