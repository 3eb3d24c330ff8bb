"""PowerOffice Go as a Provider: what it can do, how it connects, its rate limit, the operations
the engine runs (operations.py), the payment poll (poller.py) and what the mapping editor asks.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_noop

from integrations.errors import AuthError
from integrations.providers.base import (
    IN,
    ONBOARDING,
    OUT,
    Capabilities,
    DealerFlow,
    NavEntry,
    Operation,
    Provider,
    Schedule,
)
from integrations.providers.poweroffice_go import auth
from integrations.providers.poweroffice_go import operations as ops
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
from integrations.ratelimit import RateLimitPolicy

logger = logging.getLogger("integrations.poweroffice_go")

KEY = ops.KEY


class PowerOfficeGo(Provider):
    key = KEY
    name = "PowerOffice Go"
    aliases = ("pogo", "poweroffice")
    capabilities = Capabilities(
        records={"customer": OUT, "product": OUT, "order": OUT, "invoice": OUT, "payment": IN},
        inbound="poll",
        auth=("client_credentials", "onboarding"),
        notes="No webhooks in v2: payment status is polled (changed-since); VAT and account "
              "come from the product's sales account.",
    )
    # Connected from Settings -> Accounting: through Go's approval page (onboarding), or with a
    # client key pasted there.
    connect_flow = ONBOARDING
    # The dealer's pages are the shared ones (`contracts.dealerflow`): Settings -> Accounting
    # shows our connect part; the contract page runs these operations.
    settings_url_name = "contracts:accounting_settings"
    urls = "integrations.providers.poweroffice_go.urls"
    nav = (NavEntry(gettext_noop("Accounting"), "contracts:accounting_settings",
                    current=("contracts:accounting_settings",)),)
    dealer_flow = DealerFlow(customer_operation="customer.upsert",
                             order_operation="order.create", invoice_operation="invoice.create",
                             follow_up_operations=("invoice.sent_state",),
                             connect_template="poweroffice_go/_connect.html")

    @classmethod
    def start_connect(cls, *, organization, user, options=None):
        from integrations.providers.poweroffice_go import services

        return services.start_onboarding(organization=organization, user=user)

    @classmethod
    def finish_connect(cls, *, params, user):
        from integrations.providers.poweroffice_go import services

        return services.complete_onboarding(state=params.get("state", ""),
                                            status=params.get("status", ""),
                                            token=params.get("token", ""), user=user)

    @classmethod
    def demo(cls):
        from integrations.providers.poweroffice_go.demo import DEMO

        return DEMO

    @classmethod
    def acceptance(cls):
        return "integrations.providers.poweroffice_go.acceptance_run.run"
    # Our subscription key's budget, shared by every customer company (10 per second).
    rate_limit = RateLimitPolicy(limit=10, window_seconds=1.0)
    operations = {
        "customer.upsert": Operation(record_type="customer", perform=ops.perform_customer,
                                     find_existing=ops.find_customer),
        "order.create": Operation(record_type="order", perform=ops.perform_order,
                                  find_existing=ops.find_order, on_success=ops.order_done),
        "invoice.create": Operation(record_type="invoice", perform=ops.perform_invoice,
                                    find_existing=ops.find_invoice, on_success=ops.invoice_done),
        "invoice.sent_state": Operation(record_type="invoice", perform=ops.perform_sent_state,
                                        links=False, on_success=ops.sent_state_done),
    }

    @classmethod
    def schedules(cls):
        return [Schedule("sync: PowerOffice Go payment status",
                         settings.POWEROFFICE_GO_POLL_MINUTES)]

    def poll(self, *, record_types=None, since=None):
        """Payment status changed since the cursor (the only thing Go sends back)."""
        from integrations.providers.poweroffice_go import poller

        return {"payment": poller.poll_connection(self.connection, since=since)}

    def rate_limit_scope(self):
        # Our subscription key's budget, shared by every customer company (the key is digested).
        return (settings.POWEROFFICE_GO_SUBSCRIPTION_KEY or "unset",)

    def remote_url(self, remote_id):
        return ops.order_url(remote_id) if remote_id else ""

    # -- credentials ------------------------------------------------------------------------
    def refresh_credentials(self, credentials):
        """No refresh token in v2: a new token is asked for with the client key."""
        client_key = credentials.get("client_key")
        if not client_key:
            raise AuthError("No PowerOffice Go client key is stored; connect again.")
        token, expires_at = auth.fetch_token(client_key)
        return {**credentials, "access_token": token}, expires_at

    def revoke_credentials(self, credentials):
        """Remove our integration from the client in Go (DELETE /Offboarding/RemoveIntegration)
        with a token got from the stored client key: the connection is already marked
        disconnected, so the shared token machinery would refuse to hand one out."""
        client_key = credentials.get("client_key")
        if not client_key:
            return False
        token, _expires = auth.fetch_token(client_key)
        client = PowerOfficeGoClient(self)
        client.uses_access_token = False
        client.request("DELETE", "/Offboarding/RemoveIntegration", expected=(200, 204),
                       headers=client.auth_headers(token))
        return True

    # -- relayed webhooks (webhooks.py) -------------------------------------------------------
    @classmethod
    def webhook_connections(cls, payload, request):
        from integrations.providers.poweroffice_go import webhooks

        return webhooks.connections_for(payload)

    def handle_webhook(self, event):
        from integrations.providers.poweroffice_go import webhooks

        return webhooks.handle(self, event)

    # -- the dealer flow's hooks (services.py) -----------------------------------------------
    def dealer_mapping_problems(self, organization, accounts, vats, *, fresh=False):
        from integrations.providers.poweroffice_go import services

        return services.vat_problems(organization, self.connection, accounts, vats,
                                     fresh=fresh)

    def dealer_setup_problems(self, organization):
        from integrations.providers.poweroffice_go import services

        return services.setup_problems(organization, self.connection)

    def invoice_payment_state(self, remote_invoice_id):
        """GET /OutgoingInvoices/{id}: its balance, total and due date."""
        from django.utils import timezone

        from integrations.providers.poweroffice_go import mappers

        invoice = PowerOfficeGoClient(self).get_json(f"/OutgoingInvoices/{remote_invoice_id}")
        return mappers.payment_state(invoice or {}, today=timezone.localdate())

    # -- seed interface ---------------------------------------------------------------------
    def test_connection(self):
        """Company name and what is missing, from GET /ClientIntegrationInformation."""
        from integrations.providers.poweroffice_go.services import privilege_in_words

        info = PowerOfficeGoClient(self).get_json("/ClientIntegrationInformation") or {}
        invalid = info.get("InvalidPrivileges") or []
        return {
            "company_name": info.get("ClientName") or "",
            "client_id": str(info.get("ClientId") or ""),
            "tenant_id": str(info.get("ClientId") or ""),
            "missing": [privilege_in_words(p) for p in invalid],
            "subscriptions": info.get("ActiveClientSubscriptions") or [],
            "valid_privileges": info.get("ValidPrivileges") or [],
            "invalid_privileges": invalid,
            "can_send_invoices": bool(info.get("AllowSendInvoice", True)) and not any(
                "invoice" in str(p).lower() and "send" in str(p).lower() for p in invalid),
        }

    def list_vat_codes(self):
        rows = PowerOfficeGoClient(self).list("/VatCodes", {"isActive": "true"})
        return [{"code": str(r.get("Code")), "name": r.get("Name") or "",
                 "rate": Decimal(str(r.get("Rate") or 0))} for r in rows]

    def list_accounts(self):
        rows = PowerOfficeGoClient(self).list("/GeneralLedgerAccounts", {"accountNos": "3000-3999"})
        return [{"number": str(r.get("AccountNo")), "name": r.get("Name") or "",
                 "vat_code": str(r.get("VatCode") or "")} for r in rows]


def connection_for(organization, *, lock=False):
    from integrations.models import Connection

    queryset = Connection.objects.for_org(organization).filter(provider=KEY)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()

