"""PowerOffice Go as a Provider: the operations the engine runs for the dealer's flow.

    customer.upsert     match by our reference, org. number, e-mail or phone, else create
    order.create        customer + products, VAT check, POST /SalesOrders/Complete
    invoice.create      POST /SalesOrders/{id}/createAndSendInvoice (202)
    invoice.sent_state  follow GET /SalesOrders/sentState until sent (retried with backoff)

For an order and its invoice our local record is the contract: Links of record type "order"
and "invoice" have the contract's id as local id (PowerOffice Go gives both the same GUID).
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from integrations.admin_links import mapping_fix_url
from integrations.errors import AuthError, PermanentError, RetryableError
from integrations.models import AccountingSettings, AccountMapping, Link, VatMapping
from integrations.providers.base import (
    IN,
    ONBOARDING,
    OUT,
    NavEntry,
    Capabilities,
    Operation,
    OperationResult,
    Provider,
)
from integrations.providers.poweroffice_go import auth, mappers
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
from integrations.ratelimit import RateLimitPolicy

logger = logging.getLogger("integrations.poweroffice_go")

KEY = "poweroffice_go"


# -- local records ---------------------------------------------------------------------------
def _contract(job):
    from contracts.models import Contract

    contract = (Contract.objects.for_org(job.organization).select_related("customer", "car")
                .filter(pk=job.local_id).first())
    if contract is None:
        raise PermanentError(f"Contract {job.local_id} no longer exists.")
    return contract


def _customer(job):
    from accounting.models import Customer

    customer = Customer.objects.for_org(job.organization).filter(pk=job.local_id).first()
    if customer is None:
        raise PermanentError(f"Customer {job.local_id} no longer exists.")
    return customer


def defaults_for(organization):
    settings_row, _ = AccountingSettings.objects.get_or_create(organization=organization,
                                                               provider=KEY)
    return settings_row


def _link(connection, record_type, local_id):
    return Link.objects.filter(connection=connection, record_type=record_type,
                               local_id=str(local_id)).first()


def _store_link(connection, record_type, local_id, remote_id, remote_number="", remote_url=""):
    Link.objects.update_or_create(
        connection=connection, record_type=record_type, local_id=str(local_id),
        defaults={"organization_id": connection.organization_id, "remote_id": str(remote_id),
                  "remote_number": str(remote_number or ""), "remote_url": remote_url,
                  "synced_at": timezone.now()})


def customer_reference(customer):
    from integrations.engine.jobs import external_reference

    return external_reference("customer", customer.pk, organization=customer.organization)


# -- customers -------------------------------------------------------------------------------
def _customer_result(row):
    return OperationResult(remote_id=str(row["Id"]), remote_number=str(row.get("Number") or ""))


def find_customer_by_reference(client, reference):
    rows = client.list("/Customers", {"externalImportReference": reference})
    for row in rows:  # compare exactly: never trust a filter to be an exact match
        if row.get("ExternalImportReference") == reference:
            return row
    return None


def upsert_customer(provider, customer, *, reference):
    """The PowerOffice Go customer for a local one: already linked (then updated), found by
    our reference, matched by org. number / e-mail / phone, or created. Returns the row."""
    client = PowerOfficeGoClient(provider)
    body = mappers.customer_payload(customer, reference=reference)
    link = _link(provider.connection, "customer", customer.pk)
    row = None
    if link is not None:
        row = client.get_json(f"/Customers/{link.remote_id}")
    row = row or find_customer_by_reference(client, reference)
    if row is None:
        candidates = client.list("/Customers", {
            "Fields": "Id,Number,Name,OrganizationNumber,EmailAddress,PhoneNumber,"
                      "ExternalImportReference"})
        row = mappers.match_customer(customer, candidates)
    if row is None:
        row = client.post_json("/Customers", body).json()
    else:
        ops = [{"op": "replace", "path": f"/{field}", "value": value}
               for field, value in body.items()
               if field not in ("ExternalImportReference", "MailAddress", "IsPerson")
               and row.get(field) not in (None, value)]
        if ops:
            client.patch(f"/Customers/{row['Id']}", ops)
    _store_link(provider.connection, "customer", customer.pk, row["Id"], row.get("Number"))
    return row


def _perform_customer(provider, job):
    customer = _customer(job)
    return _customer_result(upsert_customer(provider, customer, reference=job.external_reference))


def _find_customer(provider, job):
    row = find_customer_by_reference(PowerOfficeGoClient(provider), job.external_reference)
    return _customer_result(row) if row else None


# -- products and mappings -------------------------------------------------------------------
def category_mappings(organization, categories):
    """({category: account number}, {category: VAT code}) for the given categories."""
    accounts = dict(AccountMapping.objects.for_org(organization)
                    .filter(provider=KEY, category__in=categories)
                    .values_list("category", "account_number"))
    vats = dict(VatMapping.objects.for_org(organization)
                .filter(provider=KEY, category__in=categories)
                .values_list("category", "vat_code"))
    return accounts, vats


def account_vat_codes(client, account_numbers):
    """{account number: VAT code} as PowerOffice Go has them."""
    numbers = ",".join(sorted({str(n) for n in account_numbers}))
    rows = client.list("/GeneralLedgerAccounts", {"accountNos": numbers})
    return {str(row.get("AccountNo")): str(row.get("VatCode") or "") for row in rows}


def vat_mismatches(accounts, vats, remote_codes):
    """[(category, account, expected VAT, actual VAT or None)] where the account PowerOffice Go
    will use does not carry the VAT code our mapping expects (or does not exist)."""
    problems = []
    for category, account in sorted(accounts.items()):
        actual = remote_codes.get(str(account))
        expected = vats.get(category)
        if actual is None or (expected is not None and actual != str(expected)):
            problems.append((category, str(account), expected, actual))
    return problems


def ensure_product(client, spec):
    """The id of a product with this code, created or corrected so that its sales account is
    the mapped one (PowerOffice Go takes VAT and account from the product)."""
    for row in client.list("/Products", {"codes": spec.code}):
        if row.get("Code") == spec.code:
            ops = mappers.product_account_patch(row, spec)
            if ops:
                client.patch(f"/Products/{row['Id']}", ops)
            return row["Id"]
    return client.post_json("/Products", spec.payload()).json()["Id"]


# -- the order -------------------------------------------------------------------------------
def _order_result(row):
    return OperationResult(remote_id=str(row["Id"]),
                           remote_number=str(row.get("SalesOrderNo") or ""),
                           remote_url=order_url(row["Id"]),
                           data={"SalesOrderNo": row.get("SalesOrderNo")})


def order_url(remote_id):
    return f"{settings.POWEROFFICE_GO_WEB_URL}/salesorders/{remote_id}"


def invoice_url(remote_id):
    return f"{settings.POWEROFFICE_GO_WEB_URL}/invoices/{remote_id}"


def _perform_order(provider, job):
    from contracts.models import LineCategory

    contract = _contract(job)
    lines = list(contract.lines.all())
    if not lines:
        raise PermanentError(f"Contract {contract.number} has no lines to send.")
    categories = sorted({line.category for line in lines})
    accounts, vats = category_mappings(job.organization, categories)
    missing = [c for c in categories if c not in accounts or c not in vats]
    if missing:
        first = missing[0]
        kind = "account" if first not in accounts else "vat"
        fix = mapping_fix_url(organization=job.organization, provider=KEY, category=first,
                              kind=kind)
        raise PermanentError(f"Missing mapping for {', '.join(missing)}. Fix it at {fix}")
    client = PowerOfficeGoClient(provider)
    mismatches = vat_mismatches(accounts, vats, account_vat_codes(client, accounts.values()))
    if mismatches:
        category, account, expected, actual = mismatches[0]
        raise PermanentError(
            vat_mismatch_message(category, account, expected, actual) + " Fix it at "
            + mapping_fix_url(organization=job.organization, provider=KEY, category=category,
                              kind="vat"))
    customer = contract.customer
    customer_row = upsert_customer(provider, customer, reference=customer_reference(customer))
    labels = dict(LineCategory.choices)
    specs = mappers.products_for_contract(contract, lines, accounts=accounts,
                                          category_labels=labels)
    product_ids = {category: ensure_product(client, spec) for category, spec in specs.items()}
    body = mappers.sales_order_payload(
        contract, lines, customer_id=customer_row["Id"], product_ids=product_ids,
        reference=job.external_reference, defaults=defaults_for(job.organization),
        order_date=contract.signed_on or timezone.localdate())
    return _order_result(client.post_json("/SalesOrders/Complete", body).json())


def vat_mismatch_message(category, account, expected, actual):
    if actual is None:
        return (f"Account {account} (mapped for '{category}') does not exist in PowerOffice Go.")
    return (f"Account {account} (mapped for '{category}') has VAT code {actual} in PowerOffice "
            f"Go, but the VAT mapping says {expected}.")


def _find_order(provider, job):
    """After an unknown outcome: our orders changed since just before the job was created,
    matched on our reference exactly (GET /SalesOrders has no reference filter)."""
    client = PowerOfficeGoClient(provider)
    since = (job.created_at - timedelta(minutes=5)).isoformat()
    rows = client.list("/SalesOrders", {"lastChangedDateTimeOffsetGreaterThan": since,
                                        "onlyCreatedByCurrentIntegration": "true"})
    for row in rows:
        if row.get("ExternalImportReference") == job.external_reference:
            return _order_result(row)
    return None


def _order_done(provider, job, result):
    from contracts.services import apply_accounting_update

    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="order", order_number=result.remote_number)


# -- the invoice -----------------------------------------------------------------------------
def _order_id(provider, job):
    link = _link(provider.connection, "order", job.local_id)
    if link is None:
        raise PermanentError("The order has not been created in PowerOffice Go yet; send the "
                             "contract first.")
    return link.remote_id


def _perform_invoice(provider, job):
    contract = _contract(job)
    order_id = _order_id(provider, job)
    defaults = defaults_for(job.organization)
    body = mappers.send_invoice_payload(delivery_channel=defaults.invoice_delivery_channel,
                                        email=contract.customer.email)
    PowerOfficeGoClient(provider).post_json(f"/SalesOrders/{order_id}/createAndSendInvoice", body,
                                            expected=(200, 202))
    return OperationResult(remote_id=order_id, remote_url=invoice_url(order_id))


def _find_invoice(provider, job):
    """The outgoing invoice has the order's GUID: if it exists, the send went through."""
    link = _link(provider.connection, "order", job.local_id)
    if link is None:
        return None
    client = PowerOfficeGoClient(provider)
    response = client.request("GET", f"/OutgoingInvoices/{link.remote_id}",
                              expected=(200, 204, 404))
    if response.status_code != 200:
        return None
    return OperationResult(remote_id=link.remote_id, remote_url=invoice_url(link.remote_id),
                           remote_number=str(response.json().get("InvoiceNo") or ""))


def _invoice_done(provider, job, result):
    from contracts.services import apply_accounting_update
    from integrations.engine import enqueue_job

    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="invoiced", invoice_number=result.remote_number or "")
    enqueue_job(connection=provider.connection, operation="invoice.sent_state",
                record_type="invoice", local_id=job.local_id, priority=job.priority,
                params={"invoice_id": result.remote_id})


def _perform_sent_state(provider, job):
    client = PowerOfficeGoClient(provider)
    invoice_id = job.params["invoice_id"]
    states = client.get_json("/SalesOrders/sentState", {"id": invoice_id}) or []
    state = next((s for s in states if str(s.get("Id")) == str(invoice_id)), None)
    if state and state.get("LastErrorMessage"):
        raise PermanentError(
            f"PowerOffice Go made invoice {state.get('InvoiceNo') or ''} but could not deliver "
            f"it: {state['LastErrorMessage']}. Fix the customer's delivery details in "
            f"PowerOffice Go and send it from there.")
    if not state or state.get("IsInvoiceBeingProcessed") or not state.get("SentDateTimeOffset"):
        raise RetryableError("PowerOffice Go is still sending the invoice", retry_after=2)
    invoice = client.get_json(f"/OutgoingInvoices/{invoice_id}") or {}
    return OperationResult(remote_id=invoice_id, remote_number=str(state.get("InvoiceNo") or ""),
                           data={"sent_state": state, "invoice": _invoice_fields(invoice)})


INVOICE_FIELDS = ("Id", "InvoiceNo", "Balance", "TotalAmount", "TotalPostedAmount", "DueDate",
                  "BalanceLastChangedDateTimeOffset", "CustomMatchingReference", "MatchId")


def _invoice_fields(invoice):
    return {k: invoice.get(k) for k in INVOICE_FIELDS if k in invoice}


def _sent_state_done(provider, job, result):
    invoice = result.data.get("invoice") or {}
    apply_invoice(provider.connection, job.local_id, {**invoice, "InvoiceNo": result.remote_number
                                                      or invoice.get("InvoiceNo")})
    Link.objects.filter(connection=provider.connection, record_type="invoice",
                        local_id=job.local_id).update(remote_number=result.remote_number)


def apply_invoice(connection, contract_id, invoice):
    """Write an OutgoingInvoiceDto's payment state onto the contract. Returns (contract,
    state) or (None, None)."""
    from contracts.services import apply_accounting_update

    state = mappers.payment_state(invoice, today=timezone.localdate())
    fields = {"invoice_number": state.invoice_no, "invoice_total": state.total,
              "amount_paid": state.paid, "amount_remaining": state.remaining}
    if state.due_date:
        fields["invoice_due_date"] = date.fromisoformat(state.due_date)
    fields = {k: v for k, v in fields.items() if v not in ("", None)}
    contract = apply_accounting_update(organization=connection.organization,
                                       contract_id=contract_id, state=state.state, **fields)
    return contract, state


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
    settings_url_name = "pogo:settings"
    urls = "integrations.providers.poweroffice_go.urls"
    nav = (NavEntry(gettext_noop("Accounting"), "pogo:settings", current=("pogo:settings",)),)
    panels = {"contract": "poweroffice_go/_contract_panel.html",
              "customer": "poweroffice_go/_customer_panel.html"}

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
    def panel_context(cls, record, request):
        from integrations.providers.poweroffice_go import panels

        if record._meta.model_name == "contract":
            return panels.contract_panel(record)
        return panels.customer_panel(record)

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
        "customer.upsert": Operation(record_type="customer", perform=_perform_customer,
                                     find_existing=_find_customer),
        "order.create": Operation(record_type="order", perform=_perform_order,
                                  find_existing=_find_order, on_success=_order_done),
        "invoice.create": Operation(record_type="invoice", perform=_perform_invoice,
                                    find_existing=_find_invoice, on_success=_invoice_done),
        "invoice.sent_state": Operation(record_type="invoice", perform=_perform_sent_state,
                                        links=False, on_success=_sent_state_done),
    }
    schedules = {
        "sync: PowerOffice Go payment status": (
            "integrations.providers.poweroffice_go.poller.poll_all",
            settings.POWEROFFICE_GO_POLL_MINUTES),
    }

    def rate_limit_scope(self):
        # Our subscription key's budget, shared by every customer company (the key is digested).
        return (settings.POWEROFFICE_GO_SUBSCRIPTION_KEY or "unset",)

    def remote_url(self, remote_id):
        return order_url(remote_id) if remote_id else ""

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

    # -- seed interface ---------------------------------------------------------------------
    def test_connection(self):
        """Company name and what is missing, from GET /ClientIntegrationInformation."""
        info = PowerOfficeGoClient(self).get_json("/ClientIntegrationInformation") or {}
        invalid = info.get("InvalidPrivileges") or []
        return {
            "company_name": info.get("ClientName") or "",
            "client_id": str(info.get("ClientId") or ""),
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

